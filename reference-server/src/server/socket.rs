//! The application API: an [`EngineSocket`] handle to send and close, and a [`Connection`] that
//! receives the session's events (messages, upgrade, close with Node's reason). The Socket.IO
//! layer sits on this: it reads `Message`s and feeds them to its decoder.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use axum::body::Body;
use axum::http::{HeaderMap, Request, Uri};
use sio_protocol::engineio::Data;

use super::{Entry, EventBatch, Shared, lock, queue};
use crate::session::{SharedMessage, TransportKind};

/// What the application hears about a session (the session's [`crate::session::Event`]).
pub use crate::session::Event as SocketEvent;

/// A handle to one session, cheap to clone. It does not keep the session alive: once the
/// session closed, sends are dropped and [`EngineSocket::is_open`] is false.
#[derive(Clone)]
pub struct EngineSocket {
    sid: Arc<str>,
    entry: Weak<Mutex<Entry>>,
    shared: Weak<Shared>,
}

impl std::fmt::Debug for EngineSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSocket")
            .field("sid", &self.sid)
            .finish()
    }
}

impl EngineSocket {
    pub(super) fn new(
        sid: String,
        entry: Weak<Mutex<Entry>>,
        shared: Weak<Shared>,
    ) -> EngineSocket {
        EngineSocket {
            sid: sid.into(),
            entry,
            shared,
        }
    }

    /// The session id (the `sid` of the handshake).
    pub fn id(&self) -> &str {
        &self.sid
    }

    fn with<R>(&self, f: impl FnOnce(&mut Entry, Instant) -> R) -> Option<R> {
        let (entry, shared) = (self.entry.upgrade()?, self.shared.upgrade()?);
        shared.drive(&entry, f)
    }

    /// Sends a `message` (text or binary). Returns false if the session is gone.
    pub fn send(&self, data: Data) -> bool {
        self.with(|e, now| e.session.send(now, data)).is_some()
    }

    /// Sends pre-encoded shared messages as consecutive packets (nothing else is written between
    /// them). Returns false if the session is gone.
    pub fn send_shared(&self, messages: &[SharedMessage]) -> bool {
        self.with(|e, now| e.session.send_shared(now, messages))
            .is_some()
    }

    /// Runs `f` with the session corked: whatever is sent meanwhile (by `f`, or by anyone else)
    /// is flushed together when `f` returns, so a GET that arrives in between cannot take part
    /// of it. Node gets this from running one step in one tick (the CONNECT reply and what the
    /// `connection` handlers emit synchronously reach the next GET together). `f` must not
    /// wait: nothing is written until it returns. Nested calls flush at the outermost end.
    pub fn batch<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Uncork<'a>(&'a EngineSocket);
        impl Drop for Uncork<'_> {
            fn drop(&mut self) {
                self.0.with(|e, now| e.session.uncork(now));
            }
        }
        self.with(|e, _| e.session.cork());
        let _uncork = Uncork(self);
        f()
    }

    /// Whether the transport can write right away (Node's `transport.writable`; volatile
    /// packets are dropped when it cannot).
    pub fn is_writable(&self) -> bool {
        self.entry.upgrade().is_some_and(|e| {
            let e = lock(&e);
            !e.session.is_closed() && e.session.is_writable()
        })
    }

    /// Sends a text `message`.
    pub fn send_text(&self, text: impl Into<String>) -> bool {
        self.send(Data::Text(text.into()))
    }

    /// Sends a binary `message`.
    pub fn send_binary(&self, bytes: impl Into<Vec<u8>>) -> bool {
        self.send(Data::Binary(bytes.into()))
    }

    /// Closes the session (`socket.close()`): buffered packets are written first; the close
    /// reason is "forced close".
    pub fn close(&self) {
        self.with(|e, now| e.session.close(now));
    }

    /// The application has handled the events of `batches` batches that asked for it (see
    /// [`Connection::recv_batch`]).
    fn application_done(&self, batches: u32) {
        self.with(|e, now| {
            for _ in 0..batches {
                e.session.application_done(now);
            }
        });
    }

    /// The Engine.IO protocol revision of the session (4, or 3), while it is open.
    pub fn protocol(&self) -> Option<u8> {
        let entry = self.entry.upgrade()?;
        let e = lock(&entry);
        (!e.session.is_closed()).then(|| e.session.protocol())
    }

    /// Whether the session is still open.
    pub fn is_open(&self) -> bool {
        self.entry
            .upgrade()
            .is_some_and(|e| !lock(&e).session.is_closed())
    }

    /// The current transport, while the session is open.
    pub fn transport(&self) -> Option<TransportKind> {
        let entry = self.entry.upgrade()?;
        let e = lock(&entry);
        (!e.session.is_closed()).then(|| e.session.transport())
    }
}

