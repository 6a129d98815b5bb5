//! The server's two Redis connections, shared by all its namespaces as Node's adapter shares
//! its `pubClient` and `subClient`: a publisher (PUBLISH in order, from one queue, and PUBSUB
//! NUMSUB) and a subscriber (SUBSCRIBE / PSUBSCRIBE, messages routed to the namespace that
//! asked for the channel or pattern). Each reconnects on its own after Redis goes away, with a
//! bounded number of attempts; the subscriber subscribes again to everything it had.
//!
//! ```text
//! adapters --publish()--> queue --> publisher task --PUBLISH--> Redis
//! adapters --subscribe()-> queue --> subscriber task <--message/pmessage-- Redis
//!                                         '--> route(channel or pattern) --> adapter
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use tokio::sync::mpsc;

use crate::config::Reconnect;

/// What handles a message of a subscription: `(channel, payload)`.
pub(crate) type Handler = Arc<dyn Fn(&str, &[u8]) + Send + Sync>;

/// Where the subscriber hands a message: held weakly, so a dropped adapter stops its routing.
pub(crate) type Route = Weak<dyn Fn(&str, &[u8]) + Send + Sync>;

/// Channels (one SUBSCRIBE) or patterns (one PSUBSCRIBE), each with where its messages go.
/// Channels subscribed in one command are counted by PUBSUB NUMSUB together, as Node's
/// request and response channels are.
pub(crate) struct Subscription {
    pub(crate) names: Vec<(String, Route)>,
    pub(crate) pattern: bool,
}

struct Publish {
    channel: String,
    payload: Vec<u8>,
}

