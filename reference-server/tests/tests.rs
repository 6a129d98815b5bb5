//! Integration tests: the contract router served in-process on an ephemeral port, driven over
//! real HTTP and WebSocket connections. Waits are bounded; nothing sleeps to wait.

/// Shared client doubles and the in-process server.
mod support;

/// The engine.io-protocol official suite's 24 behaviours, in our own words (protocol-notes 3.2).
mod eio_suite;

/// Node behaviours observed on engine.io 6.6.12 (protocol-notes §4), for the `/engine.io/` path.
mod node_behaviours;

/// The `sio-contract-server` binary and the non-engine routes.
mod contract;
