//! What the integration tests share: starting the pinned Node harness (the oracle) or the
//! reference server's contract router on an ephemeral port, one copy for every test binary so
//! the copies cannot drift.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The Node harness process, killed (by its own handle) when the test ends.
pub struct Harness(Child);

impl Harness {
    /// Kills the process now (a server that dies in the middle of a run).
    #[allow(dead_code)] // not every test binary that shares this module kills its server
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// The harness's process id (the benchmark reads its CPU and memory from /proc).
    #[allow(dead_code)] // not every test binary that shares this module asks for it
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `fixtures/node`, where the pinned npm packages and the harness live.
pub fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/node")
}

/// Starts `node harness.mjs --port 0` and returns it with its URL, read from its one
/// `{"listening":…}` line (bounded wait). `None`, with a SKIPPED line, when `node` is missing
/// (a failure in CI, where `CI` is set: the oracle's tests cannot pass by not running).
#[allow(dead_code)] // not every test binary that shares this module starts the harness
pub fn start_node_harness() -> Option<(Harness, String)> {
    start_node("harness.mjs")
}

/// Starts `node <script> --port 0` in `fixtures/node` (the harness, or one of the servers in
/// `targets/`) and returns it with its URL, as [`start_node_harness`].
pub fn start_node(script: &str) -> Option<(Harness, String)> {
    start_node_with(&[script], &[])
}

/// Starts `node <args…> --port 0` in `fixtures/node` with `env` added (e.g. the harness with
/// `--import ./faults/preload.mjs` and `SIO_NODE_FAULT`), as [`start_node_harness`].
pub fn start_node_with(args: &[&str], env: &[(&str, &str)]) -> Option<(Harness, String)> {
    let script = args.join(" ");
    if Command::new("node").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the Node oracle, but `node` is not on the PATH"
        );
        eprintln!("SKIPPED: `node` is not on the PATH; the Node oracle cannot be started");
        return None;
    }
    assert!(
        node_dir().join("node_modules").is_dir(),
        "fixtures/node/node_modules is missing: run `npm ci` in fixtures/node (or `cargo xtask serve`)"
    );
    let mut child = Command::new("node")
        .args(args)
        .args(["--port", "0"])
        .envs(env.iter().copied())
        .current_dir(node_dir())
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting node {script}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let harness = Harness(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the harness printed no listening line within 30 s");
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("listening line is JSON");
    let url = v["listening"].as_str().expect("listening URL").to_string();
    Some((harness, url))
}

/// Binds 127.0.0.1:0 on a one-thread runtime of its own that lives as long as the test
/// process, runs `serve` on the listener there, and returns the URL once it is bound.
fn serve_on_own_runtime<F, Fut>(what: &'static str, serve: F) -> String
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{what} runtime: {e}"));
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .expect("bind 127.0.0.1:0");
            let addr = listener.local_addr().expect("local addr");
            tx.send(format!("http://{addr}")).expect("send url");
            serve(listener).await;
        });
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("the {what} did not start within 10 s"))
}

/// Serves `router` (a contract router of the reference server, built on the server's runtime by
/// `make`) on 127.0.0.1:0, on a runtime of its own that lives as long as the test process, and
/// returns its URL.
#[allow(dead_code)] // not every test binary that shares this module serves the reference server
pub fn serve_reference(make: impl FnOnce() -> axum::Router + Send + 'static) -> String {
    use axum::serve::ListenerExt;
    serve_on_own_runtime("reference server", |listener| async move {
        // TCP_NODELAY, as Node's HTTP server sets it: without it each second small frame
        // waits ~40 ms for the client's delayed ACK (Nagle), and the property tests' steps
        // take longer than the recovery window (PROPTEST.md, findings).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, make()).await.expect("serve");
    })
}

/// A TCP proxy on 127.0.0.1:0 in front of `upstream` (`http://127.0.0.1:PORT`) that delays
/// every chunk by `delay` in each direction, in order, as a link with a round trip of twice
/// `delay` would; a side's end of stream is passed on after the same delay. Runs on a runtime of
/// its own for the life of the test process; returns its URL.
#[allow(dead_code)] // not every test binary that shares this module needs a slow link
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
