//! The adapters around the sans-IO sessions: the only code that touches sockets and timers.
//!
//! One [`Engine`] holds a table of sessions, each an [`Entry`] (the [`Session`] plus the
//! channels to the requests and WebSocket connections it talks to) behind its own mutex. Every
//! input locks one entry, feeds the session with `Instant::now()`, and [`Shared::dispatch`]es
//! the outputs while the lock is held, so outputs leave in the order the session produced them.
//! Wakeup windows ([`Wakeup`]) go to one timer driver for all sessions ([`timer`]).
//!
//! - [`polling`]: GET/POST/other requests for polling sessions.
//! - [`websocket`]: the upgrade handshake and the per-connection frame pump.
//! - [`http`]: responses with Node's status codes, headers and bodies.
//! - [`socket`]: the application API ([`EngineSocket`], [`Connection`]).

mod http;
mod polling;
mod queue;
mod read_ahead;
mod socket;
mod timer;
mod websocket;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request};
use axum::response::Response;
use futures_util::future::BoxFuture;
use tokio::sync::oneshot;

use crate::config::EngineConfig;
use crate::query;
use crate::session::{HttpReply, Output, RequestId, Session, SessionConfig, Wakeup, WsId};
use crate::verify::{self, RequestView, SessionView, Verified};

pub use socket::{Connection, EngineSocket, HandshakeRequest, SocketEvent};

/// What a WebSocket pump is told to do.
#[derive(Debug)]
pub(crate) enum WsCommand {
    /// Send one frame.
    Send(sio_protocol::engineio::Frame),
    /// Send one shared message (its bytes are not copied).
    SendShared(crate::session::SharedMessage),
    /// Close without a status code.
    Close,
}

/// One session and the channels it talks through.
pub(crate) struct Entry {
    pub(crate) session: Session,
    /// Held requests, answered by `Output::Respond`.
    waiters: HashMap<RequestId, oneshot::Sender<HttpReply>>,
    /// WebSocket connections of this session (current, and one being upgraded).
    sockets: HashMap<WsId, queue::Sender<WsCommand>>,
    /// Events for the application, one batch per input (a POST body's packets arrive together).
    events: queue::Sender<EventBatch>,
    /// The wakeup the timer driver holds for this entry, if any. Its `latest` is never later
    /// than the session's own (an earlier one is sent to the driver at once); it may be earlier
    /// (a deadline that moved later), and the driver then finds it stale.
    scheduled: Option<Wakeup>,
}

type EntryRef = Arc<Mutex<Entry>>;

/// What [`Shared::revalidate`] found.
pub(crate) enum Revalidated {
    /// The wakeup held is the session's own.
    Current,
    /// Nothing to wake for under it: drop it.
    Stale,
    /// The session's window moved (later): queue this one instead.
    Moved(Wakeup),
}

/// The events of one input, and whether the session waits for the application to have handled
/// them ([`crate::session::Output::AwaitApplication`]).
pub(crate) struct EventBatch {
    pub(crate) events: Vec<SocketEvent>,
    pub(crate) await_application: bool,
}

type ConnectionHandler = dyn Fn(Connection) + Send + Sync;

/// State shared by the handlers, the pumps and the timer driver.
pub(crate) struct Shared {
    config: EngineConfig,
    session_cfg: SessionConfig,
    sessions: Mutex<HashMap<String, EntryRef>>,
    timer: timer::TimerHandle,
    next_id: AtomicU64,
    on_connection: Box<ConnectionHandler>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn lookup(&self, sid: &str) -> Option<EntryRef> {
        lock(&self.sessions).get(sid).cloned()
    }

    /// Registers a new session, carries out its first outputs, and hands the application its
    /// [`Connection`] (Node's `connection` event fires after the open packet is written).
    fn create(
        self: &Arc<Self>,
        session: Session,
        waiter: Option<(RequestId, oneshot::Sender<HttpReply>)>,
        ws: Option<(WsId, queue::Sender<WsCommand>)>,
        request: HandshakeRequest,
    ) -> EntryRef {
        let (events, rx) = queue::queue();
        let sid = session.sid().to_owned();
        let entry = Arc::new(Mutex::new(Entry {
            session,
            waiters: waiter.into_iter().collect(),
            sockets: ws.into_iter().collect(),
            events,
            scheduled: None,
        }));
        lock(&self.sessions).insert(sid.clone(), entry.clone());
        {
            let mut e = lock(&entry);
            self.dispatch(&entry, &mut e);
        }
        {
            let e = lock(&entry);
            tracing::info!(
                sid = %sid,
                transport = e.session.transport().name(),
                protocol = e.session.protocol(),
                "engine session opened"
            );
        }
        let socket = EngineSocket::new(sid, Arc::downgrade(&entry), Arc::downgrade(self));
        (self.on_connection)(Connection::new(socket, rx, Arc::new(request)));
        entry
    }

