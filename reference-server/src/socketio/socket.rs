//! A socket: one client's membership of one namespace (Node's server-side `Socket`). It holds
//! the handshake, `data`, event handlers, pending server acks, and implements `_onpacket`,
//! `emit`, `join`/`leave`, `disconnect` and `_onclose` with Node's ordering:
//!
//! ```text
//! CONNECT ok   connected, join(own id), write 40{…}, then the connection handlers
//! event        handler(socket, args, ack?)            unknown event → nothing
//! ack          the pending callback, once              unknown id → ignored
//! close        disconnecting handlers (rooms still known) → persist (recovery) → leave all
//!              rooms, leave the namespace and the client → disconnect handlers
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use futures_util::future::BoxFuture;
use indexmap::IndexSet;
use sio_protocol::socketio::{Message, PacketType};

use super::ack::{AckCallback, AckSender, SocketEmitter, once};
use super::adapter::{BroadcastFlags, BroadcastOptions};
use super::broadcast::BroadcastOperator;
use super::client::ClientInner;
use super::handler::{ErasedHandler, EventContext, EventError, Handler, erase, run_output};
use super::namespace::Namespace;
use super::recovery::PersistedSession;
use super::types::{AckError, DisconnectReason, EmitError, Room, SocketId, check_event};
use super::{IntoRooms, Value, lock, packet, read};
use crate::fault::Fault;
use crate::server::HandshakeRequest;
use crate::session::SharedMessage;

type DisconnectHandler = Arc<dyn Fn(&Socket, DisconnectReason) + Send + Sync>;

/// A socket middleware (`socket.use`): sees every incoming event's name and arguments (it may
/// change them) before the handlers; `Err(message)` stops the event.
pub type EventMiddleware =
    Arc<dyn Fn(&Socket, &str, &mut Vec<Value>) -> Result<(), String> + Send + Sync>;

/// An `async` socket middleware ([`Socket::use_async_middleware`]): given the socket, the
/// event's name and its arguments, it resolves to the arguments to go on with (Node's
/// `next()`), or to a refusal (`next(err)`).
pub type AsyncEventMiddleware = Arc<
    dyn Fn(Socket, String, Vec<Value>) -> BoxFuture<'static, Result<Vec<Value>, String>>
        + Send
        + Sync,
>;

/// A hook for events that reached no handler ([`EventError`]).
pub type ErrorHook = Arc<dyn Fn(&Socket, &EventError) + Send + Sync>;

/// Names one handler added by [`Socket::on`] or [`Socket::on_any`], to remove that one alone
/// with [`Socket::remove_listener`] (Node's `socket.off(event, listener)`, which finds the
/// listener by function identity; closures have none, so `on` hands out this id instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

impl ListenerId {
    /// A process-wide unique id: an id kept from one socket never names another's handler.
    fn next() -> ListenerId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ListenerId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// One socket middleware, synchronous or not, in the order `use_…` added them.
#[derive(Clone)]
enum Middleware {
    Sync(EventMiddleware),
    Async(AsyncEventMiddleware),
}

/// The listeners besides the per-event handlers, most sockets having none.
#[derive(Default)]
struct Listeners {
    any: Vec<(ListenerId, ErasedHandler)>,
    middlewares: Vec<Middleware>,
    errors: Vec<ErrorHook>,
}

/// What the client sent to join (Node's `socket.handshake`).
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The CONNECT payload (`{}` when absent).
    pub auth: Value,
    /// The engine's handshake request (query, headers, transport).
    pub request: Arc<HandshakeRequest>,
    /// When the socket was created.
    pub issued: SystemTime,
}

impl Handshake {
    /// The query parameters of the handshake request, in order.
    pub fn query(&self) -> &[(String, String)] {
        &self.request.query
    }

    /// The headers of the handshake request.
    pub fn headers(&self) -> &axum::http::HeaderMap {
        &self.request.headers
    }

