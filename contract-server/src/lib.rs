//! The reference server's side of the server contract (fixtures/CONTRACT.md), built on the
//! public API of `sio-reference-server` as any application would be: the Engine.IO echo server
//! at `/engine.io/` (pingInterval 300, pingTimeout 200, maxHttpBufferSize 1e6, cors `*`, every
//! message echoed unchanged), the Socket.IO servers sio-main (`/socket.io/`), sio-recovery
//! (`/socket.io-recovery/`) and sio-eio3 (`/socket.io-eio3/`, `allowEIO3`) with the same engine
//! settings ([`sio`]), and `GET /health` → `ok`. The binary `sio-contract-server` serves it;
//! tests serve it in-process.
//!
//! A crate of its own, apart from the server library: it is test apparatus (a command line, a
//! log subscriber, fault selection) that a user of the library does not need. The cargo feature
//! `faults` turns on the server's fault injection, so `--fault NAME` and [`build_with_fault`]
//! can arm a protocol bug (FAULTS.md).

pub mod cluster;
pub mod cluster_control;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod sio;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use sio_reference_server::fault::Injected;
use sio_reference_server::socketio::{AdapterFactory, SocketIo, SocketIoConfig};
use sio_reference_server::{Connection, CorsConfig, Engine, EngineConfig, SocketEvent};

/// The echo server's options: the official engine.io-protocol suite's.
pub fn echo_config() -> EngineConfig {
    engine_config("/engine.io/")
}

/// The common engine settings of every contract server (CONTRACT.md §3) at `path`.
pub fn engine_config(path: &str) -> EngineConfig {
    let mut config = EngineConfig::default();
    config.path = path.to_owned();
    config.ping_interval = Duration::from_millis(300);
    config.ping_timeout = Duration::from_millis(200);
    config.max_http_buffer_size = 1_000_000;
    config.cors = Some(CorsConfig::any());
    config
}

/// The echo behaviour: every message goes back as it came (text as text, binary as binary).
pub fn echo(mut conn: Connection) {
    tokio::spawn(async move {
        while let Some(event) = conn.recv().await {
            if let SocketEvent::Message(data) = event {
                conn.socket().send(data);
            }
        }
    });
}

/// The contract's servers, with their engines (tests look at the sessions).
pub struct Contract {
    /// The whole router.
    pub router: Router,
    /// `/engine.io/`.
    pub echo: Engine,
    /// `/socket.io/`.
    pub sio_main: Engine,
    /// `/socket.io-recovery/`.
    pub sio_recovery: Engine,
    /// `/socket.io-eio3/`.
    pub sio_eio3: Engine,
    /// The Socket.IO servers behind `sio_main`, `sio_recovery` and `sio_eio3`, in that order.
    pub socket_io: [SocketIo; 3],
}

/// The contract with the echo engine built from `echo_config`. Must run inside a tokio runtime.
pub fn build_with(echo_config: EngineConfig) -> Contract {
    build_tuned(echo_config, &|c| c, &|c| c, None)
}

/// What may differ from the contract's options in a contract server: each engine's
/// `timer_slack` (the bench compares the timer coalescing on and off) and the protocol bug every
/// engine and Socket.IO server has (the suite's self-tests; FAULTS.md).
#[derive(Debug, Clone, Copy, Default)]
pub struct Variant {
    /// Every engine's `timer_slack` (`None`: the default).
    pub timer_slack: Option<Duration>,
    /// The injected fault (only the cargo feature `faults` can arm one).
    pub fault: Injected,
}

/// The contract with `variant`'s options. Must run inside a tokio runtime.
pub fn build_variant(variant: Variant) -> Contract {
    build_node(variant, None)
}

/// The contract as one node of a cluster: sio-main's namespaces use the adapters `adapter`
/// builds (`sio-contract-server --redis URL`: the Redis adapter), with `variant`'s options.
/// Must run inside a tokio runtime.
pub fn build_cluster_node(variant: Variant, adapter: AdapterFactory) -> Contract {
    build_node(variant, Some(adapter))
}

/// The contract as a node of the cluster on the Redis `config` names: connects to Redis, then
/// builds the contract on the Redis adapter. The link is returned too: it counts the servers
/// (`server_count`), and a test keeps it to know when every node has subscribed.
#[cfg(feature = "redis")]
pub async fn connect_cluster_node(
    variant: Variant,
    config: sio_redis_adapter::RedisAdapterConfig,
) -> Result<(Contract, sio_redis_adapter::RedisCluster), sio_redis_adapter::RedisError> {
    let cluster = sio_redis_adapter::RedisCluster::connect(config).await?;
    Ok((build_cluster_node(variant, cluster.factory()), cluster))
}

fn build_node(variant: Variant, adapter: Option<AdapterFactory>) -> Contract {
    let engine = move |mut c: EngineConfig| {
        if let Some(slack) = variant.timer_slack {
            c.timer_slack = slack;
        }
        c.with_fault(variant.fault)
    };
    build_tuned(
        engine(echo_config()),
        &engine,
        &|c: SocketIoConfig| c.with_fault(variant.fault),
        adapter,
    )
}

/// The contract with every engine and Socket.IO server built with `fault` (FAULTS.md). Must
/// run inside a tokio runtime.
pub fn build_with_fault(fault: Injected) -> Contract {
    build_variant(Variant {
        fault,
        ..Variant::default()
    })
}

/// The contract, each engine's and Socket.IO server's options passed through `engine` / `sio`.
fn build_tuned(
    echo_config: EngineConfig,
    engine: &dyn Fn(EngineConfig) -> EngineConfig,
    sio: sio::Tune<'_>,
    adapter: Option<AdapterFactory>,
) -> Contract {
    let engine_config = |path: &str| engine(engine_config(path));
    let echo = Engine::new(echo_config, echo);
    let socket_io = [
        sio::sio_main_with(sio, adapter),
        sio::sio_recovery(sio),
        sio::sio_eio3(sio),
    ];
    let sio_main = socket_io[0].engine(engine_config("/socket.io/"));
    let sio_recovery = socket_io[1].engine(engine_config("/socket.io-recovery/"));
    let mut eio3 = engine_config("/socket.io-eio3/");
    eio3.allow_eio3 = true;
    let sio_eio3 = socket_io[2].engine(eio3);
    let router = Router::new()
        .route(
            "/health",
            get(|| async { ([(header::CONTENT_TYPE, "text/plain")], "ok") }),
        )
        .merge(echo.router())
        .merge(sio_main.router())
        .merge(sio_recovery.router())
        .merge(sio_eio3.router())
        .fallback(not_found);
    Contract {
        router,
        echo,
        sio_main,
        sio_recovery,
        sio_eio3,
        socket_io,
    }
}

/// `404 not found`; an upgrade request also gets `Connection: close` (CONTRACT.md §2).
async fn not_found(headers: HeaderMap) -> impl IntoResponse {
    let connection = if headers.contains_key(header::UPGRADE) {
        "close"
    } else {
        "keep-alive"
    };
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/plain"),
            (header::CONNECTION, connection),
        ],
        "not found",
    )
}

/// The contract router.
pub fn router() -> Router {
    build_with(echo_config()).router
}