    /// Runs `f` on the entry with the current time and carries out the outputs. Returns `None`
    /// if the session had closed already.
    fn drive<R>(
        self: &Arc<Self>,
        entry: &EntryRef,
        f: impl FnOnce(&mut Entry, Instant) -> R,
    ) -> Option<R> {
        self.drive_with(entry, false, f)
    }

    /// [`Shared::drive`] for a request that carries nothing the session waits for (a polling
    /// GET, an upgrade): the timers already due run first, so that it finds the session as they
    /// leave it (closed after a missed pong, say), however late the timer driver's task is
    /// scheduled. Node's event loop runs due timers before the I/O of the same turn; the
    /// official suites send a GET exactly pingInterval + pingTimeout after the handshake and
    /// expect 400. Not for what may carry a pong (a POST, a WebSocket message): on a loaded
    /// machine that would cut off a client whose pong arrived in time but was read late.
    fn drive_after_timers<R>(
        self: &Arc<Self>,
        entry: &EntryRef,
        f: impl FnOnce(&mut Entry, Instant) -> R,
    ) -> Option<R> {
        self.drive_with(entry, true, f)
    }

    /// [`Shared::drive`], running the timers already due first when `timers_first`.
    fn drive_with<R>(
        self: &Arc<Self>,
        entry: &EntryRef,
        timers_first: bool,
        f: impl FnOnce(&mut Entry, Instant) -> R,
    ) -> Option<R> {
        let mut e = lock(entry);
        if e.session.is_closed() {
            return None;
        }
        let now = Instant::now();
        if timers_first && e.session.next_deadline().is_some_and(|due| due <= now) {
            e.session.handle_timeout(now);
            if e.session.is_closed() {
                // The timer's close still has outputs to carry out (a held GET's answer).
                self.dispatch(entry, &mut e);
                return None;
            }
        }
        let r = f(&mut e, now);
        self.dispatch(entry, &mut e);
        Some(r)
    }

    /// The driver's wakeup `at` for `entry` came due. Returns the entry's next wakeup for the
    /// driver to queue itself (the driver is the caller: no message to its own channel).
    fn fire(self: &Arc<Self>, entry: &EntryRef, at: Wakeup) -> Option<Wakeup> {
        let mut e = lock(entry);
        if e.scheduled != Some(at) {
            return None; // superseded by an earlier wakeup
        }
        e.scheduled = None;
        e.session.handle_timeout(Instant::now());
        self.settle(entry, &mut e)
    }

    /// The driver is about to sleep until `at` for `entry`: whether that wakeup still stands.
    /// A session whose timers moved later (a pong came) gets its current window instead, so
    /// that the driver does not wake for nothing (it would, at the old pong deadline, once per
    /// session and interval: those deadlines are exact, so they no longer share wakeups).
    fn revalidate(&self, entry: &EntryRef, at: Wakeup) -> Revalidated {
        let mut e = lock(entry);
        if e.scheduled != Some(at) {
            return Revalidated::Stale; // superseded: the driver holds the newer one
        }
        match e.session.next_wakeup() {
            Some(now) if now == at => Revalidated::Current,
            Some(now) => {
                e.scheduled = Some(now);
                Revalidated::Moved(now)
            }
            None => {
                e.scheduled = None;
                Revalidated::Stale
            }
        }
    }

    /// Carries out every pending output, forgets a closed session, and tells the timer driver
    /// about the next wakeup if it must come earlier than the one it holds.
    fn dispatch(&self, entry: &EntryRef, e: &mut Entry) {
        if let Some(wakeup) = self.settle(entry, e) {
            self.timer.schedule(wakeup, Arc::downgrade(entry));
        }
    }