    /// The auth payload as JSON.
    pub fn auth_json(&self) -> serde_json::Value {
        super::args::to_json(&self.auth)
    }
}

pub(crate) struct SocketInner {
    id: SocketId,
    pid: Option<String>,
    nsp: Namespace,
    client: Arc<ClientInner>,
    handshake: Handshake,
    data: Mutex<serde_json::Value>,
    /// By event name, in registration order. A list, not a map: a socket has a handful of
    /// handlers, a scan of a few names is as fast as hashing one, and an empty list or a short
    /// one costs far less memory per socket than a hash table (about 0.5 KiB less with 8).
    /// Several under one name run in registration order, as Node's listeners.
    handlers: RwLock<Vec<(Box<str>, ListenerId, ErasedHandler)>>,
    /// Boxed, made on the first registration: an idle socket with none pays one pointer.
    listeners: RwLock<Option<Box<Listeners>>>,
    disconnecting: RwLock<Vec<DisconnectHandler>>,
    disconnect: RwLock<Vec<DisconnectHandler>>,
    /// The callbacks waiting for the client's answer, by ack id, until the answer, their
    /// timeout or the socket's close.
    acks: Mutex<HashMap<u64, PendingAck>>,
    connected: AtomicBool,
    closed: AtomicBool,
    recovered: bool,
}

/// A socket (cheap to clone).
#[derive(Clone)]
pub struct Socket(Arc<SocketInner>);

/// A handle to a socket that does not keep it alive: for what the socket itself holds (its
/// handlers, its ack callbacks), which would otherwise keep it, and itself, for ever.
#[derive(Clone)]
pub struct WeakSocket(std::sync::Weak<SocketInner>);

impl WeakSocket {
    /// The socket, while anything else holds it.
    pub fn upgrade(&self) -> Option<Socket> {
        self.0.upgrade().map(Socket)
    }
}

/// One callback waiting for its answer. The slot is shared with the callback's timeout task,
/// if it has one, so that the socket's table can let go of it on close while the timeout still
/// fires (Node keeps a closed socket's acks and fires their timeouts). A callback that captures
/// its own socket (as most do, to answer on it) would otherwise keep the socket alive through
/// the socket's own table: dropped with a runtime that never ran the timeout, the two would
/// leak each other.
type PendingAck = Arc<Mutex<Option<AckCallback>>>;

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.0.id)
            .field("nsp", &self.0.nsp.name())
            .finish()
    }
}

/// A restored session's state for a new socket.
pub(crate) struct Restored {
    pub(crate) sid: SocketId,
    pub(crate) pid: String,
    pub(crate) data: serde_json::Value,
}

impl Socket {
    pub(crate) fn new(
        nsp: Namespace,
        client: Arc<ClientInner>,
        auth: Value,
        restored: Option<Restored>,
    ) -> Socket {
        let recovery = nsp.0.recovery.is_some();
        let recovered = restored.is_some();
        let (id, pid, data) = match restored {
            Some(r) => (r.sid, Some(r.pid), r.data),
            None => (
                Socket::fresh_id(&nsp, &client),
                recovery.then(crate::sid::generate),
                serde_json::Value::Object(Default::default()),
            ),
        };
        let handshake = Handshake {
            auth,
            request: client.request().clone(),
            issued: SystemTime::now(),
        };
        Socket(Arc::new(SocketInner {
            id,
            pid,
            nsp,
            client,
            handshake,
            data: Mutex::new(data),
            handlers: RwLock::new(Vec::new()),
            listeners: RwLock::default(),
            disconnecting: RwLock::new(Vec::new()),
            disconnect: RwLock::new(Vec::new()),
            acks: Mutex::new(HashMap::new()),
            connected: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            recovered,
        }))
    }

