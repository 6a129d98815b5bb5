//! The behaviour catalogue: rules with a stable id, a level, where the rule comes from and what
//! Node does. A deviation the suite finds is reported once, under its rule, as a finding (see
//! [`crate::findings`]); cases whose first deviation is a rule already reported are "blocked by"
//! it instead of failing on their own.
//!
//! This first part of the catalogue holds the rules that shared steps check on the way to
//! what a case is about (the open packet, the CONNECT reply): the ones whose deviations would
//! otherwise cascade through every case that opens a session. Two more kinds follow: a MUST
//! inside a SHOULD case (a limit that must be enforced, whose form of refusal is Node's), and
//! the closing check every security case shares (the server survives the crafted input: a
//! server taken down by one is one finding, not one failure per advisory).
//!
//! - [`behaviours`]: what the official server does, under the tags cases cite (`§4 #17`).
//! - [`document`]: the whole catalogue (these rules, the behaviours, every case) as one
//!   document, conformance/CATALOGUE.md.

pub mod behaviours;
pub mod document;

use crate::case::Level;

/// One rule of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable dotted id, cited by failures, findings and reports.
    pub id: &'static str,
    /// MUST or SHOULD: a deviation from a MUST rule fails a case, even a SHOULD case.
    pub level: Level,
    /// The rule in one sentence.
    pub title: &'static str,
    /// Where the rule is written.
    pub source: &'static str,
    /// What the official Node server does.
    pub node: &'static str,
    /// The cases that check the rule.
    pub checked_by: &'static str,
}

/// The open packet (Engine.IO handshake).
pub const OPEN_PACKET: &str = "eio.handshake.open-packet";
/// The CONNECT reply comes first on its namespace.
pub const CONNECT_REPLY: &str = "sio.connect.reply";

/// An unknown namespace is refused with a CONNECT_ERROR.
pub const UNKNOWN_NAMESPACE: &str = "sio.connect.unknown-namespace-refused";

/// The socket id is not the Engine.IO session id.
pub const SOCKET_ID_PRIVATE: &str = "sio.connect.socket-id-private";

/// The first ping comes before a client gives up waiting for it.
pub const FIRST_PING_IN_TIME: &str = "eio.heartbeat.first-ping-in-time";
/// The first ping does not come early.
pub const FIRST_PING_NOT_EARLY: &str = "eio.heartbeat.first-ping-not-early";

/// A message over the announced maxPayload is not accepted.
pub const MAX_PAYLOAD_ENFORCED: &str = "eio.limits.max-payload-enforced";
/// The server outlives a crafted input (the security cases' closing check).
pub const SERVER_SURVIVES: &str = "security.crafted-input.server-survives";

/// Pings keep the announced period.
pub const PING_ON_SCHEDULE: &str = "eio.heartbeat.ping-on-schedule";
/// An unanswered ping ends the session.
pub const PING_TIMEOUT_CLOSES: &str = "eio.heartbeat.ping-timeout-closes";
/// An unanswered ping ends the session when pingTimeout runs out, not later or earlier.
pub const PING_TIMEOUT_ON_TIME: &str = "eio.heartbeat.ping-timeout-on-time";
/// An engine connection that joins no namespace is closed.
pub const CONNECT_TIMEOUT_CLOSES: &str = "sio.connect.timeout-closes";
/// That close comes when connectTimeout runs out, not later or earlier.
pub const CONNECT_TIMEOUT_ON_TIME: &str = "sio.connect.timeout-on-time";