    /// [`Shared::dispatch`] but for the wakeup: returns it (recorded as scheduled) when the
    /// driver must be told, instead of telling it.
    fn settle(&self, entry: &EntryRef, e: &mut Entry) -> Option<Wakeup> {
        let mut events = Vec::new();
        let mut await_application = false;
        while let Some(out) = e.session.poll_output() {
            match out {
                Output::Respond { req, reply } => {
                    if let Some(tx) = e.waiters.remove(&req) {
                        let _ = tx.send(reply);
                    }
                }
                Output::WsSend { ws, frame } => {
                    if let Some(tx) = e.sockets.get(&ws) {
                        let _ = tx.send(WsCommand::Send(frame));
                    }
                }
                Output::WsSendShared { ws, message } => {
                    if let Some(tx) = e.sockets.get(&ws) {
                        let _ = tx.send(WsCommand::SendShared(message));
                    }
                }
                Output::WsClose { ws } => {
                    if let Some(tx) = e.sockets.remove(&ws) {
                        let _ = tx.send(WsCommand::Close);
                    }
                }
                Output::Event(ev) => {
                    log_event(e.session.sid(), &ev);
                    events.push(ev);
                }
                Output::AwaitApplication => await_application = true,
            }
        }
        if !events.is_empty() || await_application {
            let batch = EventBatch {
                events,
                await_application,
            };
            // Nobody listens any more: nothing can close the session first.
            if e.events.send(batch).is_err() && await_application {
                e.session.application_done(Instant::now());
                return self.settle(entry, e);
            }
        }
        if e.session.is_closed() {
            let mut sessions = lock(&self.sessions);
            if sessions
                .get(e.session.sid())
                .is_some_and(|x| Arc::ptr_eq(x, entry))
            {
                sessions.remove(e.session.sid());
            }
            e.waiters.clear();
            e.sockets.clear();
        } else if let Some(wakeup) = e.session.next_wakeup()
            && e.scheduled.is_none_or(|s| wakeup.latest < s.latest)
        {
            // Only an earlier `latest` is news: the wakeup held is due no later, and when it
            // comes the session does whatever is due by then (its ping within the slack).
            e.scheduled = Some(wakeup);
            return Some(wakeup);
        }
        None
    }

    /// Handles one request under the engine's path.
    async fn handle(self: Arc<Self>, req: Request<Body>) -> Response {
        let headers = req.headers();
        let origin = header_str(headers, "origin").map(str::to_owned);
        let cors = self
            .config
            .cors
            .as_ref()
            .map(|c| crate::cors::simple_headers(c, origin.as_deref()));
        // The cors middleware answers preflights before engine.io sees the request.
        if let Some(cfg) = &self.config.cors
            && req.method() == Method::OPTIONS
        {
            let requested = header_str(headers, "access-control-request-headers");
            return http::preflight(crate::cors::preflight_headers(
                cfg,
                origin.as_deref(),
                requested,
            ));
        }
        let query = query::parse(req.uri().query().unwrap_or(""));
        let upgrade = is_upgrade(headers);
        let view = RequestView {
            method: req.method().as_str(),
            query: &query,
            origin: headers.get("origin").map(|v| v.as_bytes()),
            upgrade,
        };
        let verified = verify::verify(view, &self.config, |sid| {
            self.lookup(sid).map(|e| {
                let e = lock(&e);
                SessionView {
                    transport: e.session.transport(),
                    protocol: e.session.protocol(),
                }
            })
        });
        let cors = cors.unwrap_or_default();
        if let Err(refusal) = &verified {
            log_refusal(refusal, upgrade);
        }
        match verified {
            Err(refusal) if upgrade => http::upgrade_refusal(refusal.code.message()),
            Err(refusal) => http::with_headers(http::error_json(refusal.code), &cors),
            Ok(route) if upgrade => websocket::handle(self, req, route, query, cors).await,
            Ok(Verified::Handshake { .. }) => {
                let resp = match verify::check_protocol(&query, &self.config) {
                    Err(code) => http::error_json(code),
                    Ok(protocol) => {
                        let request = HandshakeRequest::new(&req, crate::TransportKind::Polling);
                        let b64 = query.get("b64").map(String::as_str);
                        let framing = crate::session::Framing::new(protocol, b64);
                        polling::handshake(&self, req, request, framing).await
                    }
                };
                http::with_headers(resp, &cors)
            }
            Ok(Verified::Existing { sid, .. }) => {
                let resp = polling::request(&self, req, &sid).await;
                http::with_headers(resp, &cors)
            }
        }
    }
}

