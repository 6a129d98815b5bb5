//! The fuzz body of the `front` target (cargo feature `fuzzing`): the contract server's HTTP and
//! WebSocket front fed raw bytes in memory. Each connection is a `tokio::io::duplex` pipe served
//! by hyper's HTTP/1.1 connection driver with upgrades, around the real contract router, as
//! `axum::serve` serves a TCP stream; no socket is opened.
//!
//! ```text
//! input   = chunk *( FF FF chunk )              at most MAX_STEPS chunks
//! chunk   = "C"                                 open a new connection (at most MAX_CONNECTIONS)
//!         / "S" index                           make connection index % open the current one
//!         / "X"                                 close the current connection (the client's end)
//!         / "T" n                               let n % 16 ms of real time pass (timers fire)
//!         / "D"                                 drop the server: the contract's router and engines
//!                                               (open connections keep what they hold of them)
//!         / "W" bytes / bytes                   write bytes to the current connection
//! {sid} in written bytes → the last Engine.IO session id the server sent (the `sid` of an open
//!                          packet, `{"sid":"…","upgrades"…`) on any connection
//! ```
//!
//! Invariants (a panic anywhere, in any task, is a bug: libFuzzer aborts on it):
//! - no hang: every step settles in a bounded number of scheduler turns, and once every client
//!   end is closed, every connection task and every session ends within [`END_BOUND`];
//! - no unbounded growth: after that, the runtime holds no task beyond the engines' own (a
//!   timer driver each; none once the server is dropped), no engine holds a session, and no
//!   namespace of the Socket.IO servers holds a socket (a socket left behind keeps its namespace
//!   and handlers alive, and they keep it: a leak no drop can end);
//! - nothing outlives the server: once the runtime is dropped, with whatever tasks it still held
//!   (a sleeping ack timeout, say), no socket seen during the run is alive (a socket and a
//!   callback holding each other would be). LeakSanitizer sees that too, but only at the end of
//!   a process and not under `cargo test`.
//!
//! The engines run with heartbeats of a few milliseconds (the contract's are 300 + 200 ms), so
//! that a session whose client vanished ends quickly; everything else is the contract's.

use std::collections::HashMap;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use sio_reference_server::EngineConfig;
use sio_reference_server::socketio::{SocketIo, WeakSocket};
use tokio::io::{DuplexStream, ReadBuf};
use tokio::task::JoinSet;

use crate::Contract;

/// The separator between chunks.
const SEPARATOR: &[u8] = b"\xff\xff";
/// Steps read from one input; the rest is ignored.
const MAX_STEPS: usize = 64;
/// Connections open at once.
const MAX_CONNECTIONS: usize = 4;
/// Capacity of each in-memory pipe, each way.
const PIPE_BYTES: usize = 64 * 1024;
/// Scheduler turns given to the server after each step.
const SETTLE_TURNS: usize = 32;
/// The contract's engines (echo, sio-main, sio-recovery, sio-eio3).
const ENGINES: usize = 4;
/// How long every connection and session may outlive the last client end.
pub const END_BOUND: Duration = Duration::from_secs(3);

/// The contract's engines with heartbeats short enough to end a silent session in milliseconds.
fn fuzz_engine(mut config: EngineConfig) -> EngineConfig {
    config.ping_interval = Duration::from_millis(4);
    config.ping_timeout = Duration::from_millis(4);
    config.upgrade_timeout = Duration::from_millis(8);
    config.application_wait = Duration::from_millis(4);
    config.timer_slack = Duration::ZERO;
    config
}

/// One client connection: our end of the pipe, `None` once closed.
struct Client {
    stream: Option<DuplexStream>,
}

/// Target `front`: see the module documentation.
pub fn front(input: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime");
    let seen = runtime.block_on(drive(input));
    drop(runtime);
    let kept: Vec<&str> = seen
        .iter()
        .filter(|(_, socket)| socket.upgrade().is_some())
        .map(|((nsp, _), _)| nsp.as_str())
        .collect();
    assert!(
        kept.is_empty(),
        "{} socket(s) outlived the server and its runtime, in {kept:?}",
        kept.len()
    );
}

/// Every socket seen in a namespace during a run, by namespace and id.
type SeenSockets = HashMap<(String, String), WeakSocket>;

