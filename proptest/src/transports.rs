//! Which Engine.IO transport each property client uses, and where a transport can be dropped.
//!
//! The model's predictions are the same whatever the transport (a polling client receives the
//! same Socket.IO packets as a WebSocket client, only batched differently), so the transports
//! are a dimension of the case, chosen per client by the strategy and shrunk towards plain
//! WebSocket (the first alternative), so a minimal counterexample keeps polling or an upgrade
//! only when they matter.

use ::proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// The transport of one client (for every connection it opens during the case).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientTransport {
    /// A WebSocket from the start (`transport=websocket`, no upgrade).
    #[default]
    Websocket,
    /// HTTP long-polling only: one GET always pending, every send a POST.
    Polling,
    /// Polling, then (once the namespaces are joined) the upgrade to WebSocket, as the
    /// official client does: `2probe`, `3probe`, pause the polling, `5`.
    PollingThenUpgrade,
}

impl ClientTransport {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ClientTransport::Websocket => "websocket",
            ClientTransport::Polling => "polling",
            ClientTransport::PollingThenUpgrade => "polling-then-upgrade",
        }
    }
}

/// Where a `drop` operation cuts the client's transport. A point that does not apply to the
/// client's current transport falls back to [`DropPoint::Transport`], so every drop stays
/// total (any case shrinks to a runnable case).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropPoint {
    /// The current transport ends at once: the WebSocket's TCP connection without a close
    /// frame, or, on polling, the pending GET aborted (the server sees the request close).
    #[default]
    Transport,
    /// Polling only: the client stops polling (no GET, no pong); the server must notice by
    /// its heartbeat (ping timeout).
    StopPolling,
    /// Polling only: an upgrade starts (`2probe` answered by `3probe`), then, before `5`, both
    /// the probe WebSocket and the pending GET are cut.
    DuringProbe,
    /// Polling only: a complete upgrade, then the new WebSocket drops right after `5`.
    AfterUpgrade,
}

/// The drop point as it applies to the client's transport at that moment (what the executor
/// does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropAct {
    /// The WebSocket's TCP connection ends (no close frame).
    Websocket,
    /// The pending polling GET is aborted.
    AbortPoll,
    /// The client stops polling; the server's ping timeout closes the session.
    StopPolling,
    /// Upgrade probe answered, then the probe WebSocket and the pending GET are cut.
    DuringProbe,
    /// Upgrade completed (`5` sent), then the WebSocket drops.
    AfterUpgrade,
}

impl DropAct {
    /// For reports.
    pub fn describe(self) -> &'static str {
        match self {
            DropAct::Websocket => "drops TCP",
            DropAct::AbortPoll => "drops: pending GET aborted",
            DropAct::StopPolling => "drops: stops polling (ping timeout)",
            DropAct::DuringProbe => "drops during the upgrade (after 3probe, before 5)",
            DropAct::AfterUpgrade => "drops right after the upgrade (after 5)",
        }
    }

    /// Resolves `point` for a client that is (or is not) on polling.
    pub fn resolve(point: DropPoint, polling: bool) -> DropAct {
        match (polling, point) {
            (false, _) => DropAct::Websocket,
            (true, DropPoint::Transport) => DropAct::AbortPoll,
            (true, DropPoint::StopPolling) => DropAct::StopPolling,
            (true, DropPoint::DuringProbe) => DropAct::DuringProbe,
            (true, DropPoint::AfterUpgrade) => DropAct::AfterUpgrade,
        }
    }
}

/// Transports for the `rooms` and `recovery` sets: mostly WebSocket, a mix in most cases.
pub fn mixed() -> impl Strategy<Value = ClientTransport> {
    prop_oneof![
        2 => Just(ClientTransport::Websocket),
        1 => Just(ClientTransport::Polling),
        1 => Just(ClientTransport::PollingThenUpgrade),
    ]
}

/// Transports for the `upgrade` set: mostly polling clients, which the upgrade ops act on.
pub fn mostly_polling() -> impl Strategy<Value = ClientTransport> {
    prop_oneof![
        1 => Just(ClientTransport::Websocket),
        4 => Just(ClientTransport::Polling),
        1 => Just(ClientTransport::PollingThenUpgrade),
    ]
}

/// Drop points: the plain drop stays the most frequent (it is the one every transport has).
pub fn drop_point() -> impl Strategy<Value = DropPoint> {
    prop_oneof![
        4 => Just(DropPoint::Transport),
        1 => Just(DropPoint::StopPolling),
        2 => Just(DropPoint::DuringProbe),
        2 => Just(DropPoint::AfterUpgrade),
    ]
}
