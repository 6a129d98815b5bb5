//! The WebSocket transport's plumbing: `ws`'s handshake checks and 101, then one pump task per
//! connection that feeds received messages to the session and carries out its sends and
//! closes. Frame limits are `ws`'s (`maxPayload = maxHttpBufferSize`, close 1009 past it).
//!
//! ```text
//! not GET                         → 405 Invalid HTTP method
//! Upgrade ≠ websocket             → 400 Invalid Upgrade header
//! bad Sec-WebSocket-Key           → 400 Missing or invalid Sec-WebSocket-Key header
//! Sec-WebSocket-Version ∉ {13, 8} → 400 Missing or invalid Sec-WebSocket-Version header
//! otherwise 101, then: handshake with EIO ≠ 4 → raw "HTTP/1.1 400 …" on the upgraded socket;
//!                      transport=polling      → close (no code)
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request};
use axum::response::Response;
use futures_util::task::AtomicWaker;
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use sio_protocol::engineio::Frame;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::read_ahead::ReadAhead;
use super::{EntryRef, Shared, WsCommand, http, queue};
use crate::session::{Framing, Session, TransportKind, WsEnd, WsId, WsMessage};
use crate::verify::{self, Verified};

type Ws = WebSocketStream<ReadAhead<TokioIo<Upgraded>>>;

/// `ws` waits this long for the peer's close frame before dropping the connection.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

fn valid_key(key: &str) -> bool {
    // ws: /^[+/0-9A-Za-z]{22}==$/
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// A verified upgrade request: `ws`'s checks, then the 101 and a pump task.
pub(super) async fn handle(
    shared: Arc<Shared>,
    mut req: Request<Body>,
    route: Verified,
    query: HashMap<String, String>,
    cors: Vec<(&'static str, String)>,
) -> Response {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if req.method() != Method::GET {
        return http::refusal(405, "Invalid HTTP method", &[]);
    }
    if !header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return http::refusal(400, "Invalid Upgrade header", &[]);
    }
    let Some(key) = header("sec-websocket-key").filter(|k| valid_key(k)) else {
        return http::refusal(400, "Missing or invalid Sec-WebSocket-Key header", &[]);
    };
    if !matches!(
        header("sec-websocket-version").as_deref().map(str::trim),
        Some("13" | "8")
    ) {
        return http::refusal(
            400,
            "Missing or invalid Sec-WebSocket-Version header",
            &[("Sec-WebSocket-Version", "13, 8")],
        );
    }
    // ws picks the first subprotocol offered when no handleProtocols is set.
    let protocol = header("sec-websocket-protocol").and_then(|p| {
        p.split(',')
            .map(|s| s.trim().to_owned())
            .find(|s| !s.is_empty())
    });
    let on_upgrade = hyper::upgrade::on(&mut req);
    // The task below lives as long as the connection: it takes only what it needs of the
    // request (the handshake request only when it opens a session, boxed).
    let after = AfterUpgrade {
        b64: query.get("b64").cloned(),
        protocol: verify::check_protocol(&query, &shared.config),
        request: matches!(
            route,
            Verified::Handshake {
                transport: TransportKind::WebSocket
            }
        )
        .then(|| Box::new(super::HandshakeRequest::new(&req, TransportKind::WebSocket))),
        route,
    };
    tokio::spawn(async move {
        if let Ok(upgraded) = on_upgrade.await {
            after_upgrade(shared, TokioIo::new(upgraded), after).await;
        }
    });
    let mut h = vec![
        ("upgrade", "websocket".to_owned()),
        ("connection", "Upgrade".to_owned()),
        ("sec-websocket-accept", derive_accept_key(key.as_bytes())),
    ];
    if let Some(p) = protocol {
        h.push(("sec-websocket-protocol", p));
    }
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = axum::http::StatusCode::SWITCHING_PROTOCOLS;
    for (k, v) in h {
        if let Ok(v) = v.parse() {
            resp.headers_mut().append(k, v);
        }
    }
    // The cors headers go after ws's own (the `headers` event appends them).
    for (k, v) in cors {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
            v.parse(),
        ) {
            resp.headers_mut().append(k, v);
        }
    }
    resp
}

