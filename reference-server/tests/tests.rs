//! Integration tests: the contract router served in-process on an ephemeral port, driven over
//! real HTTP and WebSocket connections. Waits are bounded; nothing sleeps to wait.

/// Shared client doubles and the in-process server.
mod support;

/// The engine.io-protocol official suite's 24 behaviours, in our own words (ids in fixtures/README.md).
mod eio_suite;

/// Node behaviours observed on engine.io 6.6.12 (the §4 behaviour tags), for the `/engine.io/` path.
mod node_behaviours;

/// The socket.io-protocol official suite's 16 Socket.IO cases (ids in fixtures/README.md).
mod sio_suite;

/// Node behaviours observed on socket.io 4.8.4 (observed Node behaviour §4 #10–#16, #28–#40).
mod sio_behaviours;

/// sio-main's contract: rooms, broadcast targets, acks both ways, middlewares, disconnects.
mod sio_contract;

/// Interop with the official socket.io-client 4.8.4 (Node), over polling, WebSocket and upgrade:
/// events, acks both ways, binary, namespaces, every broadcast target, middleware refusal,
/// reconnection after a network drop, connection state recovery; the same script against the
/// Node harness validates it.
mod official_client;

/// Connection state recovery on `/socket.io-recovery/` (behaviour tag §5).
mod sio_recovery;

/// `timer_slack`: pings due close together share one wakeup.
mod timer;

/// Timeouts that close or refuse something (ping, upgrade, connect, ack) fire at their deadline
/// whatever the `timer_slack`, as Node's `setTimeout`s do.
mod timeouts;

/// The chat example (examples/chat) in-process: HTTP routes, token auth, rooms, admin metrics.
mod chat;

/// Engine.IO v3 and Socket.IO v4 on `/socket.io-eio3/`: the transcripts' error cases and
/// binary framings that the conformance cases leave out.
mod eio3;

/// One step, one batch: a POST's replies and closes before its `ok`, the CONNECT reply with the
/// connection handler's emits, two CONNECTs of one burst (races forced deterministically).
mod batching;

/// The server as a library: the builder, `serve`, extractor handlers, typed emits,
/// the adapter's cluster operations, graceful shutdown.
mod library;

/// The quickstart example (examples/quickstart.rs) driven once.
mod quickstart;

/// A server whose engine is dropped with sessions open leaves nothing behind.
mod lifecycle;