/// The two connections of one server.
pub(crate) struct Link {
    client: redis::Client,
    /// The publisher's current connection (NUMSUB goes on it too); replaced on reconnection.
    commands: Arc<tokio::sync::Mutex<MultiplexedConnection>>,
    publish_tx: mpsc::UnboundedSender<Publish>,
    subscribe_tx: mpsc::UnboundedSender<Subscription>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Link {
    /// Connects both connections (an error when Redis cannot be reached now) and starts their
    /// tasks on the current tokio runtime.
    pub(crate) async fn connect(
        client: redis::Client,
        reconnect: Reconnect,
    ) -> redis::RedisResult<Arc<Link>> {
        let commands = client.get_multiplexed_async_connection().await?;
        let (sink, stream) = client.get_async_pubsub().await?.split();
        let (publish_tx, publish_rx) = mpsc::unbounded_channel();
        let (subscribe_tx, subscribe_rx) = mpsc::unbounded_channel();
        let link = Arc::new(Link {
            client: client.clone(),
            commands: Arc::new(tokio::sync::Mutex::new(commands)),
            publish_tx,
            subscribe_tx,
        });
        tokio::spawn(publisher(
            client.clone(),
            reconnect,
            link.commands.clone(),
            publish_rx,
        ));
        tokio::spawn(subscriber(client, reconnect, sink, stream, subscribe_rx));
        Ok(link)
    }

    /// Queues `PUBLISH channel payload` (published in queue order).
    pub(crate) fn publish(&self, channel: impl Into<String>, payload: Vec<u8>) {
        let _ = self.publish_tx.send(Publish {
            channel: channel.into(),
            payload,
        });
    }

    /// Subscribes (soon, in order) to a channel or a pattern.
    pub(crate) fn subscribe(&self, subscription: Subscription) {
        let _ = self.subscribe_tx.send(subscription);
    }

    /// `PUBSUB NUMSUB channel`: how many connections subscribe to `channel` (Node's adapter
    /// counts its servers so). `None` when Redis cannot be asked.
    pub(crate) async fn numsub(&self, channel: &str) -> Option<usize> {
        let mut cmd = redis::cmd("PUBSUB");
        cmd.arg("NUMSUB").arg(channel);
        let mut conn = self.commands.lock().await.clone();
        match cmd.query_async::<(String, usize)>(&mut conn).await {
            Ok((_, n)) => Some(n),
            Err(e) => {
                // One new connection, not the publisher's bounded series of attempts: a request
                // must not wait for Redis much longer than its own timeout.
                tracing::warn!("PUBSUB NUMSUB {channel}: {e}; reconnecting once");
                let mut fresh = self.client.get_multiplexed_async_connection().await.ok()?;
                *self.commands.lock().await = fresh.clone();
                let (_, n) = cmd.query_async::<(String, usize)>(&mut fresh).await.ok()?;
                Some(n)
            }
        }
    }
}

/// A new publisher connection, tried `reconnect.attempts` times with growing pauses.
async fn connect_commands(
    client: &redis::Client,
    reconnect: Reconnect,
) -> Option<MultiplexedConnection> {
    for attempt in 1..=reconnect.attempts {
        match client.get_multiplexed_async_connection().await {
            Ok(conn) => return Some(conn),
            Err(e) => {
                tracing::warn!("Redis publisher: attempt {attempt} failed: {e}");
                tokio::time::sleep(reconnect.pause(attempt)).await;
            }
        }
    }
    None
}

/// Publishes the queue in order. A failed PUBLISH reconnects and is tried once more on the
/// new connection; a message that cannot be published then is dropped (and logged), as a
/// publish on a dead Node client is.
async fn publisher(
    client: redis::Client,
    reconnect: Reconnect,
    commands: Arc<tokio::sync::Mutex<MultiplexedConnection>>,
    mut queue: mpsc::UnboundedReceiver<Publish>,
) {
    while let Some(Publish { channel, payload }) = queue.recv().await {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(&channel).arg(&payload[..]);
        let mut conn = commands.lock().await.clone();
        if let Err(e) = cmd.query_async::<i64>(&mut conn).await {
            tracing::warn!("PUBLISH {channel}: {e}; reconnecting");
            let Some(mut fresh) = connect_commands(&client, reconnect).await else {
                tracing::error!(
                    "Redis publisher: gave up after {} attempts",
                    reconnect.attempts
                );
                continue;
            };
            *commands.lock().await = fresh.clone();
            if let Err(e) = cmd.query_async::<i64>(&mut fresh).await {
                tracing::warn!("PUBLISH {channel} dropped: {e}");
            }
        }
    }
}

/// Subscribes, and routes messages to their namespaces; after the connection is lost,
/// connects again and subscribes to everything once more.
async fn subscriber(
    client: redis::Client,
    reconnect: Reconnect,
    mut sink: PubSubSink,
    mut stream: PubSubStream,
    mut requests: mpsc::UnboundedReceiver<Subscription>,
) {
    let routes: Mutex<HashMap<String, Route>> = Mutex::default();
    let mut subscribed: Vec<(Vec<String>, bool)> = Vec::new();
    loop {
        tokio::select! {
            request = requests.recv() => {
                let Some(Subscription { names, pattern }) = request else {
                    return; // the server is gone
                };
                let names: Vec<String> = names
                    .into_iter()
                    .map(|(name, route)| {
                        lock(&routes).insert(name.clone(), route);
                        name
                    })
                    .collect();
                if let Err(e) = subscribe(&mut sink, &names, pattern).await {
                    tracing::warn!("Redis subscriber: {names:?}: {e}");
                }
                subscribed.push((names, pattern));
            }
            message = stream.next() => {
                let Some(message) = message else {
                    tracing::warn!("Redis subscriber: connection lost; reconnecting");
                    match resubscribe(&client, reconnect, &subscribed).await {
                        Some((s, st)) => (sink, stream) = (s, st),
                        None => {
                            tracing::error!("Redis subscriber: gave up after {} attempts", reconnect.attempts);
                            return;
                        }
                    }
                    continue;
                };
                let key = if message.from_pattern() {
                    message.get_pattern::<String>().ok()
                } else {
                    Some(message.get_channel_name().to_owned())
                };
                let route = key.and_then(|k| lock(&routes).get(&k).and_then(Weak::upgrade));
                if let Some(route) = route {
                    route(message.get_channel_name(), message.get_payload_bytes());
                }
            }
        }
    }
}

async fn subscribe(
    sink: &mut PubSubSink,
    names: &[String],
    pattern: bool,
) -> redis::RedisResult<()> {
    if pattern {
        sink.psubscribe(names).await
    } else {
        sink.subscribe(names).await
    }
}

/// A new subscriber connection with every earlier subscription, tried `reconnect.attempts`
/// times.
async fn resubscribe(
    client: &redis::Client,
    reconnect: Reconnect,
    subscribed: &[(Vec<String>, bool)],
) -> Option<(PubSubSink, PubSubStream)> {
    'attempts: for attempt in 1..=reconnect.attempts {
        tokio::time::sleep(reconnect.pause(attempt)).await;
        let (mut sink, stream) = match client.get_async_pubsub().await {
            Ok(pubsub) => pubsub.split(),
            Err(e) => {
                tracing::warn!("Redis subscriber: attempt {attempt} failed: {e}");
                continue;
            }
        };
        for (names, pattern) in subscribed {
            if let Err(e) = subscribe(&mut sink, names, *pattern).await {
                tracing::warn!("Redis subscriber: attempt {attempt}: {names:?}: {e}");
                continue 'attempts;
            }
        }
        return Some((sink, stream));
    }
    None
}

impl Reconnect {
    /// The pause before attempt `attempt` (from 1): the base delay times the attempt, capped.
    pub(crate) fn pause(self, attempt: u32) -> Duration {
        (self.delay * attempt).min(self.max_delay)
    }
}