async fn drive(input: &[u8]) -> SeenSockets {
    let mut contract = Some(crate::build_tuned(
        fuzz_engine(crate::echo_config()),
        &fuzz_engine,
        &|c| c,
        None,
    ));
    // The engines' own tasks, what may be left once every client is gone: a timer driver per
    // engine (each starts with its engine's first session and ends with the engine).
    // Kept past a `D` step: only to count the sockets left in their namespaces.
    let socket_io = contract.as_ref().map(|c| c.socket_io.clone());
    let mut baseline = ENGINES;
    let mut seen = SeenSockets::new();
    let mut connections = JoinSet::new();
    let mut clients: Vec<Client> = Vec::new();
    let mut current = 0;
    let mut sid = String::new();
    open(contract.as_ref(), &mut connections, &mut clients);

    for chunk in split(input).take(MAX_STEPS) {
        match chunk.split_first() {
            Some((b'C', _)) if clients.len() < MAX_CONNECTIONS && contract.is_some() => {
                open(contract.as_ref(), &mut connections, &mut clients);
                current = clients.len() - 1;
            }
            Some((b'D', _)) => {
                contract = None;
                baseline = 0;
            }
            Some((b'S', rest)) => current = rest.first().map_or(0, |&i| i as usize) % clients.len(),
            Some((b'X', _)) => clients[current].stream = None,
            Some((b'T', rest)) => {
                let ms = rest.first().map_or(0, |&n| n % 16);
                tokio::time::sleep(Duration::from_millis(ms.into())).await;
            }
            Some((b'W', rest)) => write(&mut clients[current], &substitute(rest, &sid)),
            _ => write(&mut clients[current], &substitute(chunk, &sid)),
        }
        settle().await;
        for io in socket_io.iter().flatten() {
            remember_sockets(io, &mut seen);
        }
        for client in &mut clients {
            if let Some(found) = read_available(client) {
                sid = found;
            }
        }
    }

    // Every client goes away; everything the server holds for them must go too.
    clients.clear();
    let started = Instant::now();
    loop {
        while connections.try_join_next().is_some() {}
        let sessions: usize = contract.as_ref().map_or(0, |c| {
            [&c.echo, &c.sio_main, &c.sio_recovery, &c.sio_eio3]
                .iter()
                .map(|e| e.session_count())
                .sum()
        });
        let tasks = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        let sockets: usize = socket_io.iter().flatten().map(socket_count).sum();
        if connections.is_empty() && sessions == 0 && tasks <= baseline && sockets == 0 {
            return seen;
        }
        assert!(
            started.elapsed() < END_BOUND,
            "{} connection(s), {sessions} session(s), {sockets} socket(s) and {tasks} task(s) \
             (engines: {baseline}) outlived their clients by {END_BOUND:?}",
            connections.len()
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Adds the sockets now in `io`'s namespaces to `seen`.
fn remember_sockets(io: &SocketIo, seen: &mut SeenSockets) {
    for nsp in io.namespaces() {
        for socket in nsp.sockets() {
            seen.entry((nsp.name().to_owned(), socket.id().to_owned()))
                .or_insert_with(|| socket.downgrade());
        }
    }
}

/// The sockets in every namespace of `io`.
fn socket_count(io: &SocketIo) -> usize {
    io.namespaces().iter().map(|n| n.sockets().len()).sum()
}

/// The chunks of an input.
fn split(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(input);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => {
                rest = Some(&r[at + SEPARATOR.len()..]);
                Some(&r[..at])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `bytes` with every `{sid}` replaced by `sid`.
fn substitute(bytes: &[u8], sid: &str) -> Vec<u8> {
    const TOKEN: &[u8] = b"{sid}";
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(TOKEN) {
            out.extend_from_slice(sid.as_bytes());
            i += TOKEN.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// A new connection served by hyper's HTTP/1.1 driver over an in-memory pipe.
fn open(contract: Option<&Contract>, connections: &mut JoinSet<()>, clients: &mut Vec<Client>) {
    let Some(contract) = contract else { return };
    let (ours, theirs) = tokio::io::duplex(PIPE_BYTES);
    let service = TowerToHyperService::new(contract.router.clone());
    connections.spawn(async move {
        // An error is the client's (a malformed request, an early end): the server answers it
        // or closes; either way the task ends.
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(theirs), service)
            .with_upgrades()
            .await;
    });
    clients.push(Client { stream: Some(ours) });
}

/// Writes what fits into the pipe now (a server that stops reading is not a bug: the rest of
/// the chunk is dropped, as a client whose writes time out would).
fn write(client: &mut Client, bytes: &[u8]) {
    let Some(stream) = client.stream.as_mut() else {
        return;
    };
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut rest = bytes;
    while !rest.is_empty() {
        match tokio::io::AsyncWrite::poll_write(Pin::new(&mut *stream), &mut cx, rest) {
            Poll::Ready(Ok(n)) if n > 0 => rest = &rest[n..],
            _ => return,
        }
    }
}

/// Gives every task ready to run its turns (the pipes wake their readers directly).
async fn settle() {
    for _ in 0..SETTLE_TURNS {
        tokio::task::yield_now().await;
    }
}

/// Reads everything the server has written so far; returns the last session id in it.
fn read_available(client: &mut Client) -> Option<String> {
    let stream = client.stream.as_mut()?;
    let mut received = Vec::new();
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let mut buf = [0u8; 8192];
    loop {
        let mut read = ReadBuf::new(&mut buf);
        match tokio::io::AsyncRead::poll_read(Pin::new(&mut *stream), &mut cx, &mut read) {
            Poll::Ready(Ok(())) if !read.filled().is_empty() => {
                received.extend_from_slice(read.filled());
            }
            // The server's end is closed, or nothing more for now.
            _ => break,
        }
    }
    last_sid(&received)
}

/// The last Engine.IO session id in `bytes`: an open packet's `"sid":"…","upgrades"` (a
/// Socket.IO CONNECT's `{"sid":"…"}` is another id, which no Engine.IO request takes).
fn last_sid(bytes: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"{\"sid\":\"";
    const AFTER: &[u8] = b"\",\"upgrades\"";
    let mut found = None;
    let mut from = 0;
    while let Some(at) = bytes[from..].windows(KEY.len()).position(|w| w == KEY) {
        let start = from + at + KEY.len();
        from = start;
        let Some(len) = bytes[start..].iter().position(|&b| b == b'"') else {
            break;
        };
        if bytes[start + len..].starts_with(AFTER) {
            found = String::from_utf8(bytes[start..start + len].to_vec()).ok();
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_on_the_separator() {
        let chunks: Vec<&[u8]> = split(b"Wab\xff\xffC\xff\xff").collect();
        assert_eq!(chunks, [&b"Wab"[..], b"C", b""]);
    }

    #[test]
    fn the_sid_is_substituted_and_found() {
        assert_eq!(substitute(b"a{sid}b{sid}", "X"), b"aXbX");
        assert_eq!(
            last_sid(b"0{\"sid\":\"one\",\"upgrades\":[]}\x1e40{\"sid\":\"two\"}").as_deref(),
            Some("one")
        );
        assert_eq!(last_sid(b"{\"sid\":\"open"), None);
    }
}
