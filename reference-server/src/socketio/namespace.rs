//! Namespaces: a name, middlewares, connection handlers, an adapter with its rooms, the local
//! sockets and the server-side ack-id counter (`nsp._ids`, from 0). A dynamic namespace (Node's
//! `io.of(regex | fn)`) is a [`ParentNamespace`] whose children, created on the first CONNECT
//! that its predicate accepts, share its middlewares and handlers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use futures_util::future::BoxFuture;
use indexmap::IndexMap;

use super::adapter::{
    Adapter, AdapterContext, LocalNamespace, ServerSideAckTimeout, ServerSideReply,
};
use super::broadcast::BroadcastOperator;
use super::recovery::RecoveryConfig;
use super::socket::Socket;
use super::types::BroadcastOptions;
use super::types::{ConnectError, SocketId};
use super::{IntoRooms, lock, read};

/// A middleware: runs before a socket joins; `Err` refuses it with CONNECT_ERROR.
pub type Middleware =
    Arc<dyn Fn(Socket) -> BoxFuture<'static, Result<(), ConnectError>> + Send + Sync>;

/// A connection handler: runs after the CONNECT reply is queued.
pub type ConnectionHandler = Arc<dyn Fn(&Socket) + Send + Sync>;

/// Middlewares and connection handlers, shared by a parent namespace and its children.
#[derive(Default)]
pub(crate) struct Handlers {
    pub(crate) middlewares: RwLock<Vec<Middleware>>,
    pub(crate) connection: RwLock<Vec<ConnectionHandler>>,
}

impl Handlers {
    fn use_middleware<F, Fut>(&self, f: F)
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        let mw: Middleware = Arc::new(move |s| Box::pin(f(s)));
        super::write(&self.middlewares).push(mw);
    }

    fn on_connection(&self, f: impl Fn(&Socket) + Send + Sync + 'static) {
        super::write(&self.connection).push(Arc::new(f));
    }
}

pub(crate) struct NsInner {
    pub(crate) name: String,
    pub(crate) handlers: Arc<Handlers>,
    pub(crate) sockets: Mutex<IndexMap<SocketId, Socket>>,
    pub(crate) adapter: Arc<dyn Adapter>,
    pub(crate) recovery: Option<RecoveryConfig>,
    /// The server's shared state (the `State<T>` extractor).
    pub(crate) state: Arc<RwLock<super::builder::StateMap>>,
    /// Fault injection (feature `faults`, tests only), from the server's options.
    pub(crate) fault: crate::fault::Injected,
    ids: AtomicU64,
    /// `serverSideEmit` handlers (events from the other servers of a cluster).
    server_side: RwLock<Vec<ServerSideHandler>>,
}

/// A handler of events from the other servers (`args`: the event name first; the reply when
/// the sender asked for an answer).
pub type ServerSideHandler = Arc<dyn Fn(Vec<super::Value>, Option<ServerSideReply>) + Send + Sync>;

impl LocalNamespace for NsInner {
    fn local_socket(&self, sid: &str) -> Option<Socket> {
        super::lock(&self.sockets).get(sid).cloned()
    }

    fn local_sockets_of(&self, sids: &[&str], out: &mut Vec<Socket>) {
        let sockets = super::lock(&self.sockets);
        out.extend(sids.iter().filter_map(|sid| sockets.get(*sid).cloned()));
    }

    fn fault(&self) -> crate::fault::Injected {
        self.fault
    }

    fn server_side_event(&self, args: Vec<super::Value>, reply: Option<ServerSideReply>) {
        let handlers = read(&self.server_side).clone();
        for h in handlers {
            h(args.clone(), reply.clone());
        }
    }

    fn next_ack_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }
}

/// A namespace (cheap to clone).
#[derive(Clone)]
pub struct Namespace(pub(crate) Arc<NsInner>);