    /// A new socket's id: a fresh base64id ("don't reuse the Engine.IO id because it's
    /// sensitive information"), except under EIO3, where Node still uses the engine sid on `/`
    /// and `<nsp>#<engine sid>` elsewhere.
    fn fresh_id(nsp: &Namespace, client: &ClientInner) -> SocketId {
        if !client.is_v3() {
            crate::sid::generate()
        } else if nsp.name() == "/" {
            client.conn().id().to_owned()
        } else {
            format!("{}#{}", nsp.name(), client.conn().id())
        }
    }

    /// The socket id (a fresh base64id; under EIO3 derived from the engine sid).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The private session id (connection state recovery only).
    pub fn pid(&self) -> Option<&str> {
        self.0.pid.as_deref()
    }

    /// The namespace.
    pub fn nsp(&self) -> &Namespace {
        &self.0.nsp
    }

    /// The handshake.
    pub fn handshake(&self) -> &Handshake {
        &self.0.handshake
    }

    /// Whether the socket was restored by connection state recovery.
    pub fn recovered(&self) -> bool {
        self.0.recovered
    }

    /// Whether the socket is connected to its namespace.
    pub fn connected(&self) -> bool {
        self.0.connected.load(Ordering::SeqCst)
    }

    /// The engine connection this socket travels on.
    pub fn conn(&self) -> &crate::server::EngineSocket {
        self.0.client.conn()
    }

    /// `socket.data` (a JSON object, `{}` at first).
    pub fn data(&self) -> serde_json::Value {
        lock(&self.0.data).clone()
    }

    /// Changes `socket.data` in place.
    pub fn with_data<R>(&self, f: impl FnOnce(&mut serde_json::Value) -> R) -> R {
        f(&mut lock(&self.0.data))
    }

    /// Adds a handler of `event` (`socket.on`; handlers add up, in order). Any function or
    /// closure, `async` or not, whose arguments are extractors, in any order: [`Socket`],
    /// `Data<T>`, `Rest`, `Vec<Value>`, `Json<T>`, `AckSender`, `Option<AckSender>`,
    /// `EventName`, `State<T>` ([`super::handler`]). An event that does not fit the extractors
    /// goes to the [`Socket::on_error`] hooks instead and is logged. The id it returns removes
    /// this handler alone ([`Socket::remove_listener`]).
    pub fn on<M, H: Handler<M>>(&self, event: &str, handler: H) -> ListenerId {
        let id = ListenerId::next();
        super::write(&self.0.handlers).push((event.into(), id, erase(handler)));
        id
    }

    /// Adds a handler of every incoming event (`socket.onAny`), run before the event's own
    /// handlers and before the socket middlewares; `EventName` gives the name. The id it
    /// returns removes this handler alone ([`Socket::remove_listener`]).
    pub fn on_any<M, H: Handler<M>>(&self, handler: H) -> ListenerId {
        let id = ListenerId::next();
        self.listeners_mut(|l| l.any.push((id, erase(handler))));
        id
    }

    /// Removes every handler of `event` (`socket.removeAllListeners(event)`).
    pub fn off(&self, event: &str) {
        super::write(&self.0.handlers).retain(|(name, _, _)| &**name != event);
    }

    /// Removes the one handler `id` names, added by [`Socket::on`] or [`Socket::on_any`]
    /// (Node's `socket.off(event, listener)` / `socket.offAny(listener)`); the others stay, in
    /// their order. Returns whether it was there. An event being handled keeps the handlers it
    /// started with, as Node's `emit` copies its listener array.
    ///
    /// ```rust
    /// use sio_reference_server::socketio::{Data, Socket};
    /// # fn setup(socket: Socket) {
    /// let once_more = socket.on("ping", |socket: Socket, Data(n): Data<u32>| {
    ///     let _ = socket.emit("pong", &n);
    /// });
    /// socket.on("stop", move |socket: Socket| {
    ///     socket.remove_listener(once_more);
    /// });
    /// # }
    /// ```
    pub fn remove_listener(&self, id: ListenerId) -> bool {
        {
            let mut handlers = super::write(&self.0.handlers);
            if let Some(i) = handlers.iter().position(|(_, h, _)| *h == id) {
                handlers.remove(i);
                return true;
            }
        }
        let mut listeners = super::write(&self.0.listeners);
        let Some(any) = listeners.as_mut().map(|l| &mut l.any) else {
            return false;
        };
        match any.iter().position(|(h, _)| *h == id) {
            Some(i) => {
                any.remove(i);
                true
            }
            None => false,
        }
    }

