//! The Socket.IO v5 server on top of the engine (socket.io 4.8.4's `Server`, `Client`,
//! `Namespace`, `Socket`, in-memory adapter and session-aware adapter).
//!
//! - [`SocketIo`]: the server: namespaces (fixed and dynamic), options, and the engine
//!   connection handler that serves each engine connection ([`client`]).
//! - [`Namespace`], [`ParentNamespace`]: middlewares, connection handlers, rooms.
//! - [`Socket`]: handlers, emits, acks, rooms, disconnect.
//! - [`adapter`]: the adapter interface and the in-memory adapter; [`recovery`] its
//!   session-aware part.
//! - [`BroadcastOperator`]: emits to rooms, with acks, and the adapter's cluster operations;
//!   [`ack`]: acks both ways; [`args`]: typed arguments.
//! - [`builder`]: [`SocketIoBuilder`], every option with Node's defaults, and serving.
//! - [`handler`]: handlers whose arguments are extractors ([`Handler`], [`FromEvent`]).
//!
//! ```rust
//! use sio_reference_server::socketio::{AckSender, Socket, SocketIo, Value};
//!
//! let io = SocketIo::builder().build();
//! io.of("/").on_connection(|socket| {
//!     socket.on("message", |socket: Socket, args: Vec<Value>, ack: Option<AckSender>| {
//!         let _ = socket.emit_args("message-back", args.clone());
//!         if let Some(ack) = ack { ack.send(args) }
//!     });
//! });
//! let app: axum::Router = axum::Router::new().merge(io.router());
//! ```

pub mod ack;
pub mod adapter;
pub mod args;
mod broadcast;
pub mod builder;
mod client;
mod fault_hooks;
pub mod handler;
mod namespace;
mod packet;
pub mod recovery;
mod socket;
mod types;
mod value_ser;

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use indexmap::IndexMap;

pub use ack::{AckSender, SocketEmitter};
pub use adapter::{
    AckAnswers, Adapter, AdapterContext, AdapterFactory, BroadcastFlags, BroadcastOptions,
    InMemoryAdapter, RemoteSocket, ServerSideAckTimeout, ServerSideReply,
};
pub use args::{ArgsError, Data, FromArgs, Json, Value, json, to_json, to_value};
pub use broadcast::{BroadcastAckError, BroadcastOperator};
pub use builder::SocketIoBuilder;
pub use handler::{
    Async, EventContext, EventError, EventName, FromEvent, Handler, HandlerOutput, Plain, Rest,
    State,
};
pub use namespace::{
    Namespace, NamespacePredicate, ParentNamespace, ServerSideHandler, WeakNamespace,
};
pub use recovery::RecoveryConfig;
pub use socket::{
    AsyncEventMiddleware, ErrorHook, EventMiddleware, Handshake, ListenerId, Socket, WeakSocket,
};
pub use types::{AckError, ConnectError, DisconnectReason, EmitError, Room, SocketId};

use crate::config::EngineConfig;
use crate::server::{Connection, Engine};
use namespace::Handlers;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|p| p.into_inner())
}

/// Socket.IO options, named after Node's, with Node's defaults. `#[non_exhaustive]`: start from
/// `SocketIoConfig::default()` and set what differs, so a new option does not break a caller.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SocketIoConfig {
    /// `connectTimeout`: the engine connection is closed if no namespace is joined by then
    /// (default 45 000 ms).
    pub connect_timeout: Duration,
    /// `connectionStateRecovery` (default off).
    pub recovery: Option<RecoveryConfig>,
    /// The one protocol bug this server has: none unless a test armed one
    /// ([`SocketIoConfig::with_fault`]).
    pub(crate) fault: crate::fault::Injected,
}

impl SocketIoConfig {
    /// The same options with `fault` injected (tests only: without the feature `faults` an
    /// `Injected` is always empty; FAULTS.md).
    pub fn with_fault(self, fault: crate::fault::Injected) -> Self {
        SocketIoConfig { fault, ..self }
    }
}

impl Default for SocketIoConfig {
    fn default() -> Self {
        SocketIoConfig {
            connect_timeout: Duration::from_millis(45_000),
            recovery: None,
            fault: crate::fault::Injected::NONE,
        }
    }
}

