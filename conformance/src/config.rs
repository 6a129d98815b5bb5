//! What the runner knows about the server under test: the contract's servers and timings, and
//! the capabilities it declares or that were detected.

use crate::driver::Endpoint;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The contract timings (fixtures/CONTRACT.md §3–4), overridable from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Timings {
    /// pingInterval, ms (contract: 300).
    pub ping_interval: u64,
    /// pingTimeout, ms (contract: 200).
    pub ping_timeout: u64,
    /// maxPayload / maxHttpBufferSize, bytes (contract: 1000000).
    pub max_payload: u64,
    /// Socket.IO connectTimeout, ms (contract: 1000).
    pub connect_timeout: u64,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            ping_interval: 300,
            ping_timeout: 200,
            max_payload: 1_000_000,
            connect_timeout: 1000,
        }
    }
}

/// One of the contract's servers, each on its own path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Server {
    /// `/engine.io/`: Engine.IO echo server.
    EioEcho,
    /// `/socket.io/`: the Socket.IO suite server (extended by the contract).
    SioMain,
    /// `/socket.io-recovery/`: with connection state recovery.
    SioRecovery,
    /// `/socket.io-eio3/`: with `allowEIO3`.
    SioEio3,
}

impl Server {
    /// The contract path, with its trailing slash.
    pub fn path(self) -> &'static str {
        match self {
            Server::EioEcho => "/engine.io/",
            Server::SioMain => "/socket.io/",
            Server::SioRecovery => "/socket.io-recovery/",
            Server::SioEio3 => "/socket.io-eio3/",
        }
    }

    /// The capability a target needs to serve this path.
    pub fn capability(self) -> Capability {
        match self {
            Server::EioEcho => Capability::Eio,
            Server::SioMain => Capability::Sio,
            Server::SioRecovery => Capability::Recovery,
            Server::SioEio3 => Capability::Eio3,
        }
    }

    /// Whether this is a Socket.IO server (it closes engine sessions that join no namespace
    /// within connectTimeout).
    pub fn is_socketio(self) -> bool {
        self != Server::EioEcho
    }
}

/// What a server under test offers; a case needing one the target lacks is `unsupported`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// The Engine.IO echo server at `/engine.io/`.
    Eio,
    /// The Socket.IO suite server at `/socket.io/`.
    Sio,
    /// Connection state recovery at `/socket.io-recovery/`.
    Recovery,
    /// EIO=3 clients at `/socket.io-eio3/`.
    Eio3,
    /// The contract's extensions: `/health`, `/admin`, `/plain`, dynamic namespaces, control events.
    ContractExtensions,
}

impl Capability {
    /// Every capability, in a stable order.
    pub const ALL: [Capability; 5] = [
        Capability::Eio,
        Capability::Sio,
        Capability::Recovery,
        Capability::Eio3,
        Capability::ContractExtensions,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Eio => "eio",
            Capability::Sio => "sio",
            Capability::Recovery => "recovery",
            Capability::Eio3 => "eio3",
            Capability::ContractExtensions => "contract-extensions",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Capability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Capability::ALL.iter().map(|c| c.name()).collect();
                format!("unknown capability {s:?} (known: {})", names.join(", "))
            })
    }
}

/// Everything a case run depends on besides the case itself.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The server under test.
    pub endpoint: Endpoint,
    /// The contract timings.
    pub timings: Timings,
    /// Bound on one step (one request, one frame wait).
    pub step: Duration,
    /// Slack added to timing-based bounds (ping timeout, connect timeout) for slow machines.
    pub margin: Duration,
    /// Bound on a whole case.
    pub case_timeout: Duration,
    /// What the target offers.
    pub capabilities: BTreeSet<Capability>,
}

impl Settings {
    /// Settings with the contract defaults for an endpoint and every capability.
    pub fn new(endpoint: Endpoint) -> Settings {
        Settings {
            endpoint,
            timings: Timings::default(),
            step: Duration::from_millis(2000),
            margin: Duration::from_millis(400),
            case_timeout: Duration::from_secs(20),
            capabilities: Capability::ALL.into_iter().collect(),
        }
    }
}