    /// Removes every [`Socket::on_any`] handler (`socket.offAny()`).
    pub fn off_any(&self) {
        self.listeners_mut(|l| l.any.clear());
    }

    /// Adds a socket middleware (`socket.use`): every incoming event passes through the
    /// middlewares in order before its handlers; `Err(message)` stops it and the
    /// [`Socket::on_error`] hooks get [`EventError::Refused`].
    pub fn use_middleware(
        &self,
        middleware: impl Fn(&Socket, &str, &mut Vec<Value>) -> Result<(), String>
        + Send
        + Sync
        + 'static,
    ) {
        self.listeners_mut(|l| l.middlewares.push(Middleware::Sync(Arc::new(middleware))));
    }

    /// Adds an `async` socket middleware (`socket.use` with a `next` called later): it gets
    /// the socket, the event's name and its arguments, and resolves to the arguments to go on
    /// with (`next()`; it may change them) or to `Err(message)` (`next(err)`: the event stops
    /// and the [`Socket::on_error`] hooks get [`EventError::Refused`]). Middlewares of both
    /// kinds run in the order they were added. One that resolves at once keeps the event on
    /// the connection's task, in packet order; one that waits lets the event go on in a task
    /// of its own (later packets are not held meanwhile, as in Node), and the handlers run
    /// only if the socket is still connected by then.
    ///
    /// ```rust
    /// use sio_reference_server::socketio::{Socket, Value};
    /// # fn setup(socket: Socket) {
    /// socket.use_async_middleware(|socket: Socket, event: String, args: Vec<Value>| async move {
    ///     // e.g. a permission looked up in a database
    ///     tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    ///     if event == "admin" && socket.data()["role"] != "admin" {
    ///         return Err("forbidden".to_owned());
    ///     }
    ///     Ok(args)
    /// });
    /// # }
    /// ```
    pub fn use_async_middleware<F, Fut>(&self, middleware: F)
    where
        F: Fn(Socket, String, Vec<Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<Value>, String>> + Send + 'static,
    {
        let erased: AsyncEventMiddleware =
            Arc::new(move |socket, event, args| Box::pin(middleware(socket, event, args)));
        self.listeners_mut(|l| l.middlewares.push(Middleware::Async(erased)));
    }

    /// Adds a hook for events that reached no handler: arguments that do not fit, an ack the
    /// handler wants and the client did not ask for, a middleware's refusal (Node's
    /// `socket.on("error")` for the last). They are logged at `warn` too.
    pub fn on_error(&self, hook: impl Fn(&Socket, &EventError) + Send + Sync + 'static) {
        self.listeners_mut(|l| l.errors.push(Arc::new(hook)));
    }

    fn listeners_mut(&self, f: impl FnOnce(&mut Listeners)) {
        f(super::write(&self.0.listeners).get_or_insert_with(Default::default));
    }

    fn report(&self, err: &EventError) {
        tracing::warn!(socket = %self.0.id, nsp = %self.nsp().name(), "{err}");
        let hooks = read(&self.0.listeners)
            .as_ref()
            .map(|l| l.errors.clone())
            .unwrap_or_default();
        for hook in hooks {
            hook(self, err);
        }
    }

    fn run_handler(&self, handler: &ErasedHandler, cx: EventContext) {
        match handler(cx) {
            Ok(output) => run_output(output),
            Err(err) => self.report(&err),
        }
    }

    /// Runs `f` when the socket starts leaving (its rooms are still known).
    pub fn on_disconnecting(&self, f: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static) {
        super::write(&self.0.disconnecting).push(Arc::new(f));
    }

    /// Runs `f` once the socket has left.
    pub fn on_disconnect(&self, f: impl Fn(&Socket, DisconnectReason) + Send + Sync + 'static) {
        super::write(&self.0.disconnect).push(Arc::new(f));
    }

    /// Emits `event` with `data` as its one argument (anything serialisable; for binary or
    /// several arguments, [`Socket::emit_args`]). Reserved names are refused.
    pub fn emit<T: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        self.emit_inner(event, super::types::one_arg(data)?, None, None, false)
    }

