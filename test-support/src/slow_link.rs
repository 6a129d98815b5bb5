//! A link with a round-trip time: a TCP proxy that delays every chunk, for the timing verdicts
//! of a server far away.

use std::time::Duration;

use crate::serve::serve_on_own_runtime;

/// A TCP proxy on 127.0.0.1:0 in front of `upstream` (`http://127.0.0.1:PORT`) that delays
/// every chunk by `delay` in each direction, in order, as a link with a round trip of twice
/// `delay` would; a side's end of stream is passed on after the same delay. Runs on a runtime of
/// its own for the life of the test process; returns its URL.
pub fn slow_link(upstream: &str, delay: Duration) -> String {
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    serve_on_own_runtime("delaying proxy", move |listener| async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::join!(
                    delayed_pump(client_read, server_write, delay),
                    delayed_pump(server_read, client_write, delay),
                );
            });
        }
    })
}

/// Copies `from` to `to`, each chunk (and the end of stream) `delay` after it was read.
async fn delayed_pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (queue, mut due) =
        tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = from.read(&mut buf).await.unwrap_or(0);
            // An empty chunk is the end of stream.
            let _ = queue.send((tokio::time::Instant::now() + delay, buf[..n].to_vec()));
            if n == 0 {
                return;
            }
        }
    };
    let writer = async move {
        while let Some((at, chunk)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            if chunk.is_empty() || to.write_all(&chunk).await.is_err() {
                let _ = to.shutdown().await;
                return;
            }
        }
    };
    tokio::join!(reader, writer);
}
