//! The Rust reference server: an Engine.IO v4 server (and v3 behind `allow_eio3`) that does what
//! engine.io 6.6.12 does, built as a sans-IO core with thin tokio/hyper adapters, and the
//! Socket.IO v5 server of socket.io 4.8.4 on top of it (Socket.IO v4 for EIO=3 clients). Logs go
//! through `tracing`; installing a subscriber is the binary's business.
//!
//! - [`session`]: the per-session state machine (polling, WebSocket, upgrade, heartbeat), the
//!   crate `eio-session` re-exported. Pure: inputs carry `now`, outputs are values,
//!   [`session::Session::next_wakeup`] says when to wake it (only a ping may be early; no
//!   timer that closes anything is ever late by design).
//! - [`verify`]: request verification and Node's error table, as a pure function.
//! - [`cors`]: the headers Node's `cors` package writes.
//! - [`sid`]: base64id-shaped session ids.
//! - [`query`]: query-string parsing with `URLSearchParams` rules.
//! - [`server`]: the adapters (axum/hyper handlers, WebSocket pump, one timer driver for all
//!   sessions) and the application API ([`Engine`], [`EngineSocket`], [`Connection`]).
//! - [`socketio`]: the Socket.IO v5 server on top of the engine ([`socketio::SocketIo`]).
//! - [`config`]: options with Node's names and defaults.
//! - [`fault`]: injected protocol bugs for testing the conformance suite (FAULTS.md), which only
//!   the cargo feature `faults` (off by default) can arm; the table lives in `eio-session`,
//!   re-exported here.

pub mod config;
pub mod cors;
pub use eio_session::fault;
pub mod query;
pub mod server;
/// The sans-IO session, a crate of its own (`reference-server/session`, `eio-session`).
pub use eio_session as session;
/// The README's snippets, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub mod sid;
pub mod socketio;
pub mod verify;

pub use config::{CorsConfig, CorsOrigin, EngineConfig};
pub use server::{Connection, Engine, EngineSocket, SocketEvent};
pub use session::{CloseReason, SharedMessage, TransportKind};
/// An Engine.IO message: text or binary (named apart from the Socket.IO layer's typed
/// [`socketio::Data`]).
pub use sio_protocol::engineio::Data as EngineData;
