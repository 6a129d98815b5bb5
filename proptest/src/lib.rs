//! `sio-proptest`, the property tests of a contract server (fixtures/CONTRACT.md, full tier):
//! random operation sequences over 2–4 clients (connect, join, leave,
//! broadcast to every target, acks, client and server disconnects, transport drops,
//! reconnects with and without recovery) run against a live server, checked after every step
//! against a reference model of Socket.IO semantics. Example-based cases catch what someone
//! thought of; these find the sequences nobody thought of.
//!
//! - [`ops`]: the operations and their proptest strategies (every op total, so shrinking works).
//! - [`model`]: the reference model (rooms, targets, acks, the recovery buffer and sessions).
//! - [`transports`]: each client's transport (WebSocket, polling, polling-then-upgrade) and
//!   the drop points.
//! - [`polling`]: the long-polling client (one GET pending, POSTed sends, the upgrade steps).
//! - [`conn`]: one client's connection, whatever its transport.
//! - [`live`]: the executor, with marker round trips.
//! - [`runner`]: seeds, persistence, shrinking, the replayable failure report.
//!
//! The binary `sio-proptest` (src/main.rs, behind `cargo xtask proptest`) runs them against a
//! URL. The clients are the runner's raw drivers (`sio_conformance::driver`); the runner itself
//! knows nothing of this crate. See proptest/PROPTEST.md.

pub mod conn;
pub mod live;
pub mod model;
pub mod ops;
pub mod polling;
pub mod runner;
pub mod transports;

pub use live::{Live, Outcome, StepFailure, run_case};
pub use model::{Fault, Model};
pub use ops::{AckReply, Case, ClientTransport, DropPoint, Kind, Op, Restore, RoomRef, Target};
pub use runner::{Report, Settings, replay, run};
