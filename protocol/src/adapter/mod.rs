//! The messages of `@socket.io/redis-adapter` 8.3.0, the Redis adapter of the Node server: its
//! channels, its msgpack (as notepack.io 3.0.1 encodes it) and its JSON requests and responses.
//! Byte-exact against the cluster oracle's transcripts (fixtures/REDIS-ADAPTER.md describes the
//! wire format). Sans-IO: bytes in, values out; no Redis client here.

pub mod channels;
pub mod message;
pub mod msgpack;

pub use channels::{Channels, DEFAULT_KEY};
pub use message::{
    AdapterError, Body, Broadcast, BroadcastOpts, Request, RequestType, Response, SocketSelector,
};
pub use msgpack::{MsgpackError, Value};