/// One room or several.
pub trait IntoRooms {
    /// The rooms, in order.
    fn into_rooms(self) -> Vec<Room>;
}

impl IntoRooms for &str {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.to_owned()]
    }
}

impl IntoRooms for String {
    fn into_rooms(self) -> Vec<Room> {
        vec![self]
    }
}

impl IntoRooms for &String {
    fn into_rooms(self) -> Vec<Room> {
        vec![self.clone()]
    }
}

impl IntoRooms for Vec<String> {
    fn into_rooms(self) -> Vec<Room> {
        self
    }
}

impl IntoRooms for Vec<&str> {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().map(str::to_owned).collect()
    }
}

impl<const N: usize> IntoRooms for [&str; N] {
    fn into_rooms(self) -> Vec<Room> {
        self.into_iter().map(str::to_owned).collect()
    }
}

pub(crate) struct ServerInner {
    pub(crate) config: SocketIoConfig,
    nsps: Mutex<IndexMap<String, Namespace>>,
    parents: Mutex<Vec<ParentNamespace>>,
    adapter: AdapterFactory,
    /// The engine built with the server ([`SocketIo::builder`]); unset for [`SocketIo::new`],
    /// whose caller builds engines with [`SocketIo::engine`].
    engine: std::sync::OnceLock<Engine>,
    /// Shared state for the `State<T>` extractor.
    pub(crate) state: Arc<RwLock<builder::StateMap>>,
    /// Set by [`SocketIo::close`]; [`SocketIo::serve`] stops accepting then.
    closed: Arc<tokio::sync::watch::Sender<bool>>,
}

impl ServerInner {
    /// A fixed namespace, or a child of the first dynamic namespace whose predicate accepts
    /// `name` (`_checkNamespace`), created then.
    fn namespace_for(&self, name: &str, auth: &Value) -> Option<Namespace> {
        if let Some(nsp) = lock(&self.nsps).get(name) {
            return Some(nsp.clone());
        }
        let parents = lock(&self.parents).clone();
        let parent = parents.iter().find(|p| (p.predicate)(name, auth))?;
        let mut nsps = lock(&self.nsps);
        let nsp = nsps
            .entry(name.to_owned())
            .or_insert_with(|| Namespace::new(name, parent.handlers.clone(), self))
            .clone();
        Some(nsp)
    }
}

/// A Socket.IO server (cheap to clone). Mount it with [`SocketIo::engine`].
#[derive(Clone)]
pub struct SocketIo(Arc<ServerInner>);

impl SocketIo {
    /// The options builder (Node's defaults, `path` `/socket.io/`); `build()` gives a server
    /// with its engine, served by [`SocketIo::router`] or [`SocketIo::serve`].
    pub fn builder() -> SocketIoBuilder {
        SocketIoBuilder::default()
    }

    /// A server with the in-memory adapter (session-aware when recovery is on) and the main
    /// namespace `/`.
    pub fn new(config: SocketIoConfig) -> SocketIo {
        let factory: AdapterFactory = match config.recovery {
            Some(rc) => Arc::new(move |ctx| Arc::new(InMemoryAdapter::session_aware(ctx, rc))),
            None => Arc::new(|ctx| Arc::new(InMemoryAdapter::new(ctx))),
        };
        SocketIo::with_adapter(config, factory)
    }

    /// A server whose namespaces use adapters built by `adapter`.
    pub fn with_adapter(config: SocketIoConfig, adapter: AdapterFactory) -> SocketIo {
        let io = SocketIo(Arc::new(ServerInner {
            config,
            nsps: Mutex::new(IndexMap::new()),
            parents: Mutex::new(Vec::new()),
            adapter,
            engine: std::sync::OnceLock::new(),
            state: Arc::default(),
            closed: Arc::new(tokio::sync::watch::Sender::new(false)),
        }));
        io.of("/");
        io
    }

    /// The options.
    pub fn config(&self) -> &SocketIoConfig {
        &self.0.config
    }