/// The initial room of a connection's read buffer, which is also the most tungstenite asks
/// for at once. tungstenite's default is 128 KiB, allocated up front for every connection; an
/// idle Engine.IO connection reads a 9-byte pong frame per interval. The buffer grows to hold a
/// bigger frame when one arrives (tungstenite reserves a frame's whole length), so it is sized
/// by the traffic; the syscalls are [`ReadAhead`]'s (16 KiB at a time), so a small buffer does
/// not mean a syscall per 256 bytes.
const READ_BUFFER: usize = 256;

/// Frames queued together are written with one syscall: the pump `feed`s a batch into
/// tungstenite's write buffer and flushes once. Past this many bytes a feed writes at once.
const WRITE_BUFFER: usize = 16 * 1024;

fn ws_config(max_payload: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(Some(max_payload))
        .max_frame_size(Some(max_payload))
}

/// What the connection's task keeps of the upgrade request.
struct AfterUpgrade {
    route: Verified,
    /// The `b64` query parameter.
    b64: Option<String>,
    /// The EIO revision, checked only once the 101 is written (as Node does).
    protocol: Result<u8, verify::ErrorCode>,
    /// The handshake request of a session opened over WebSocket.
    request: Option<Box<super::HandshakeRequest>>,
}

async fn after_upgrade(shared: Arc<Shared>, mut io: TokioIo<Upgraded>, after: AfterUpgrade) {
    let AfterUpgrade {
        route,
        b64,
        protocol,
        request,
    } = after;
    // `supportsBinary = !req._query.b64`, per transport.
    let supports_binary = Framing::new(4, b64.as_deref()).supports_binary;
    let config = ws_config(shared.config.max_http_buffer_size);
    let config = match shared
        .config
        .fault
        .is(crate::fault::Fault::WsLimitUnenforced)
    {
        true => ws_config(64 << 20),
        false => config,
    };
    match (route, request) {
        (
            Verified::Handshake {
                transport: TransportKind::WebSocket,
            },
            Some(request),
        ) => {
            // Node checks the EIO revision only after ws.handleUpgrade: the refusal is written
            // as raw HTTP on the upgraded socket.
            let protocol = match protocol {
                Ok(protocol) => protocol,
                Err(code) => {
                    let _ = io.write_all(&http::raw_refusal_bytes(code.message())).await;
                    let _ = io.shutdown().await;
                    return;
                }
            };
            let ws =
                WebSocketStream::from_raw_socket(ReadAhead::new(io), Role::Server, Some(config))
                    .await;
            let id = WsId(shared.next_id());
            let (tx, rx) = queue::queue();
            let session = Session::open_websocket_with(
                crate::sid::generate(),
                shared.session_cfg.clone(),
                Framing::new(protocol, b64.as_deref()),
                Instant::now(),
                id,
            );
            let entry = shared.create(session, None, Some((id, tx)), *request);
            pump(shared, entry, id, ws, rx).await;
        }
        (
            Verified::Existing {
                sid,
                transport: TransportKind::WebSocket,
            },
            _,
        ) => {
            let ws =
                WebSocketStream::from_raw_socket(ReadAhead::new(io), Role::Server, Some(config))
                    .await;
            let id = WsId(shared.next_id());
            let (tx, rx) = queue::queue();
            let entry = shared.lookup(&sid);
            let started = entry.as_ref().and_then(|entry| {
                shared.drive_after_timers(entry, |e, now| {
                    e.sockets.insert(id, tx);
                    e.session.ws_upgrade_request_with(now, id, supports_binary);
                })
            });
            match (entry, started) {
                (Some(entry), Some(())) => pump(shared, entry, id, ws, rx).await,
                // "upgrade attempt for closed client" → websocket.close().
                _ => Box::pin(close_and_drain(ws, None)).await,
            }
        }
        // "transport doesn't handle upgraded requests" → websocket.close().
        _ => {
            let ws =
                WebSocketStream::from_raw_socket(ReadAhead::new(io), Role::Server, Some(config))
                    .await;
            Box::pin(close_and_drain(ws, None)).await;
        }
    }
}

/// The close code `ws` sends for a receive error, if it sends one.
fn error_close_code(e: &WsError) -> Option<CloseCode> {
    match e {
        WsError::Capacity(_) => Some(CloseCode::Size),
        WsError::Utf8(_) => Some(CloseCode::Invalid),
        WsError::Protocol(_) => Some(CloseCode::Protocol),
        _ => None,
    }
}

