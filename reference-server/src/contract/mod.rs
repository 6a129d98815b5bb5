//! The contract server's router (fixtures/CONTRACT.md): the Engine.IO echo server at
//! `/engine.io/` (pingInterval 300, pingTimeout 200, maxHttpBufferSize 1e6, cors `*`, every
//! message echoed unchanged), the Socket.IO servers sio-main (`/socket.io/`), sio-recovery
//! (`/socket.io-recovery/`) and sio-eio3 (`/socket.io-eio3/`, `allowEIO3`) with the same engine
//! settings ([`sio`]), and `GET /health` → `ok`. Shared by
//! `sio-contract-server` and the in-process integration tests.

pub mod sio;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::config::{CorsConfig, EngineConfig};
use crate::server::{Connection, Engine, SocketEvent};

/// The echo server's options: the official engine.io-protocol suite's.
pub fn echo_config() -> EngineConfig {
    engine_config("/engine.io/")
}

/// The common engine settings of every contract server (CONTRACT.md §3) at `path`.
pub fn engine_config(path: &str) -> EngineConfig {
    EngineConfig {
        path: path.to_owned(),
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        max_http_buffer_size: 1_000_000,
        cors: Some(CorsConfig::any()),
        ..EngineConfig::default()
    }
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
}

/// The contract with the echo engine built from `echo_config`. Must run inside a tokio runtime.
pub fn build_with(echo_config: EngineConfig) -> Contract {
    build_tuned(echo_config, &|_| {}, &|_| {})
}

/// The contract with every engine's `timer_slack` set to `slack` (the bench compares the
/// timer coalescing on and off; CONTRACT.md's options are otherwise unchanged). Must run inside
/// a tokio runtime.
pub fn build_with_timer_slack(slack: std::time::Duration) -> Contract {
    let echo = EngineConfig {
        timer_slack: slack,
        ..echo_config()
    };
    build_tuned(echo, &|c| c.timer_slack = slack, &|_| {})
}

/// The contract with every engine and Socket.IO server built with `fault` (feature `faults`,
/// tests only; FAULTS.md). Must run inside a tokio runtime.
#[cfg(feature = "faults")]
pub fn build_with_fault(fault: Option<crate::fault::Fault>) -> Contract {
    let echo = EngineConfig {
        fault,
        ..echo_config()
    };
    build_tuned(echo, &|c| c.fault = fault, &|c| c.fault = fault)
}

/// The contract, each engine's and Socket.IO server's options passed through `engine` / `sio`.
fn build_tuned(
    echo_config: EngineConfig,
    engine: &dyn Fn(&mut EngineConfig),
    sio: sio::Tune<'_>,
) -> Contract {
    let engine_config = |path: &str| {
        let mut c = engine_config(path);
        engine(&mut c);
        c
    };
    let echo = Engine::new(echo_config, echo);
    let sio_main = sio::sio_main(sio).engine(engine_config("/socket.io/"));
    let sio_recovery = sio::sio_recovery(sio).engine(engine_config("/socket.io-recovery/"));
    let sio_eio3 = sio::sio_eio3(sio).engine(EngineConfig {
        allow_eio3: true,
        ..engine_config("/socket.io-eio3/")
    });
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
    }
}

/// The contract router with the echo engine built from `config`; the echo engine is returned
/// too so tests can look at its sessions. Must run inside a tokio runtime.
pub fn router_with(config: EngineConfig) -> (Router, Engine) {
    let c = build_with(config);
    (c.router, c.echo)
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
    router_with(echo_config()).0
}