    /// The namespace `name`, created if needed (`io.of(name)`); a name without its leading
    /// `/` gets one, as in Node (`io.of("admin")` is `/admin`).
    pub fn of(&self, name: &str) -> Namespace {
        let name = match name.starts_with('/') {
            true => name.to_owned(),
            false => format!("/{name}"),
        };
        let name = name.as_str();
        let mut nsps = lock(&self.0.nsps);
        nsps.entry(name.to_owned())
            .or_insert_with(|| Namespace::new(name, Arc::new(Handlers::default()), &self.0))
            .clone()
    }

    /// Every namespace made so far, fixed ones and those a dynamic pattern created, in the order
    /// they were made (Node's `io._nsps`); unlike [`SocketIo::of`], it creates none.
    pub fn namespaces(&self) -> Vec<Namespace> {
        lock(&self.0.nsps).values().cloned().collect()
    }

    /// A dynamic namespace: a CONNECT to a name that no fixed namespace has and that
    /// `predicate(name, auth)` accepts creates a child namespace (`io.of(regex | fn)`).
    pub fn of_dynamic(
        &self,
        predicate: impl Fn(&str, &Value) -> bool + Send + Sync + 'static,
    ) -> ParentNamespace {
        let parent = ParentNamespace {
            predicate: Arc::new(predicate),
            handlers: Arc::new(Handlers::default()),
        };
        lock(&self.0.parents).push(parent.clone());
        parent
    }

    /// Serves one engine connection (the engine's connection handler).
    pub fn accept(&self, conn: Connection) {
        tokio::spawn(client::run(self.0.clone(), conn));
    }

    /// An engine that hands its connections to this server (for a server made with
    /// [`SocketIo::new`]; [`SocketIo::builder`] builds the server's own engine).
    pub fn engine(&self, config: EngineConfig) -> Engine {
        let io = self.clone();
        Engine::new(config, move |conn| io.accept(conn))
    }

    /// The options of the server's own engine (servers made with [`SocketIo::builder`]).
    pub fn engine_config(&self) -> Option<&EngineConfig> {
        self.0.engine.get().map(Engine::config)
    }

    /// The server's own engine, built with [`SocketIo::builder`]; for a server made with
    /// [`SocketIo::new`], one with the builder's default options, made on the first call.
    pub fn own_engine(&self) -> &Engine {
        self.0.engine.get_or_init(|| {
            let inner = Arc::downgrade(&self.0);
            let config = builder::SocketIoBuilder::default().engine_options();
            Engine::new(config, move |conn| {
                if let Some(inner) = inner.upgrade() {
                    SocketIo(inner).accept(conn);
                }
            })
        })
    }

    /// A router serving Socket.IO under the configured path, to merge into an axum app.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> axum::Router<S> {
        self.own_engine().router()
    }

    /// Serves Socket.IO alone on `listener` (TCP_NODELAY on every connection, as Node) until
    /// [`SocketIo::close`].
    pub async fn serve(&self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        builder::serve(self, listener, self.router()).await
    }

    /// Serves `app` (an axum app into which [`SocketIo::router`] was merged) on `listener`,
    /// TCP_NODELAY on every connection, until [`SocketIo::close`].
    pub async fn serve_app(
        &self,
        listener: tokio::net::TcpListener,
        app: axum::Router,
    ) -> std::io::Result<()> {
        builder::serve(self, listener, app).await
    }

    /// Graceful shutdown (`io.close()`): every socket of every namespace leaves with
    /// `"server shutting down"` (recoverable: with recovery on, its session is kept), every
    /// engine connection of the server's own engine is closed (those that joined no namespace
    /// too), and [`SocketIo::serve`] stops accepting and returns once
    /// its HTTP requests are answered.
    pub async fn close(&self) {
        let nsps: Vec<Namespace> = lock(&self.0.nsps).values().cloned().collect();
        for nsp in nsps {
            for socket in nsp.sockets() {
                socket.shut_down();
            }
        }
        // Connections that joined no namespace yet.
        if let Some(engine) = self.0.engine.get() {
            engine.close();
        }
        self.0.closed.send_replace(true);
    }

    /// Whether [`SocketIo::close`] was called.
    pub fn is_closed(&self) -> bool {
        *self.0.closed.borrow()
    }
}