/// Every rule.
pub const RULES: &[Rule] = &[
    Rule {
        id: OPEN_PACKET,
        level: Level::Must,
        title: "A new session starts with the open packet `0{…}`: a JSON object with the keys sid, \
                upgrades (`[\"websocket\"]` over polling, `[]` over WebSocket), pingInterval, \
                pingTimeout and maxPayload, the timings those the server keeps",
        source: "engine.io-protocol v4 README, Handshake",
        node: "`0{\"sid\":…,\"upgrades\":[…],\"pingInterval\":…,\"pingTimeout\":…,\"maxPayload\":…}`, \
               in that key order",
        checked_by: "the handshake step of every case that opens an Engine.IO session, polling or WebSocket; the `eio.handshake.*.open` cases are about it",
    },
    Rule {
        id: CONNECT_REPLY,
        level: Level::Must,
        title: "A CONNECT to a namespace the server serves is answered by a CONNECT packet with the \
                socket id (`40[/nsp,]{\"sid\":…}`), before any other packet of that namespace",
        source: "socket.io-protocol v5 Readme, Connection to a namespace",
        node: "the CONNECT reply is written before anything the connection handler emits",
        checked_by: "the CONNECT step of every Socket.IO case that joins a namespace; the `sio.connect.*` cases are about it",
    },
    Rule {
        id: UNKNOWN_NAMESPACE,
        level: Level::Must,
        title: "A CONNECT to a namespace the server does not serve is refused with a CONNECT_ERROR \
                whose payload is an object with a `message` (`44/nsp,{\"message\":\"Invalid namespace\"}` \
                as the official suite expects it)",
        source: "socket.io-protocol v5 Readme, Connection to a namespace; socket.io-protocol test suite",
        node: "`44/random,{\"message\":\"Invalid namespace\"}`; the engine connection stays",
        checked_by: "`sio.connect.unknown-namespace`, `sio.connect.unknown-namespace-keeps-connection`",
    },
    Rule {
        id: SOCKET_ID_PRIVATE,
        level: Level::Should,
        title: "The socket id in a CONNECT reply is not the Engine.IO session id: the session id \
                authenticates every polling request of the session, while the socket id is shown \
                to other clients (rooms, broadcasts), so sharing one hands the session to them",
        source: "socket.io-protocol v5 Readme, Connection to a namespace (the sid is the socket's); \
                 Socket.IO's own security advice on the session id",
        node: "a fresh random id per namespace connection, never the engine's",
        checked_by: "`sio.connect.socket-id-private`, and the replays that join a namespace (the sid in a CONNECT reply)",
    },
    Rule {
        id: FIRST_PING_IN_TIME,
        level: Level::Must,
        title: "The first ping comes within the announced pingInterval + pingTimeout of the open \
                packet: a client that has not heard a ping by then closes the connection",
        source: "engine.io-protocol v4 README, Heartbeat (what socket.io-client does)",
        node: "the first ping pingInterval after the open packet",
        checked_by: "`eio.heartbeat.websocket.first-ping`, `sio.engine.heartbeat.websocket.first-ping`",
    },
    Rule {
        id: FIRST_PING_NOT_EARLY,
        level: Level::Should,
        title: "The first ping comes about pingInterval after the open packet, not right away: \
                the announced interval is the heartbeat's period from the start",
        source: "engine.io-protocol v4 README, Heartbeat",
        node: "the first ping pingInterval after the open packet (one timer, armed at the handshake)",
        checked_by: "`eio.heartbeat.websocket.first-ping`, `sio.engine.heartbeat.websocket.first-ping`",
    },
    Rule {
        id: PING_ON_SCHEDULE,
        level: Level::Should,
        title: "Pings keep the announced period: each comes pingInterval after the pong to the \
                previous one, within a few milliseconds, neither later (a client waits \
                pingInterval + pingTimeout at most) nor earlier",
        source: "engine.io-protocol v4 README, Heartbeat",
        node: "one setTimeout(pingInterval) armed at the handshake and again by each pong",
        checked_by: "the `*.heartbeat.*.first-ping` and `*.heartbeat.*.ping-pong` cases",
    },
    Rule {
        id: PING_TIMEOUT_CLOSES,
        level: Level::Must,
        title: "A session whose ping is not answered is closed once pingTimeout has run out: \
                a server that keeps it open past the margin keeps dead clients",
        source: "engine.io-protocol v4 README, Heartbeat; both official suites, `closes the \
                 session upon ping timeout`",
        node: "closed with reason `ping timeout` by a setTimeout(pingTimeout) armed when the ping \
               is sent",
        checked_by: "the `*.heartbeat.*.ping-timeout` cases, over polling and WebSocket",
    },
    Rule {
        id: PING_TIMEOUT_ON_TIME,
        level: Level::Should,
        title: "The session is closed when pingTimeout runs out, within a few milliseconds: the \
                official suites send a polling GET exactly pingInterval + pingTimeout after the \
                handshake and expect 400; closing before pingTimeout ran out cuts off a client \
                that is merely far away",
        source: "both official suites, `closes the session upon ping timeout` over polling",
        node: "closed pingTimeout after the ping; a request arriving after that deadline finds \
               the session gone (due timers run before I/O in Node's event loop)",
        checked_by: "the `*.heartbeat.*.ping-timeout` cases, over polling and WebSocket",
    },
    Rule {
        id: CONNECT_TIMEOUT_CLOSES,
        level: Level::Must,
        title: "An engine connection that has joined no namespace when connectTimeout runs out \
                is closed",
        source: "socket.io-protocol test suite, `should close the connection if no handshake is \
                 received`; socket.io server option connectTimeout",
        node: "the client closes its engine connection after connectTimeout (45 s by default) \
               unless a namespace was joined",
        checked_by: "`sio.connect.no-handshake`",
    },
    Rule {
        id: CONNECT_TIMEOUT_ON_TIME,
        level: Level::Should,
        title: "That close comes when connectTimeout runs out, within a few milliseconds, not \
                later and not before (a client that joins slowly is not cut off early)",
        source: "socket.io server option connectTimeout",
        node: "one setTimeout(connectTimeout) armed when the engine connection opens",
        checked_by: "`sio.connect.no-handshake`",
    },
    Rule {
        id: MAX_PAYLOAD_ENFORCED,
        level: Level::Must,
        title: "A message over the maxPayload the server announces is not accepted: a polling POST \
                body over it is refused (not 2xx), a WebSocket message over it is not handled. An \
                announced limit that is not enforced lets one client make the server buffer \
                messages of any size (CVE-2020-36048)",
        source: "engine.io-protocol v4 README, Handshake (maxPayload); engine.io advisory \
                 CVE-2020-36048",
        node: "413 for a POST over maxHttpBufferSize (the session stays); close 1009 for a \
               WebSocket message over it",
        checked_by: "`eio.limits.polling.payload-too-large`, `eio.limits.websocket.frame-too-large`",
    },
    Rule {
        id: SERVER_SURVIVES,
        level: Level::Must,
        title: "After a crafted input (one of the published advisories' inputs), the server still \
                answers: a session opened before it goes on, and a fresh handshake and CONNECT \
                are answered. A server that one client's input takes down is a denial of \
                service for every client",
        source: "engine.io, socket.io and socket.io-parser advisories CVE-2020-36049, \
                 CVE-2022-21676, CVE-2022-2421, CVE-2022-41940, CVE-2023-31125, CVE-2023-32695, \
                 CVE-2024-38355, CVE-2026-33151 (see conformance/src/cases/security.rs)",
        node: "at most the connection that sent the input is closed; every other session and \
               new handshakes are served",
        checked_by: "every `security.*` case (its closing check)",
    },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_rules_complete() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate rule {}", r.id);
            assert!(r.id.split('.').count() >= 3, "{}", r.id);
            assert!(!r.title.is_empty() && !r.source.is_empty() && !r.node.is_empty());
        }
        assert!(rule(CONNECT_REPLY).is_some());
        assert!(rule("no.such.rule").is_none());
    }
}