/// Logs the session events worth a line: the close with Node's reason (info), the upgrade
/// (debug). Messages are per packet: trace only.
fn log_event(sid: &str, ev: &crate::session::Event) {
    use crate::session::Event;
    match ev {
        Event::Close {
            reason,
            description,
        } => {
            tracing::info!(
                sid,
                reason = reason.as_str(),
                description,
                "engine session closed"
            )
        }
        Event::Upgrade => tracing::debug!(sid, "engine session upgraded to websocket"),
        Event::Message(_) => tracing::trace!(sid, "message"),
    }
}

/// Logs a refused request at debug: a client's protocol error, not the server's.
fn log_refusal(refusal: &verify::Refusal, upgrade: bool) {
    tracing::debug!(
        code = refusal.code.code(),
        name = refusal.name,
        upgrade,
        "request refused: {}",
        refusal.code.message()
    );
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Node's `upgrade` event: a `Connection: upgrade` token and an `Upgrade` header.
fn is_upgrade(headers: &HeaderMap) -> bool {
    let connection_upgrade = headers
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"));
    connection_upgrade && headers.contains_key("upgrade")
}

/// An Engine.IO v4 server: mount [`Engine::router`] (or [`Engine::service`]) into an axum app.
///
/// May be created outside a tokio runtime: its timer driver starts with the first session.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

impl Engine {
    /// An engine that calls `on_connection` for every new session, right after its open packet.
    pub fn new(
        config: EngineConfig,
        on_connection: impl Fn(Connection) + Send + Sync + 'static,
    ) -> Engine {
        let shared = Arc::new_cyclic(|weak: &Weak<Shared>| Shared {
            session_cfg: config.session_config(),
            // Every session of this engine has this configuration: no wakeup window is wider.
            timer: timer::spawn(weak.clone(), config.session_config().effective_ping_slack()),
            config,
            sessions: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            on_connection: Box::new(on_connection),
        });
        Engine { shared }
    }

    /// The options this engine runs with.
    pub fn config(&self) -> &EngineConfig {
        &self.shared.config
    }

    /// Closes every open session (`engine.close()`): buffered packets are written first, the
    /// reason is "forced close".
    pub fn close(&self) {
        let entries: Vec<EntryRef> = lock(&self.shared.sessions).values().cloned().collect();
        for entry in entries {
            self.shared.drive(&entry, |e, now| e.session.close(now));
        }
    }

    /// How many sessions are open.
    pub fn session_count(&self) -> usize {
        lock(&self.shared.sessions).len()
    }

    /// Whether session `sid` is open.
    pub fn has_session(&self, sid: &str) -> bool {
        self.shared.lookup(sid).is_some()
    }

    /// Whether session `sid` holds a polling GET (diagnostics; lets tests wait for the
    /// server's side of a long poll instead of sleeping).
    pub fn has_held_get(&self, sid: &str) -> bool {
        self.shared
            .lookup(sid)
            .is_some_and(|e| lock(&e).session.has_held_get())
    }

    /// Whether session `sid` has an upgrade to WebSocket under way (diagnostics; lets tests
    /// watch the upgrade timeout from the server's side).
    pub fn is_upgrading(&self, sid: &str) -> bool {
        self.shared
            .lookup(sid)
            .is_some_and(|e| lock(&e).session.is_upgrading())
    }

    /// A router serving the engine at `config.path` and everything under it (Node's prefix
    /// match), to `merge` into an application router.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let path = self.shared.config.path.trim_end_matches('/').to_owned();
        Router::new()
            .route_service(&format!("{path}/"), self.service())
            .route_service(&format!("{path}/{{*rest}}"), self.service())
    }

    /// The engine as a tower service that treats every request it gets as an engine request
    /// (for `Router::nest_service` or `fallback_service`).
    pub fn service(&self) -> EngineService {
        EngineService {
            shared: self.shared.clone(),
        }
    }
}

/// [`Engine`] as a `tower::Service`.
#[derive(Clone)]
pub struct EngineService {
    shared: Arc<Shared>,
}

impl tower::Service<Request<Body>> for EngineService {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move { Ok(shared.handle(req).await) })
    }
}
