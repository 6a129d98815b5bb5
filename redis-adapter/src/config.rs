//! The adapter's options, with Node's defaults (`key` `socket.io`, `requestsTimeout` 5000 ms)
//! and how it reconnects to Redis (Node's `redis` client retries forever by default; we stop
//! after a bounded number of attempts, so a server without Redis says so in its log).

use std::time::Duration;

use crate::fault::ClusterFault;

/// How a lost Redis connection is made again: `attempts` tries, pausing `delay × attempt`
/// (at most `max_delay`) before each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconnect {
    /// How many times to try (each connection on its own); then the connection stays down.
    pub attempts: u32,
    /// The pause before the first attempt, growing by as much before each next one.
    pub delay: Duration,
    /// The longest pause.
    pub max_delay: Duration,
}

impl Default for Reconnect {
    /// 20 attempts, 100 ms more before each, at most 2 s: about 30 s in all.
    fn default() -> Self {
        Reconnect {
            attempts: 20,
            delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

/// The options of a [`crate::RedisAdapter`] cluster link.
#[derive(Debug, Clone)]
pub struct RedisAdapterConfig {
    /// The Redis URL, `redis://127.0.0.1:6379`.
    pub url: String,
    /// The channels' prefix (Node's `key`, default `socket.io`).
    pub key: String,
    /// How long a request to the other servers waits for their answers (Node's
    /// `requestsTimeout`, default 5000 ms): fetchSockets, serverSideEmitWithAck, and the
    /// client counts of a broadcast with acks without a timeout of its own.
    pub requests_timeout: Duration,
    /// How a lost connection is made again.
    pub reconnect: Reconnect,
    /// The injected bug, if any ([`RedisAdapterConfig::with_fault`], feature `faults`).
    pub(crate) fault: Option<ClusterFault>,
}

impl RedisAdapterConfig {
    /// Node's defaults for Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RedisAdapterConfig {
            url: url.into(),
            key: sio_protocol::adapter::DEFAULT_KEY.to_owned(),
            requests_timeout: Duration::from_millis(5000),
            reconnect: Reconnect::default(),
            fault: None,
        }
    }

    /// Arms `fault` (tests of the suite's cluster cases only; see [`ClusterFault`]).
    #[cfg(feature = "faults")]
    pub fn with_fault(mut self, fault: ClusterFault) -> Self {
        self.fault = Some(fault);
        self
    }

    /// `requestsTimeout`.
    pub fn requests_timeout(mut self, timeout: Duration) -> Self {
        self.requests_timeout = timeout;
        self
    }

    /// `key`.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// How a lost connection is made again.
    pub fn reconnect(mut self, reconnect: Reconnect) -> Self {
        self.reconnect = reconnect;
        self
    }
}