/// The WebSocket message for one command (`None` for a close, or bytes that cannot be text).
fn to_message(cmd: WsCommand) -> Option<Message> {
    match cmd {
        WsCommand::Send(Frame::Text(t)) => Some(Message::text(t)),
        WsCommand::Send(Frame::Binary(b)) => Some(Message::binary(b)),
        // The shared bytes go out as they are: a reference-count bump, no copy.
        WsCommand::SendShared(m) if m.is_binary() => Some(Message::Binary(m.frame_bytes().clone())),
        WsCommand::SendShared(m) => Utf8Bytes::try_from(m.frame_bytes().clone())
            .ok()
            .map(Message::Text),
        WsCommand::Close => None,
    }
}

/// Writes a batch of commands: every frame before a close is fed into tungstenite's write
/// buffer and flushed once (one syscall for what the session queued together). Returns
/// `Err(true)` if the session closed the connection, `Err(false)` if writing failed.
async fn write_batch(ws: &mut Ws, batch: &mut Vec<WsCommand>) -> Result<(), bool> {
    let mut closed = false;
    let mut fed = false;
    for cmd in batch.drain(..) {
        if closed {
            continue;
        }
        if matches!(cmd, WsCommand::Close) {
            closed = true;
            continue;
        }
        if let Some(msg) = to_message(cmd) {
            if ws.feed(msg).await.is_err() {
                return Err(false);
            }
            fed = true;
        }
    }
    if fed && ws.flush().await.is_err() {
        return Err(false);
    }
    if closed { Err(true) } else { Ok(()) }
}

/// Carries frames both ways until the connection ends or the session closes it.
async fn pump(
    shared: Arc<Shared>,
    entry: EntryRef,
    id: WsId,
    mut ws: Ws,
    mut rx: queue::Receiver<WsCommand>,
) {
    let mut batch = Vec::new();
    let read_side = Arc::new(ReadSide::default());
    let read_waker = Waker::from(read_side.clone());
    let end = loop {
        tokio::select! {
            more = rx.recv_all(&mut batch) => {
                let written = write_batch(&mut ws, &mut batch).await;
                // Give back a burst's room: an idle connection keeps none.
                batch = Vec::new();
                match (more, written) {
                    (true, Ok(())) => {}
                    (_, Err(false)) => break WsEnd::Closed,
                    // The session closed this connection (or forgot it).
                    (false, _) | (_, Err(true)) => {
                        Box::pin(close_and_drain(ws, None)).await;
                        return;
                    }
                }
            },
            msg = next_read(&mut ws, &read_side, &read_waker) => {
                // Only small values cross the awaits below: tungstenite's error type is large
                // and would otherwise take room in every connection's task.
                let (burst, stop) = read_burst(&mut ws, msg);
                if !burst.is_empty() {
                    feed(&shared, &entry, id, burst);
                }
                match stop {
                    Stop::No => {}
                    Stop::Ended => break WsEnd::Closed,
                    Stop::Failed(code) => {
                        shared.drive(&entry, |e, now| e.session.ws_closed(now, id, WsEnd::Error));
                        Box::pin(close_after_error(ws, code)).await;
                        return;
                    }
                }
            }
        }
    };
    shared.drive(&entry, |e, now| e.session.ws_closed(now, id, end));
}

/// The read side's own waker. The pump is one task, woken for what its session queued as much
/// as for what its peer sent; most wakeups of a busy connection are writes (a broadcast's
/// frames), and polling the WebSocket's read side after each of them (through tungstenite, the
/// upgraded connection's layers and tokio's readiness lock) found nothing to read. The read
/// side is polled with this waker instead, and only when it was woken since (or when its last
/// poll returned something: more may be buffered). tokio-tungstenite wakes a stream's waker for
/// any readiness of the connection, read or write, so a read that waits on a write (a close
/// reply) is not missed.
struct ReadSide {
    /// Woken since the read side was last polled (or never polled yet).
    woken: AtomicBool,
    /// The pump task, woken with it.
    task: AtomicWaker,
}

impl Default for ReadSide {
    fn default() -> ReadSide {
        ReadSide {
            woken: AtomicBool::new(true),
            task: AtomicWaker::new(),
        }
    }
}

