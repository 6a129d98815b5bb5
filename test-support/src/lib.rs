//! What the workspace's tests share, one copy for every test binary so the copies cannot drift:
//! starting the pinned Node harness (the oracle) and its targets ([`node`]), serving a router on
//! an ephemeral port of 127.0.0.1 ([`serve`]), a link with a round-trip time ([`slow_link`]),
//! a raw HTTP/1.1 client ([`raw_http`]), a real redis-server for the cluster tests
//! ([`redis`]) and the message a checker's panic carries ([`panics`]).
//! Test apparatus only: no product crate depends on it but as a dev-dependency; xtask and the
//! codec crates use the parts without an async stack alone (without the default feature
//! `in-process`).

pub mod node;
pub mod panics;
#[cfg(feature = "in-process")]
pub mod raw_http;
pub mod redis;
#[cfg(feature = "in-process")]
pub mod serve;
#[cfg(feature = "in-process")]
pub mod slow_link;

pub use node::{Harness, node_dir, start_node, start_node_harness, start_node_with};
pub use redis::RedisServer;
#[cfg(feature = "in-process")]
pub use serve::{serve_here, serve_on_own_runtime, serve_router};
#[cfg(feature = "in-process")]
pub use slow_link::slow_link;