/// A handle to a namespace that does not keep it alive: for what the namespace itself holds
/// (its handlers), which would otherwise keep it, and itself, for ever.
#[derive(Clone)]
pub struct WeakNamespace(Weak<NsInner>);

impl WeakNamespace {
    /// The namespace, while anything else holds it.
    pub fn upgrade(&self) -> Option<Namespace> {
        self.0.upgrade().map(Namespace)
    }
}

impl Namespace {
    pub(crate) fn new(
        name: &str,
        handlers: Arc<Handlers>,
        server: &super::ServerInner,
    ) -> Namespace {
        let (adapter, config) = (&server.adapter, &server.config);
        Namespace(Arc::new_cyclic(|weak| NsInner {
            name: name.to_owned(),
            handlers,
            sockets: Mutex::new(IndexMap::new()),
            adapter: adapter(AdapterContext::new(
                weak.clone() as Weak<dyn LocalNamespace>,
                name,
            )),
            recovery: config.recovery,
            state: server.state.clone(),
            fault: config.fault,
            ids: AtomicU64::new(0),
            server_side: RwLock::default(),
        }))
    }

    /// The name (`/`, `/admin`, `/dynamic-1`, …).
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// Adds a middleware (`nsp.use`); they run in order, and the first `Err` refuses the socket.
    pub fn use_middleware<F, Fut>(&self, f: F) -> &Namespace
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        self.0.handlers.use_middleware(f);
        self
    }

    /// Adds a connection handler (`nsp.on("connection")`).
    pub fn on_connection(&self, f: impl Fn(&Socket) + Send + Sync + 'static) -> &Namespace {
        self.0.handlers.on_connection(f);
        self
    }

    /// The adapter.
    pub fn adapter(&self) -> &Arc<dyn Adapter> {
        &self.0.adapter
    }

    /// The connected sockets, in connection order.
    pub fn sockets(&self) -> Vec<Socket> {
        lock(&self.0.sockets).values().cloned().collect()
    }

    /// A connected socket.
    pub fn socket(&self, id: &str) -> Option<Socket> {
        lock(&self.0.sockets).get(id).cloned()
    }

    /// Every socket of the namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.clone(), BroadcastOptions::default())
    }

    /// The sockets in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Every socket but those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Emits `data` as the one argument to every socket of the namespace.
    pub fn emit<T: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), super::types::EmitError> {
        self.broadcast().emit(event, data)
    }

    /// Emits several arguments to every socket of the namespace.
    pub fn emit_args(
        &self,
        event: &str,
        args: Vec<super::Value>,
    ) -> Result<(), super::types::EmitError> {
        self.broadcast().emit_args(event, args)
    }

    /// Sends an event to this namespace on the other servers of a cluster (`serverSideEmit`;
    /// `args` without the name). Through the adapter: the in-memory one has no other server.
    pub async fn server_side_emit(
        &self,
        event: &str,
        args: Vec<super::Value>,
    ) -> Result<(), super::types::EmitError> {
        super::types::check_event(event)?;
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(super::Value::String(event.to_owned()));
        all.extend(args);
        self.adapter().server_side_emit(all).await;
        Ok(())
    }

    /// Sends an event to this namespace on the other servers and waits for each one's answer
    /// (`serverSideEmitWithAck`; `args` without the name): one value per server, or
    /// [`ServerSideAckTimeout`] (with the answers so far) after the adapter's request timeout.
    pub async fn server_side_emit_with_ack(
        &self,
        event: &str,
        args: Vec<super::Value>,
    ) -> Result<Result<Vec<super::Value>, ServerSideAckTimeout>, super::types::EmitError> {
        super::types::check_event(event)?;
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(super::Value::String(event.to_owned()));
        all.extend(args);
        Ok(self.adapter().server_side_emit_with_ack(all).await)
    }

    /// Adds a handler of the events the other servers send with `serverSideEmit` (the
    /// arguments, the event name first).
    pub fn on_server_side_emit(
        &self,
        handler: impl Fn(Vec<super::Value>) + Send + Sync + 'static,
    ) -> &Namespace {
        super::write(&self.0.server_side).push(Arc::new(move |args, _reply| handler(args)));
        self
    }

    /// [`Namespace::on_server_side_emit`] with the sender's callback: `reply` is `Some` when the
    /// sender asked for an answer (`serverSideEmitWithAck`); only its first call is sent.
    pub fn on_server_side_emit_with_ack(
        &self,
        handler: impl Fn(Vec<super::Value>, Option<ServerSideReply>) + Send + Sync + 'static,
    ) -> &Namespace {
        super::write(&self.0.server_side).push(Arc::new(handler));
        self
    }

    /// How many servers serve this namespace (`serverSideEmit`'s and `fetchSockets`'
    /// `serverCount`): 1 without a cluster adapter.
    pub async fn server_count(&self) -> usize {
        self.adapter().server_count().await
    }

    /// A handle that does not keep the namespace alive (see [`WeakNamespace`]).
    pub fn downgrade(&self) -> WeakNamespace {
        WeakNamespace(Arc::downgrade(&self.0))
    }

    /// Only the sockets of this server (`io.local`): a cluster adapter tells no other server.
    pub fn local(&self) -> BroadcastOperator {
        self.broadcast().local()
    }

    /// Every socket of the namespace, on every server (`fetchSockets`).
    pub async fn fetch_sockets(&self) -> Vec<super::adapter::RemoteSocket> {
        self.broadcast().fetch_sockets().await
    }

    /// Makes every socket of the namespace join `rooms` (`socketsJoin`).
    pub async fn sockets_join(&self, rooms: impl IntoRooms) {
        self.broadcast().sockets_join(rooms).await
    }

    /// Makes every socket of the namespace leave `rooms` (`socketsLeave`).
    pub async fn sockets_leave(&self, rooms: impl IntoRooms) {
        self.broadcast().sockets_leave(rooms).await
    }

    /// Disconnects every socket of the namespace (`disconnectSockets(close)`).
    pub async fn disconnect_sockets(&self, close: bool) {
        self.broadcast().disconnect_sockets(close).await
    }

    /// Broadcasts with an ack timeout (`nsp.timeout(ms)`).
    pub fn timeout(&self, timeout: std::time::Duration) -> BroadcastOperator {
        self.broadcast().timeout(timeout)
    }

    /// Whether this namespace's server was built with `fault` (feature `faults`, tests only).
    pub(crate) fn has_fault(&self, fault: crate::fault::Fault) -> bool {
        self.0.fault.is(fault)
    }

    pub(crate) fn next_ack_id(&self) -> u64 {
        self.0.ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn middlewares(&self) -> Vec<Middleware> {
        read(&self.0.handlers.middlewares).clone()
    }

    pub(crate) fn connection_handlers(&self) -> Vec<ConnectionHandler> {
        read(&self.0.handlers.connection).clone()
    }
}

/// Decides whether a CONNECT to `name` (with its `auth`) creates a child namespace.
pub type NamespacePredicate = Arc<dyn Fn(&str, &super::Value) -> bool + Send + Sync>;

/// A dynamic namespace (`io.of(regex | fn)`): middlewares and handlers for every child.
#[derive(Clone)]
pub struct ParentNamespace {
    pub(crate) predicate: NamespacePredicate,
    pub(crate) handlers: Arc<Handlers>,
}

impl ParentNamespace {
    /// Adds a middleware for every child namespace.
    pub fn use_middleware<F, Fut>(&self, f: F) -> &ParentNamespace
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        self.handlers.use_middleware(f);
        self
    }

    /// Adds a connection handler for every child namespace.
    pub fn on_connection(&self, f: impl Fn(&Socket) + Send + Sync + 'static) -> &ParentNamespace {
        self.handlers.on_connection(f);
        self
    }
}
