//! A Redis adapter for the reference server that joins a cluster of Node Socket.IO servers
//! running `@socket.io/redis-adapter` 8.3.0 on the same Redis: broadcasts, `fetchSockets`,
//! `socketsJoin`/`socketsLeave`/`disconnectSockets`, `serverSideEmit` (with acks) and
//! broadcasts with acks travel between Rust and Node nodes either way. The wire format is the
//! protocol crate's [`sio_protocol::adapter`] codec (fixtures/REDIS-ADAPTER.md describes it).
//!
//! ```no_run
//! # async fn run() -> Result<(), redis::RedisError> {
//! use sio_redis_adapter::{RedisAdapterConfig, RedisCluster};
//! use sio_reference_server::socketio::SocketIo;
//!
//! let cluster = RedisCluster::connect(RedisAdapterConfig::new("redis://127.0.0.1:6379")).await?;
//! let io = SocketIo::builder().adapter(cluster.factory()).build();
//! # drop(io);
//! # Ok(())
//! # }
//! ```
//!
//! One [`RedisCluster`] per server: one publisher and one subscriber connection, shared by the
//! namespaces, each of which gets its own [`RedisAdapter`] (its own uid and subscriptions).

mod adapter;
mod config;
mod convert;
mod fault;
mod link;

use std::sync::Arc;

pub use adapter::RedisAdapter;
pub use config::{Reconnect, RedisAdapterConfig};
pub use fault::ClusterFault;
/// The Redis client's error, which [`RedisCluster::connect`] returns.
pub use redis::RedisError;
use sio_reference_server::socketio::{Adapter, AdapterContext, AdapterFactory};

/// A server's link to the cluster's Redis: build the namespaces' adapters with
/// [`RedisCluster::factory`].
#[derive(Clone)]
pub struct RedisCluster {
    link: Arc<link::Link>,
    config: Arc<RedisAdapterConfig>,
}

impl RedisCluster {
    /// Connects the publisher and the subscriber to `config.url` (an error when Redis cannot
    /// be reached now; later losses are reconnected as `config.reconnect` says). Must run on a
    /// tokio runtime, which then carries the connections' tasks.
    pub async fn connect(config: RedisAdapterConfig) -> redis::RedisResult<RedisCluster> {
        let client = redis::Client::open(config.url.as_str())?;
        let link = link::Link::connect(client, config.reconnect).await?;
        Ok(RedisCluster {
            link,
            config: Arc::new(config),
        })
    }

    /// The adapter factory for [`sio_reference_server::socketio::SocketIoBuilder::adapter`].
    pub fn factory(&self) -> AdapterFactory {
        let cluster = self.clone();
        Arc::new(move |ctx: AdapterContext| cluster.adapter(ctx) as Arc<dyn Adapter>)
    }

    /// The adapter of one namespace (what the factory builds).
    pub fn adapter(&self, ctx: AdapterContext) -> Arc<RedisAdapter> {
        RedisAdapter::start(
            ctx,
            self.link.clone(),
            &self.config.key,
            self.config.requests_timeout,
            self.config.fault,
        )
    }

    /// `PUBSUB NUMSUB` on a namespace's request channel: how many servers (subscribed
    /// connections, as Node counts them) serve namespace `nsp` now; 0 before any has
    /// subscribed, 1 when Redis cannot be asked.
    pub async fn server_count(&self, nsp: &str) -> usize {
        let channels = sio_protocol::adapter::Channels::new(&self.config.key, nsp);
        self.link.numsub(channels.request()).await.unwrap_or(1)
    }
}