impl Wake for ReadSide {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, AtomicOrdering::Release);
        self.task.wake();
    }
}

/// The next message of `ws`, its read side polled only when `side` was woken (see
/// [`ReadSide`]); `waker` is `side`'s.
fn next_read<'a>(
    ws: &'a mut Ws,
    side: &'a ReadSide,
    waker: &'a Waker,
) -> impl Future<Output = Option<Result<Message, WsError>>> + 'a {
    std::future::poll_fn(move |cx| {
        // Registered before the flag is read: a wake in between is seen either way.
        side.task.register(cx.waker());
        if !side.woken.swap(false, AtomicOrdering::AcqRel) {
            return Poll::Pending;
        }
        let polled = ws.poll_next_unpin(&mut Context::from_waker(waker));
        if polled.is_ready() {
            // More may be buffered already; `read_burst` also polls with a no-op waker.
            side.woken.store(true, AtomicOrdering::Release);
        }
        polled
    })
}

/// Whether reading goes on after a burst.
enum Stop {
    No,
    /// The peer closed, the connection ended, or an I/O error (no close frame is sent).
    Ended,
    /// A protocol error: `ws` sends this close code.
    Failed(CloseCode),
}

/// `first` and every message already received behind it (at most [`MAX_BURST`]).
///
/// Node's `ws` emits every message of one socket read in the same tick, before any deferred
/// work (a Socket.IO join) runs: the messages already received are one input, so the
/// application gets them as one batch.
fn read_burst(ws: &mut Ws, first: Option<Result<Message, WsError>>) -> (Vec<WsMessage>, Stop) {
    let mut burst = Vec::new();
    let mut next = Some(first);
    while let Some(msg) = next.take() {
        match msg {
            Some(Ok(Message::Text(t))) => burst.push(WsMessage::Text(t.as_str().to_owned())),
            Some(Ok(Message::Binary(b))) => burst.push(WsMessage::Binary(b.to_vec())),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            // The peer's close: tungstenite answers it; the stream ends next.
            Some(Ok(Message::Close(_))) => {}
            Some(Err(e)) => {
                let stop = match error_close_code(&e) {
                    Some(code) => {
                        tracing::debug!(error = %e, "WebSocket protocol error: closing");
                        Stop::Failed(code)
                    }
                    None => Stop::Ended,
                };
                return (burst, stop);
            }
            None => return (burst, Stop::Ended),
        }
        if burst.len() < MAX_BURST {
            next = ws.next().now_or_never();
        }
    }
    (burst, Stop::No)
}

/// At most this many received messages make one input.
const MAX_BURST: usize = 64;

fn feed(shared: &Arc<Shared>, entry: &EntryRef, id: WsId, burst: Vec<WsMessage>) {
    shared.drive(entry, |e, now| {
        for msg in burst {
            e.session.ws_message(now, id, msg);
        }
    });
}

/// After a receive error (a frame over the limit, bad UTF-8, a protocol violation) `ws` sends
/// its close frame, ends its side of the TCP connection at once (`socket.end()`: the receiver
/// has errored, so no close handshake is awaited) and keeps reading, discarding what arrives,
/// until the peer closes. Dropping the connection at once would leave the rest of, say, a
/// too-large frame unread, and the kernel would answer it with a reset: the peer would see a
/// failed write instead of the close code.
async fn close_after_error(mut ws: Ws, code: CloseCode) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let frame = CloseFrame {
        code,
        reason: "".into(),
    };
    if ws.close(Some(frame)).await.is_err() {
        return;
    }
    // The WebSocket layer has already failed: read the raw stream underneath it.
    let io = ws.get_mut();
    // FIN after the close frame, as `ws` does; without it the peer waits CLOSE_TIMEOUT.
    let _ = io.shutdown().await;
    // On the heap: this future is part of every connection's task, most never get here.
    let mut discard = vec![0u8; 4096];
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Ok(n) = io.read(&mut discard).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// Sends a close frame (`None`: no status code, so the peer sees 1005) and waits, bounded, for
/// the peer's close before dropping the connection.
async fn close_and_drain(mut ws: Ws, code: Option<CloseCode>) {
    let frame = code.map(|code| CloseFrame {
        code,
        reason: "".into(),
    });
    if ws.close(frame).await.is_err() {
        return;
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}