    /// Emits `event`(…`args`): several arguments, binary ones included
    /// (`Value::from(bytes)`). Reserved names are refused.
    pub fn emit_args(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        self.emit_inner(event, args, None, None, false)
    }

    /// A handle that does not keep the socket alive (see [`WeakSocket`]).
    pub fn downgrade(&self) -> WeakSocket {
        WeakSocket(Arc::downgrade(&self.0))
    }

    /// Emits with an ack callback and no timeout.
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
        callback: impl FnOnce(Result<Vec<Value>, AckError>) + Send + 'static,
    ) -> Result<(), EmitError> {
        self.emit_inner(event, args, Some(once(callback)), None, false)
    }

    /// Emit options with a timeout for the ack (`socket.timeout(ms)`).
    pub fn timeout(&self, timeout: Duration) -> SocketEmitter<'_> {
        SocketEmitter {
            socket: self,
            timeout: Some(timeout),
            volatile: false,
        }
    }

    /// Volatile emit options (`socket.volatile`).
    pub fn volatile(&self) -> SocketEmitter<'_> {
        SocketEmitter {
            socket: self,
            timeout: None,
            volatile: true,
        }
    }

    pub(crate) fn emit_inner(
        &self,
        event: &str,
        args: Vec<Value>,
        ack: Option<AckCallback>,
        timeout: Option<Duration>,
        volatile: bool,
    ) -> Result<(), EmitError> {
        check_event(event)?;
        let mut msg = packet::event(self.nsp().name(), event, args);
        if let Some(cb) = ack {
            let id = self.nsp().next_ack_id();
            msg.id = Some(id);
            self.register_ack(id, cb, timeout);
        }
        if msg.id.is_some() && self.nsp().has_fault(Fault::BinaryEmitAckAsBinaryAck) {
            self.write_encoded(&packet::encode_as_binary_ack(&msg), volatile);
            return Ok(());
        }
        if self.nsp().0.recovery.is_some() {
            // "this ensures the packet is stored and can be transmitted upon reconnection".
            let opts = BroadcastOptions {
                rooms: [self.0.id.clone()].into_iter().collect(),
                except: IndexSet::new(),
                flags: BroadcastFlags {
                    volatile,
                    ..BroadcastFlags::default()
                },
            };
            self.nsp().adapter().broadcast(msg, &opts);
        } else {
            self.packet(&msg, volatile);
        }
        Ok(())
    }

    /// Waits for the client's answer to ack id `id` (a broadcast with acks, no timeout of its
    /// own: the broadcast has one).
    pub(crate) fn expect_ack(
        &self,
        id: u64,
        callback: impl FnOnce(Result<Vec<Value>, AckError>) + Send + 'static,
    ) {
        self.register_ack(id, once(callback), None);
    }

    /// Drops the callback waiting for ack id `id`, if any: a broadcast whose timeout passed
    /// (Node: `socket.acks.delete(packetId)` on every socket of the namespace), so that a late
    /// answer finds nothing and the callback does not wait for the socket's end.
    pub(crate) fn forget_ack(&self, id: u64) {
        let cb = self.take_ack(id);
        drop(cb);
    }

    fn register_ack(&self, id: u64, cb: AckCallback, timeout: Option<Duration>) {
        let pending: PendingAck = Arc::new(Mutex::new(Some(cb)));
        lock(&self.0.acks).insert(id, pending.clone());
        let Some(t) = timeout else { return };
        // The task holds the slot and only a weak handle on the socket: if the runtime drops
        // the task unrun, nothing it held keeps the socket.
        let socket = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            tokio::time::sleep(t).await;
            let cb = lock(&pending).take();
            if let Some(inner) = socket.upgrade() {
                let mut acks = lock(&inner.acks);
                if acks.get(&id).is_some_and(|p| Arc::ptr_eq(p, &pending)) {
                    acks.remove(&id);
                }
            }
            if let Some(mut cb) = cb {
                cb(Err(AckError::Timeout));
            }
        });
    }

    /// Takes the callback waiting for ack id `id` out of the table.
    fn take_ack(&self, id: u64) -> Option<AckCallback> {
        let pending = lock(&self.0.acks).remove(&id)?;
        lock(&pending).take()
    }

    /// On close: lets go of every pending callback. One with a timeout stays with its timeout
    /// task and still fires with [`AckError::Timeout`], as Node's do; one without can never be
    /// answered (Node's is never called either) and is dropped, which an `emit_with_ack_async`
    /// future sees as [`AckError::Closed`].
    fn release_pending_acks(&self) {
        let pending = std::mem::take(&mut *lock(&self.0.acks));
        // Dropped outside the lock: a callback may hold the last handle on something that
        // locks this socket when it goes.
        drop(pending);
    }

    /// Joins `rooms` (ignored once the socket has left).
    pub fn join(&self, rooms: impl IntoRooms) {
        if self.0.closed.load(Ordering::SeqCst) {
            return;
        }
        self.nsp()
            .adapter()
            .add_all(&self.0.id, &rooms.into_rooms());
    }

    /// Leaves `rooms` (one or several, as [`Socket::join`] takes them).
    pub fn leave(&self, rooms: impl IntoRooms) {
        for room in rooms.into_rooms() {
            self.nsp().adapter().del(&self.0.id, &room);
        }
    }

    /// Leaves with `"server shutting down"` and closes the engine connection (`io.close()`).
    pub(crate) fn shut_down(&self) {
        self.on_close(DisconnectReason::ServerShuttingDown);
        self.0.client.close();
    }

    /// The rooms, in join order (its own id first).
    pub fn rooms(&self) -> Vec<Room> {
        self.nsp()
            .adapter()
            .socket_rooms(&self.0.id)
            .unwrap_or_default()
    }

    /// Every other socket of the namespace (`socket.broadcast`).
    pub fn broadcast(&self) -> BroadcastOperator {
        if self.nsp().has_fault(Fault::BroadcastReachesSender) {
            return self.nsp().broadcast();
        }
        self.nsp().broadcast().except(self.0.id.clone())
    }

    /// The sockets of `rooms` but this one (`socket.to(rooms)`).
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Every other socket but those of `rooms` (`socket.except(rooms)`).
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// `socket.disconnect(close)`: `41<nsp,>` and leave; with `close`, every socket of the
    /// connection does so in join order, then the engine connection closes.
    pub fn disconnect(&self, close: bool) {
        if !self.connected() {
            return;
        }
        if close {
            self.0.client.disconnect_all();
        } else {
            self.packet(&packet::disconnect(self.nsp().name()), false);
            self.on_close(DisconnectReason::ServerNamespaceDisconnect);
        }
    }

    /// Closes this socket's engine connection at once (fault injection's crash model).
    pub(crate) fn drop_connection(&self) {
        self.0.client.close();
    }

    /// Writes one packet to this socket's connection (`socket.packet`).
    pub(crate) fn packet(&self, msg: &Message, volatile: bool) {
        self.write_encoded(&packet::encode(msg), volatile);
    }

    /// Writes pre-encoded messages to this socket's connection.
    pub(crate) fn write_encoded(&self, encoded: &[SharedMessage], volatile: bool) {
        self.0.client.write(encoded, volatile);
    }

    /// `_onconnect`: connected, joined to its own room, CONNECT reply written.
    pub(crate) fn on_connect(&self) {
        self.0.connected.store(true, Ordering::SeqCst);
        self.join(self.0.id.clone());
        // Socket.IO v4 (EIO3) replies with a bare CONNECT.
        let reply = if self.0.client.is_v3() {
            packet::connect_v3(self.nsp().name())
        } else {
            packet::connect(self.nsp().name(), &self.0.id, self.0.pid.as_deref())
        };
        // The reply went out before the missed packets already (`client.rs#join`).
        if self.recovered() && self.nsp().has_fault(Fault::RecoveryReplayAfterConnect) {
            return;
        }
        let name = self.nsp().name();
        if name != "/" && self.nsp().has_fault(Fault::ConnectReplyWithoutComma) {
            let text = reply.encode().packet.encode();
            let text = text.replacen(&format!("{name},"), name, 1);
            self.write_encoded(&[SharedMessage::text(&text)], false);
            return;
        }
        self.packet(&reply, false);
    }

    /// A packet for this socket's namespace (`_onpacket`).
    pub(crate) fn on_packet(&self, msg: Message) {
        match msg.kind {
            PacketType::Event | PacketType::BinaryEvent => self.on_event(msg.id, msg.data),
            PacketType::Ack | PacketType::BinaryAck => self.on_ack(msg.id, msg.data),
            PacketType::Disconnect => self.on_close(DisconnectReason::ClientNamespaceDisconnect),
            _ => {}
        }
    }

    fn on_event(&self, id: Option<u64>, data: Option<Value>) {
        let mut args = match data {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        // `42` with no payload emits `undefined`: nothing listens.
        if args.is_empty() {
            return;
        }
        let name = match args.remove(0) {
            Value::String(s) => s,
            // EventEmitter keys are property keys: `[1,…]` is event "1".
            Value::Number(n) => sio_protocol::js::number_to_string(n),
            _ => return,
        };
        if name == "error" && self.nsp().has_fault(Fault::ErrorEventKillsSessions) {
            super::fault_hooks::crash([self.clone()]);
            return;
        }
        let mut ack = id.map(|id| AckSender::new(self.clone(), id));
        let (any, middlewares) = {
            match &*read(&self.0.listeners) {
                Some(l) => (l.any.clone(), l.middlewares.clone()),
                None => Default::default(),
            }
        };
        for (_, h) in &any {
            let shared = ack.as_mut().map(AckSender::share);
            self.run_handler(h, self.context(name.clone(), args.clone(), shared));
        }
        self.run_middlewares(name, args, ack, middlewares, 0);
    }

    /// Runs the socket middlewares from `from` on, then the event's handlers. An `async`
    /// middleware is polled once here: resolved, the event goes on at once; waiting, the rest
    /// of the chain goes on in a task of its own when it resolves (as `run_output` does for
    /// handlers).
    fn run_middlewares(
        &self,
        name: String,
        mut args: Vec<Value>,
        ack: Option<AckSender>,
        middlewares: Vec<Middleware>,
        from: usize,
    ) {
        for i in from..middlewares.len() {
            let verdict = match &middlewares[i] {
                Middleware::Sync(mw) => mw(self, &name, &mut args),
                Middleware::Async(mw) => {
                    let taken = std::mem::take(&mut args);
                    let mut fut = mw(self.clone(), name.clone(), taken);
                    let waker = std::task::Waker::noop();
                    let mut cx = std::task::Context::from_waker(waker);
                    match fut.as_mut().poll(&mut cx) {
                        std::task::Poll::Ready(Ok(changed)) => {
                            args = changed;
                            Ok(())
                        }
                        std::task::Poll::Ready(Err(message)) => Err(message),
                        std::task::Poll::Pending => {
                            let socket = self.clone();
                            tokio::spawn(async move {
                                match fut.await {
                                    Ok(args) => {
                                        socket.run_middlewares(name, args, ack, middlewares, i + 1)
                                    }
                                    Err(message) => socket.report(&EventError::Refused {
                                        event: name,
                                        message,
                                    }),
                                }
                            });
                            return;
                        }
                    }
                }
            };
            if let Err(message) = verdict {
                self.report(&EventError::Refused {
                    event: name,
                    message,
                });
                return;
            }
        }
        // `if (this.connected) super.emitUntyped(…)`: a socket that left while a middleware
        // waited hears nothing more.
        if !self.connected() {
            return;
        }
        self.run_handlers(name, args, ack);
    }

    /// The event's own handlers, in registration order.
    fn run_handlers(&self, name: String, args: Vec<Value>, mut ack: Option<AckSender>) {
        // One handler is the common case: no list, no copy of the arguments or the name.
        let (first, more) = {
            let handlers = read(&self.0.handlers);
            let mut matching = handlers
                .iter()
                .filter(|(n, _, _)| **n == *name)
                .map(|(_, _, h)| h.clone());
            let first = matching.next();
            (first, matching.collect::<Vec<ErasedHandler>>())
        };
        let Some(first) = first else { return };
        let mut handlers = std::iter::once(first).chain(more).peekable();
        while let Some(h) = handlers.next() {
            if handlers.peek().is_none() {
                self.run_handler(&h, self.context(name, args, ack));
                return;
            }
            let shared = ack.as_mut().map(AckSender::share);
            self.run_handler(&h, self.context(name.clone(), args.clone(), shared));
        }
    }

    fn context(&self, event: String, args: Vec<Value>, ack: Option<AckSender>) -> EventContext {
        EventContext {
            socket: self.clone(),
            event,
            args,
            ack,
        }
    }

    fn on_ack(&self, id: Option<u64>, data: Option<Value>) {
        let Some(id) = id else { return };
        if let Some(mut cb) = self.take_ack(id) {
            let args = match data {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            };
            cb(Ok(args));
            if self.nsp().has_fault(Fault::AckIdNotForgotten) {
                lock(&self.0.acks).insert(id, Arc::new(Mutex::new(Some(cb))));
            }
        }
    }

    /// `_onclose(reason)`.
    pub(crate) fn on_close(&self, reason: DisconnectReason) {
        if !self.connected() || self.0.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let disconnecting = read(&self.0.disconnecting).clone();
        for h in disconnecting {
            h(self, reason);
        }
        if self.nsp().0.recovery.is_some()
            && reason.is_recoverable()
            && let Some(pid) = &self.0.pid
        {
            self.nsp().adapter().persist_session(PersistedSession {
                sid: self.0.id.clone(),
                pid: pid.clone(),
                rooms: self.rooms(),
                data: self.data(),
            });
        }
        let keeps_rooms = reason == DisconnectReason::ClientNamespaceDisconnect
            && self.nsp().has_fault(Fault::DisconnectKeepsRooms);
        if !keeps_rooms {
            self.cleanup();
        }
        self.0.client.remove(self);
        self.0.connected.store(false, Ordering::SeqCst);
        let disconnect = read(&self.0.disconnect).clone();
        for h in disconnect {
            h(self, reason);
        }
        // After the disconnect handlers: an emit with ack made there is released too.
        self.release_pending_acks();
    }

    /// `_cleanup`: leave every room and the namespace; later joins do nothing.
    pub(crate) fn cleanup(&self) {
        self.0.closed.store(true, Ordering::SeqCst);
        self.nsp().adapter().del_all(&self.0.id);
        lock(&self.nsp().0.sockets).shift_remove(&self.0.id);
    }
}
