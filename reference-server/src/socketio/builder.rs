//! One options builder for the whole server (Node's `new Server(httpServer, opts)`: the
//! Socket.IO and Engine.IO options in one place, with Node's defaults, `path` `/socket.io/`
//! included), and serving: a router to merge into an axum app, a listener loop that turns
//! Nagle's algorithm off on every connection as Node does, and a graceful shutdown.
//!
//! ```rust
//! use std::time::Duration;
//! use sio_reference_server::socketio::{RecoveryConfig, SocketIo};
//!
//! // Outside any tokio runtime: nothing starts before the first connection.
//! let io = SocketIo::builder()
//!     .ping_interval(Duration::from_secs(10))
//!     .connect_timeout(Duration::from_secs(5))
//!     .recovery(RecoveryConfig::default())
//!     .build();
//! assert_eq!(io.engine_config().unwrap().path, "/socket.io/");
//! let app: axum::Router = axum::Router::new().merge(io.router());
//! # drop(app);
//! ```

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::config::{CorsConfig, EngineConfig};
use crate::server::Engine;
use crate::session::TransportKind;

use super::adapter::AdapterFactory;
use super::recovery::RecoveryConfig;
use super::{ServerInner, SocketIo, SocketIoConfig};

/// Shared application state handed to handlers by the `State<T>` extractor, one value per type.
#[derive(Default, Clone)]
pub(crate) struct StateMap(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl StateMap {
    pub(crate) fn get<T: Clone + Send + Sync + 'static>(&self) -> Option<T> {
        self.0.get(&TypeId::of::<T>())?.downcast_ref::<T>().cloned()
    }
}

/// Options for a [`SocketIo`] server and its engine, with Node's defaults (`path`
/// `/socket.io/`, `pingInterval` 25 s, `pingTimeout` 20 s, `connectTimeout` 45 s, …). Built
/// by [`SocketIo::builder`]; usable outside a tokio runtime.
#[must_use]
pub struct SocketIoBuilder {
    engine: EngineConfig,
    config: SocketIoConfig,
    adapter: Option<AdapterFactory>,
    state: StateMap,
}

impl Default for SocketIoBuilder {
    fn default() -> Self {
        SocketIoBuilder {
            engine: EngineConfig {
                path: "/socket.io/".to_owned(),
                ..EngineConfig::default()
            },
            config: SocketIoConfig::default(),
            adapter: None,
            state: StateMap::default(),
        }
    }
}

impl SocketIoBuilder {
    /// `path`: where the server answers (default `/socket.io/`, as every client expects).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.engine.path = path.into();
        self
    }

    /// `pingInterval` (default 25 s).
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.engine.ping_interval = d;
        self
    }

    /// `pingTimeout` (default 20 s).
    pub fn ping_timeout(mut self, d: Duration) -> Self {
        self.engine.ping_timeout = d;
        self
    }

    /// `upgradeTimeout` (default 10 s).
    pub fn upgrade_timeout(mut self, d: Duration) -> Self {
        self.engine.upgrade_timeout = d;
        self
    }

    /// `maxHttpBufferSize` in bytes (default 1e6).
    pub fn max_http_buffer_size(mut self, bytes: usize) -> Self {
        self.engine.max_http_buffer_size = bytes;
        self
    }

    /// `transports`, in order (default polling then websocket).
    pub fn transports(mut self, transports: impl Into<Vec<TransportKind>>) -> Self {
        self.engine.transports = transports.into();
        self
    }

    /// `allowEIO3` (default false).
    pub fn allow_eio3(mut self, allow: bool) -> Self {
        self.engine.allow_eio3 = allow;
        self
    }

    /// `cors` (default off).
    pub fn cors(mut self, cors: CorsConfig) -> Self {
        self.engine.cors = Some(cors);
        self
    }

    /// `connectTimeout` (default 45 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.config.connect_timeout = d;
        self
    }

    /// `connectionStateRecovery` (default off).
    pub fn recovery(mut self, recovery: RecoveryConfig) -> Self {
        self.config.recovery = Some(recovery);
        self
    }

    /// Any other engine option, on the configuration as it stands.
    pub fn engine_config(mut self, f: impl FnOnce(&mut EngineConfig)) -> Self {
        f(&mut self.engine);
        self
    }

    /// The namespaces' adapters (default: in-memory, session-aware with recovery).
    pub fn adapter(mut self, adapter: AdapterFactory) -> Self {
        self.adapter = Some(adapter);
        self
    }

    /// Shared state for handlers, taken by the `State<T>` extractor (one value per type; a
    /// later value of the same type replaces the earlier one).
    pub fn with_state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.state.0.insert(TypeId::of::<T>(), Arc::new(state));
        self
    }

    /// The engine options as they stand.
    pub(crate) fn engine_options(&self) -> EngineConfig {
        self.engine.clone()
    }

    /// The server, with its engine (no task starts before the first connection).
    pub fn build(self) -> SocketIo {
        let io = match self.adapter {
            Some(adapter) => SocketIo::with_adapter(self.config, adapter),
            None => SocketIo::new(self.config),
        };
        let inner: Weak<ServerInner> = Arc::downgrade(&io.0);
        let engine = Engine::new(self.engine, move |conn| {
            if let Some(inner) = inner.upgrade() {
                SocketIo(inner).accept(conn);
            }
        });
        let _ = io.0.engine.set(engine);
        *super::write(&io.0.state) = self.state;
        io
    }
}

/// Serves `app` on `listener` with TCP_NODELAY on every accepted connection (Node sets it; without
/// it small writes wait for delayed ACKs, ~40 ms), until `io` is closed ([`SocketIo::close`]).
pub(crate) async fn serve(
    io: &SocketIo,
    listener: tokio::net::TcpListener,
    app: axum::Router,
) -> std::io::Result<()> {
    let listener = nodelay_listener(listener);
    let closed = io.0.closed.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = closed.subscribe().wait_for(|c| *c).await;
        })
        .await
}

/// The listener [`serve`] accepts on: every accepted connection gets TCP_NODELAY.
pub(crate) fn nodelay_listener(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn set_nodelay(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY not set: {e}");
        }
    }
    listener.tap_io(set_nodelay as fn(&mut tokio::net::TcpStream))
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;

    /// What `SocketIo::serve` accepts has Nagle's algorithm off.
    #[tokio::test]
    async fn accepted_connections_have_nodelay() {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let mut listener = super::nodelay_listener(listener);
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let accepted = tokio::time::timeout(std::time::Duration::from_secs(3), listener.accept());
        let (tcp, _) = accepted.await.expect("a connection within 3 s");
        assert!(tcp.nodelay().unwrap());
    }
}