/// What the handshake request carried (Node's `socket.request`, `req._query`).
#[derive(Debug, Clone)]
pub struct HandshakeRequest {
    /// The request target.
    pub uri: Uri,
    /// The request headers.
    pub headers: HeaderMap,
    /// The query parameters in first-appearance order, the last value of a repeated key winning
    /// (`Object.fromEntries(new URL(url).searchParams)`).
    pub query: Vec<(String, String)>,
    /// The transport of the handshake.
    pub transport: TransportKind,
}

impl HandshakeRequest {
    pub(super) fn new(req: &Request<Body>, transport: TransportKind) -> HandshakeRequest {
        HandshakeRequest {
            uri: detached_uri(req.uri()),
            headers: detached_headers(req.headers()),
            query: {
                // Kept for the session's life: no spare room.
                let mut query = crate::query::parse_ordered(req.uri().query().unwrap_or(""));
                query.shrink_to_fit();
                query
            },
            transport,
        }
    }

    /// The Engine.IO revision of the session this request opened (`computeProtocolRevision`:
    /// `EIO=4` is 4, anything else 3, which only an `allow_eio3` engine accepts).
    pub fn protocol(&self) -> u8 {
        if self.query_param("EIO") == Some("4") {
            4
        } else {
            3
        }
    }

    /// A query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A copy of `headers` that owns its bytes. hyper parses header values as slices of the
/// connection's read buffer (8–16 KiB): a plain clone, kept for the session's life, would keep
/// that whole buffer alive for every connection (measured: about 16 KiB per idle WebSocket).
fn detached_headers(headers: &HeaderMap) -> HeaderMap {
    let mut copy = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        // Copies the bytes (`from_bytes` allocates); a value valid in `headers` stays valid.
        let mut owned =
            axum::http::HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        owned.set_sensitive(value.is_sensitive());
        copy.append(name.clone(), owned);
    }
    copy
}

/// A copy of `uri` that owns its bytes (the request target is a slice of the read buffer too).
fn detached_uri(uri: &Uri) -> Uri {
    Uri::from_maybe_shared(bytes::Bytes::copy_from_slice(uri.to_string().as_bytes()))
        .unwrap_or_else(|_| uri.clone())
}

/// A new session, as handed to the engine's connection handler.
pub struct Connection {
    socket: EngineSocket,
    events: queue::Receiver<EventBatch>,
    pending: VecDeque<SocketEvent>,
    /// How many of the batches last taken asked the application to handle them before the
    /// session goes on: the session is told when the application asks for more.
    await_application: u32,
    request: Arc<HandshakeRequest>,
}

impl Connection {
    pub(super) fn new(
        socket: EngineSocket,
        events: queue::Receiver<EventBatch>,
        request: Arc<HandshakeRequest>,
    ) -> Connection {
        Connection {
            socket,
            events,
            pending: VecDeque::new(),
            await_application: 0,
            request,
        }
    }

    /// Asking for more means the previous batches were handled.
    fn handled(&mut self) {
        let n = std::mem::take(&mut self.await_application);
        if n > 0 {
            self.socket.application_done(n);
        }
    }

    /// The next batch: the events of one input of the session (one WebSocket read, one POST
    /// body), never merged with the next one. Node handles one read in one tick and runs what
    /// it deferred (`process.nextTick`, e.g. the end of a Socket.IO join) before the next read:
    /// keeping inputs apart here is what lets an application do the same, even when several
    /// are queued because it was busy (or ran on another thread than the reader).
    async fn next_batch(&mut self) -> Option<Vec<SocketEvent>> {
        self.handled();
        let batch = self.events.recv().await?;
        self.await_application = u32::from(batch.await_application);
        Some(batch.events)
    }

    /// The handle to send and close.
    pub fn socket(&self) -> &EngineSocket {
        &self.socket
    }

    /// The handshake request.
    pub fn request(&self) -> &Arc<HandshakeRequest> {
        &self.request
    }

    /// The next event; `None` after the `Close` event has been taken.
    pub async fn recv(&mut self) -> Option<SocketEvent> {
        loop {
            if let Some(ev) = self.pending.pop_front() {
                return Some(ev);
            }
            // A batch may be empty (it only asks for the application's turn).
            let batch = self.next_batch().await?;
            self.pending.extend(batch);
        }
    }

    /// The next message, text or binary, skipping the other events (an upgrade); `None` once
    /// the session closed. The loop to write for an echo: `while let Some(data) =
    /// conn.recv_message().await { conn.socket().send(data); }`.
    pub async fn recv_message(&mut self) -> Option<Data> {
        loop {
            match self.recv().await? {
                SocketEvent::Message(data) => return Some(data),
                SocketEvent::Upgrade => continue,
                SocketEvent::Close { .. } => return None,
            }
        }
    }

    /// The events produced by one input of the session, together (every packet of one POST
    /// body, every WebSocket message of one read: Node handles them in one go, before any
    /// `process.nextTick` callback), one input per call: the end of a batch is the end of a
    /// read. `None` after the `Close` event has been taken.
    pub async fn recv_batch(&mut self) -> Option<Vec<SocketEvent>> {
        if !self.pending.is_empty() {
            return Some(self.pending.drain(..).collect());
        }
        self.next_batch().await
    }
}
