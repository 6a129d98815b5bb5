//! Sans-IO codecs for Engine.IO (protocol v4, plus v3 framing) and Socket.IO (protocol v5), with
//! the decoding rules of the official Node parsers (engine.io-parser 5.2.3, engine.io 6.6.12's
//! v3 parser, socket.io-parser 4.2.7) reproduced exactly, and the few places where we are
//! stricter documented as divergences on the error variants (`node_rejects() == false`).
//!
//! - [`engineio`]: Engine.IO packets, polling payloads, the handshake; [`engineio::v3`] framing.
//! - [`socketio`]: Socket.IO packets (raw JSON kept verbatim), complete [`socketio::Message`]s
//!   and their incremental reassembly from a header and its attachments
//!   ([`socketio::Reassembler`]).
//! - [`binary`]: JSON values with binary leaves and placeholders (a leaf: no packets).
//! - [`limits`]: Node's limits (`maxAttachments`, `maxHttpBufferSize`).
//! - [`error`]: typed errors that map to Node's error messages.
//! - [`view`]: Node-shaped JSON views of decoded packets, for comparing with transcripts.
//! - `fuzzing` (cargo feature `fuzzing`, off by default; on in fuzz/ and xtask): invariant-checking
//!   entry points for fuzz targets and regression tests, and the differential check against
//!   Node's parsers.
//! - [`js`]: the JavaScript number semantics the Node parsers depend on.
//! - [`adapter`]: the Redis adapter's messages between nodes (`@socket.io/redis-adapter`):
//!   channels, notepack.io's msgpack, JSON requests and responses.
//!
//! No I/O, no async, no clock: every function is a pure transformation of its input.

pub mod adapter;
pub mod binary;
pub mod engineio;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod js;
pub mod limits;
pub mod socketio;
pub mod view;

pub use error::{BinaryError, EngineError, PayloadError, SocketError};
pub use limits::Limits;
