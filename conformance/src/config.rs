//! What the runner knows about the server under test: the contract's servers and timings, and
//! the capabilities it declares or that were detected.

use crate::driver::Endpoint;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A server's timings: what it announces in its open packet (pingInterval, pingTimeout,
/// maxPayload) and its Socket.IO connectTimeout, which no packet announces.
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
        Timings::CONTRACT
    }
}

impl Timings {
    /// The contract's timings (fixtures/CONTRACT.md §3–4, the official suites' values).
    pub const CONTRACT: Timings = Timings {
        ping_interval: 300,
        ping_timeout: 200,
        max_payload: 1_000_000,
        connect_timeout: 1000,
    };

    /// Node's connectTimeout when a server sets none (socket.io's default).
    pub const NODE_CONNECT_TIMEOUT: u64 = 45_000;

    /// Whether the heartbeat and limit are the contract's (what the replays were recorded at).
    pub fn announces_contract(&self) -> bool {
        self.ping_interval == Timings::CONTRACT.ping_interval
            && self.ping_timeout == Timings::CONTRACT.ping_timeout
            && self.max_payload == Timings::CONTRACT.max_payload
    }
}

/// Timings given on the command line: each replaces what the server announced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimingOverrides {
    /// `--ping-interval`.
    pub ping_interval: Option<u64>,
    /// `--ping-timeout`.
    pub ping_timeout: Option<u64>,
    /// `--max-payload`.
    pub max_payload: Option<u64>,
    /// `--connect-timeout`.
    pub connect_timeout: Option<u64>,
}

impl TimingOverrides {
    /// `base` with every given override applied.
    pub fn apply(&self, base: Timings) -> Timings {
        Timings {
            ping_interval: self.ping_interval.unwrap_or(base.ping_interval),
            ping_timeout: self.ping_timeout.unwrap_or(base.ping_timeout),
            max_payload: self.max_payload.unwrap_or(base.max_payload),
            connect_timeout: self.connect_timeout.unwrap_or(base.connect_timeout),
        }
    }
}

/// One of the contract's servers, each on its own path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
    /// Every contract server, in a stable order.
    pub const ALL: [Server; 4] = [
        Server::EioEcho,
        Server::SioMain,
        Server::SioRecovery,
        Server::SioEio3,
    ];

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

/// How much of the server contract (fixtures/CONTRACT.md) a target implements. Each tier includes
/// the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Any Socket.IO server, no application code: only what the protocols themselves oblige.
    Protocol,
    /// The official engine.io-protocol and socket.io-protocol suites' servers, exactly.
    Official,
    /// The contract's extensions: rooms, control events, recovery, EIO=3.
    Full,
}

impl Tier {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Protocol => "protocol",
            Tier::Official => "official",
            Tier::Full => "full",
        }
    }

    /// The highest tier whose every capability is in `capabilities` (`None`: not even a
    /// Socket.IO server at `/socket.io/`).
    pub fn of(capabilities: &BTreeSet<Capability>) -> Option<Tier> {
        [Tier::Full, Tier::Official, Tier::Protocol]
            .into_iter()
            .find(|tier| {
                Capability::ALL
                    .iter()
                    .filter(|c| c.tier() <= *tier)
                    .all(|c| capabilities.contains(c))
            })
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a server under test offers; a case needing one the target lacks is `unsupported`.
/// Detected by behaviour (a `message` answered by `message-back`, a control event acked), never
/// by a path merely answering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// The Engine.IO echo server at `/engine.io/` (official tier).
    Eio,
    /// A Socket.IO server at `/socket.io/` that accepts a CONNECT to `/` (protocol tier).
    Sio,
    /// The socket.io-protocol suite's handlers: `/` emits `auth` on connection, answers `message`
    /// with `message-back` and acks `message-with-ack`; `/custom` emits `auth` (official tier).
    SioHandlers,
    /// The contract's heartbeat and limits (pingInterval 300, pingTimeout 200, maxPayload 1e6,
    /// connectTimeout 1000), at which the Node transcripts were recorded (official tier).
    ContractTimings,
    /// Connection state recovery at `/socket.io-recovery/` (full tier).
    Recovery,
    /// EIO=3 clients at `/socket.io-eio3/` (full tier).
    Eio3,
    /// The contract's extensions: `/health`, `/custom`'s suite handlers, `/admin`, `/plain`,
    /// dynamic namespaces, control events (full tier).
    ContractExtensions,
}

impl Capability {
    /// Every capability, in a stable order.
    pub const ALL: [Capability; 7] = [
        Capability::Eio,
        Capability::Sio,
        Capability::SioHandlers,
        Capability::ContractTimings,
        Capability::Recovery,
        Capability::Eio3,
        Capability::ContractExtensions,
    ];

