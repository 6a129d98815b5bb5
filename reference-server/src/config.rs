//! Engine options, named after Node's (`pingInterval` → `ping_interval`, …) with Node's defaults
//! (engine.io 6.6.12 `BaseServer` constructor).

use std::time::Duration;

use crate::session::TransportKind;

/// Options of an [`crate::Engine`]. `EngineConfig::default()` is Node's configuration.
/// `#[non_exhaustive]`: start from the default and set what differs, so a new option does not
/// break a caller.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EngineConfig {
    /// The path the engine answers under, matched as a prefix as Node's `attach()` does
    /// (`path` option, default `/engine.io/` with `addTrailingSlash`).
    pub path: String,
    /// `pingInterval`: time between server pings (default 25 000 ms).
    pub ping_interval: Duration,
    /// `pingTimeout`: how long to wait for a pong (default 20 000 ms).
    pub ping_timeout: Duration,
    /// `upgradeTimeout`: how long an upgrade may take before the new transport is closed
    /// (default 10 000 ms).
    pub upgrade_timeout: Duration,
    /// `maxHttpBufferSize`: the largest POST body or WebSocket message, in bytes (default 1e6),
    /// announced as `maxPayload`.
    pub max_http_buffer_size: usize,
    /// `transports`: enabled transports, in order (default polling, websocket).
    pub transports: Vec<TransportKind>,
    /// `allowUpgrades` (default true).
    pub allow_upgrades: bool,
    /// `allowEIO3` (default false): serve Engine.IO v3 clients (any `EIO` other than `4`);
    /// without it they are refused with code 5.
    pub allow_eio3: bool,
    /// `cors` (default off). Node runs the `cors` package as an engine middleware.
    pub cors: Option<CorsConfig>,
    /// How long a polling POST that carried messages waits for the application to have handled
    /// them before it is answered `ok` anyway (default 1 000 ms). Node hands a POST's packets
    /// to the application synchronously before writing `ok`, so it has no such option; this
    /// bound only keeps a stuck application from holding the POST forever.
    pub application_wait: Duration,
    /// How early a session's ping may leave, so that pings falling due close together leave
    /// in one wakeup of the timer driver (default 10 ms; not a Node option). Only pings move,
    /// and only earlier, by at most a quarter of `ping_interval`: every timer that closes or
    /// refuses something (the pong deadline, the upgrade timeout, the polling close timeout)
    /// fires at its deadline as Node's `setTimeout` does, and the pong deadline of a ping that
    /// leaves within the slack of its due time (early or late) counts from that due time, so a
    /// client that never answers is closed at `pingInterval` + `pingTimeout` sharp
    /// (`session::SessionConfig::ping_slack`). With thousands of idle
    /// connections this takes about a tenth off the CPU each ping costs and a fifth off the
    /// server's wakeups (README, Performance); `Duration::ZERO` sends every ping when due.
    pub timer_slack: Duration,
    /// The one protocol bug this engine has: none unless a test armed one
    /// ([`EngineConfig::with_fault`]).
    pub(crate) fault: crate::fault::Injected,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            path: "/engine.io/".to_owned(),
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_http_buffer_size: 1_000_000,
            transports: vec![TransportKind::Polling, TransportKind::WebSocket],
            allow_upgrades: true,
            allow_eio3: false,
            cors: None,
            application_wait: Duration::from_millis(1_000),
            timer_slack: Duration::from_millis(10),
            fault: crate::fault::Injected::NONE,
        }
    }
}

impl EngineConfig {
    /// The timings and limits each session of this engine runs with.
    pub fn session_config(&self) -> crate::session::SessionConfig {
        let mut config = crate::session::SessionConfig::default().with_fault(self.fault);
        config.ping_interval = self.ping_interval;
        config.ping_timeout = self.ping_timeout;
        config.upgrade_timeout = self.upgrade_timeout;
        config.max_payload = self.max_http_buffer_size;
        config.application_wait = self.application_wait;
        config.ping_slack = self.timer_slack;
        config
    }

    /// The same options with `fault` injected (tests only: without the feature `faults` an
    /// `Injected` is always empty; FAULTS.md).
    pub fn with_fault(self, fault: crate::fault::Injected) -> Self {
        EngineConfig { fault, ..self }
    }

    /// Whether `transport` is enabled.
    pub fn allows(&self, transport: TransportKind) -> bool {
        self.transports.contains(&transport)
    }

    /// The `upgrades` array of the handshake for a session opened over `transport`
    /// (`socket.ts#getAvailableUpgrades`: polling upgrades to websocket; nothing upgrades from
    /// websocket; empty when `allowUpgrades` is off or websocket is disabled).
    pub fn upgrades_from(&self, transport: TransportKind) -> Vec<String> {
        match transport {
            TransportKind::Polling
                if self.allow_upgrades && self.allows(TransportKind::WebSocket) =>
            {
                vec!["websocket".to_owned()]
            }
            _ => Vec::new(),
        }
    }
}

/// The `cors` option: what the `cors` npm package is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsConfig {
    /// `origin`.
    pub origin: CorsOrigin,
    /// `credentials`: adds `Access-Control-Allow-Credentials: true`.
    pub credentials: bool,
}

impl CorsConfig {
    /// `cors: { origin: "*" }`, as the official suites' servers use.
    pub fn any() -> CorsConfig {
        CorsConfig {
            origin: CorsOrigin::Any,
            credentials: false,
        }
    }
}

/// The `origin` setting of the `cors` package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigin {
    /// `"*"`: `Access-Control-Allow-Origin: *`.
    Any,
    /// A fixed origin string, written as is, with `Vary: Origin`.
    Exact(String),
    /// `true`: reflect the request's `Origin`, with `Vary: Origin`.
    Reflect,
}