    /// The lowest tier that includes it.
    pub fn tier(self) -> Tier {
        match self {
            Capability::Sio => Tier::Protocol,
            Capability::Eio | Capability::SioHandlers | Capability::ContractTimings => {
                Tier::Official
            }
            Capability::Recovery | Capability::Eio3 | Capability::ContractExtensions => Tier::Full,
        }
    }

    /// Every capability of a tier and the tiers below it.
    pub fn up_to(tier: Tier) -> BTreeSet<Capability> {
        Capability::ALL
            .into_iter()
            .filter(|c| c.tier() <= tier)
            .collect()
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Eio => "eio",
            Capability::Sio => "sio",
            Capability::SioHandlers => "sio-handlers",
            Capability::ContractTimings => "contract-timings",
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
    /// The timings of every server without an entry in `per_server`.
    pub timings: Timings,
    /// The timings each server announced (with the command line's overrides applied).
    pub per_server: BTreeMap<Server, Timings>,
    /// Bound on one step (one request, one frame wait).
    pub step: Duration,
    /// Slack added to timing-based bounds (ping timeout, connect timeout) for slow machines.
    pub margin: Duration,
    /// Bound on a whole case; `None`: derived from the case server's timings
    /// ([`Settings::case_bound`]).
    pub case_timeout: Option<Duration>,
    /// What the target offers.
    pub capabilities: BTreeSet<Capability>,
    /// The round trip detection measured (zero when detection did not run).
    pub round_trip: Duration,
    /// The other nodes of a cluster (`--url` given more than once), after `endpoint`, which is
    /// node 0; empty for a single server.
    pub nodes: Vec<Endpoint>,
}

impl Settings {
    /// Settings with the contract defaults for an endpoint and every capability.
    pub fn new(endpoint: Endpoint) -> Settings {
        Settings {
            endpoint,
            timings: Timings::default(),
            per_server: BTreeMap::new(),
            step: Duration::from_millis(2000),
            margin: Duration::from_millis(400),
            case_timeout: None,
            capabilities: Capability::ALL.into_iter().collect(),
            round_trip: Duration::ZERO,
            nodes: Vec::new(),
        }
    }

    /// How many nodes the target has (1 for a single server).
    pub fn node_count(&self) -> usize {
        1 + self.nodes.len()
    }

    /// Node `n`'s endpoint (node 0 is [`Settings::endpoint`]); `n` wraps around.
    pub fn node(&self, n: usize) -> &Endpoint {
        match n % self.node_count() {
            0 => &self.endpoint,
            i => &self.nodes[i - 1],
        }
    }

    /// Takes what detection found: its capabilities, and each server's announced timings with
    /// `overrides` applied (the overrides alone, over the contract's, for servers that
    /// announced nothing).
    pub fn adopt(&mut self, detected: &crate::detect::Detected, overrides: TimingOverrides) {
        self.capabilities = detected.capabilities.clone();
        self.per_server = detected
            .announced
            .iter()
            .map(|(server, timings)| (*server, overrides.apply(*timings)))
            .collect();
        self.timings = overrides.apply(Timings::CONTRACT);
        // A server far away is judged as one nearby: every timing bound gets the round trip
        // (twice: a request out and its answer back may each wait on one), every step four.
        self.margin += 2 * detected.round_trip;
        self.step += 4 * detected.round_trip;
        self.round_trip = detected.round_trip;
    }

    /// Whether `server` is too far for a client that polls step by step: a ping queued just
    /// after one GET waits for a request's round trip, then the next GET's, then the pong's way
    /// out, about 2.5 round trips; from a third of the pingTimeout on, the pong may come late.
    pub fn too_far_for_step_by_step(&self, server: Server) -> bool {
        3 * self.round_trip >= Duration::from_millis(self.timings_for(server).ping_timeout)
    }

    /// Whether `server` is too far for any polling client to be sure of its pongs: a ping
    /// queued just after a response waits a round trip for the client's next GET, and its pong
    /// takes half of one each way, so from half the pingTimeout on a session of a correct
    /// server and a correct client may time out.
    pub fn too_far_for_polling(&self, server: Server) -> bool {
        2 * self.round_trip >= Duration::from_millis(self.timings_for(server).ping_timeout)
    }

    /// The timings of one server: what it announced, else [`Settings::timings`].
    pub fn timings_for(&self, server: Server) -> Timings {
        self.per_server
            .get(&server)
            .copied()
            .unwrap_or(self.timings)
    }

    /// The timings a report shows: the Socket.IO server's, or the echo server's if that is all
    /// the target announced, else the defaults.
    pub fn reported_timings(&self) -> Timings {
        [Server::SioMain, Server::EioEcho]
            .into_iter()
            .find(|s| self.per_server.contains_key(s))
            .map_or(self.timings, |s| self.timings_for(s))
    }

    /// The bound on a whole case on `server`: `--case-timeout`, else 20 s plus four heartbeat
    /// periods (pingInterval + pingTimeout) plus connectTimeout, so a case that must see three
    /// pings or a connect timeout of a server at Node's defaults (25 s, 20 s, 45 s) can finish.
    pub fn case_bound(&self, server: Server) -> Duration {
        self.case_timeout.unwrap_or_else(|| {
            let t = self.timings_for(server);
            Duration::from_millis(
                20_000 + 4 * (t.ping_interval + t.ping_timeout) + t.connect_timeout,
            )
        })
    }

    /// The bound on a polling GET on `server`: a server may hold a long poll for a whole
    /// pingInterval before its ping answers it, so one step plus pingInterval plus the margin.
    pub fn poll_bound(&self, server: Server) -> Duration {
        self.step + Duration::from_millis(self.timings_for(server).ping_interval) + self.margin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_are_made_of_their_capabilities() {
        assert_eq!(Tier::of(&BTreeSet::new()), None);
        assert_eq!(
            Tier::of(&Capability::up_to(Tier::Protocol)),
            Some(Tier::Protocol)
        );
        let mut official = Capability::up_to(Tier::Official);
        assert_eq!(Tier::of(&official), Some(Tier::Official));
        assert_eq!(
            Tier::of(&Capability::ALL.into_iter().collect()),
            Some(Tier::Full)
        );
        // One capability short of the official tier is the protocol tier.
        official.remove(&Capability::SioHandlers);
        assert_eq!(Tier::of(&official), Some(Tier::Protocol));
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let announced = Timings {
            ping_interval: 25_000,
            ping_timeout: 20_000,
            max_payload: 1_000_000,
            connect_timeout: Timings::NODE_CONNECT_TIMEOUT,
        };
        let overrides = TimingOverrides {
            ping_timeout: Some(5000),
            ..TimingOverrides::default()
        };
        let t = overrides.apply(announced);
        assert_eq!((t.ping_interval, t.ping_timeout), (25_000, 5000));
        assert!(!t.announces_contract());
        assert!(Timings::CONTRACT.announces_contract());
    }

    #[test]
    fn bounds_follow_the_announced_heartbeat() {
        let mut s = Settings::new(crate::driver::Endpoint::parse("http://127.0.0.1:1").unwrap());
        assert_eq!(s.case_bound(Server::SioMain), Duration::from_millis(23_000));
        s.per_server.insert(
            Server::SioMain,
            Timings {
                ping_interval: 25_000,
                ping_timeout: 20_000,
                max_payload: 1_000_000,
                connect_timeout: 45_000,
            },
        );
        assert_eq!(
            s.case_bound(Server::SioMain),
            Duration::from_millis(245_000)
        );
        assert_eq!(s.poll_bound(Server::SioMain), Duration::from_millis(27_400));
        assert_eq!(s.poll_bound(Server::EioEcho), Duration::from_millis(2_700));
        s.case_timeout = Some(Duration::from_secs(5));
        assert_eq!(s.case_bound(Server::SioMain), Duration::from_secs(5));
    }

    #[test]
    fn distance_limits_follow_the_pingtimeout() {
        let mut s = Settings::new(crate::driver::Endpoint::parse("http://127.0.0.1:1").unwrap());
        let at = |s: &mut Settings, ms| {
            s.round_trip = Duration::from_millis(ms);
            (
                s.too_far_for_step_by_step(Server::SioMain),
                s.too_far_for_polling(Server::SioMain),
            )
        };
        // The contract's 200 ms pingTimeout: a third is 66.7 ms, half 100 ms.
        assert_eq!(at(&mut s, 0), (false, false));
        assert_eq!(at(&mut s, 66), (false, false));
        assert_eq!(at(&mut s, 67), (true, false));
        assert_eq!(at(&mut s, 99), (true, false));
        assert_eq!(at(&mut s, 100), (true, true));
        // A server's own announced pingTimeout counts, not the contract's.
        s.per_server.insert(
            Server::SioMain,
            Timings {
                ping_timeout: 20_000,
                ..Timings::CONTRACT
            },
        );
        assert_eq!(at(&mut s, 300), (false, false));
    }
}
