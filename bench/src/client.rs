//! A lean Socket.IO client for load: one WebSocket per client and one task that reads, answers
//! pings, counts acks and events, and writes what the driver queues. No transcript, no
//! per-frame allocation beyond what tungstenite does: the client must stay cheaper than the
//! server it measures.

use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

/// How long connecting one client (WebSocket, open packet, CONNECT reply, `auth` event) may take.
const CONNECT_BOUND: Duration = Duration::from_secs(10);
/// How many clients connect at once in [`Client::connect_many`].
const CONNECT_CONCURRENCY: usize = 64;

/// Counters shared between a client's reader task and its driver.
#[derive(Default)]
struct Counters {
    acks: AtomicU64,
    events: AtomicU64,
    pongs: AtomicU64,
    closed: AtomicBool,
    changed: Notify,
    /// Whether event arrival times are being kept ([`Client::record_arrivals`]).
    recording: AtomicBool,
    /// When each event arrived, in order, while recording.
    arrivals: Mutex<Vec<Instant>>,
}

/// One connected Socket.IO client (a clone is another handle on the same connection).
#[derive(Clone)]
pub struct Client {
    outgoing: mpsc::UnboundedSender<Message>,
    counters: Arc<Counters>,
    /// `""` for `/`, `"/nsp,"` otherwise: what goes between the packet type and the ack id.
    prefix: String,
    /// From our CONNECT to the server's CONNECT reply.
    connect_latency: Duration,
}

impl Client {
    /// Connects to `endpoint` (a `ws://…/socket.io/?EIO=4&transport=websocket` URL) and joins
    /// `nsp`, waiting for the CONNECT reply and the contract's `auth` event.
    pub async fn connect(endpoint: &str, nsp: &str) -> Result<Client, String> {
        Self::try_connect(endpoint, nsp)
            .await?
            .ok_or_else(|| format!("the server refused the namespace {nsp}"))
    }

    /// As [`Client::connect`], but `None` when the server refuses the namespace (`44`): how the
    /// generator learns whether a server serves the contract's full tier.
    pub async fn try_connect(endpoint: &str, nsp: &str) -> Result<Option<Client>, String> {
        timeout(CONNECT_BOUND, Self::connect_unbounded(endpoint, nsp))
            .await
            .map_err(|_| format!("connecting to {nsp} took more than {CONNECT_BOUND:?}"))?
    }

    async fn connect_unbounded(endpoint: &str, nsp: &str) -> Result<Option<Client>, String> {
        let authority = endpoint
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("not a ws:// URL: {endpoint}"))?;
        let tcp = TcpStream::connect(authority)
            .await
            .map_err(|e| e.to_string())?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let (mut ws, _) = tokio_tungstenite::client_async(endpoint, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let prefix = if nsp == "/" {
            String::new()
        } else {
            format!("{nsp},")
        };
        // The open packet, then our CONNECT, its reply and the `auth` event the contract emits.
        let mut stage = 0;
        let mut connect_sent = Instant::now();
        let mut connect_latency = Duration::ZERO;
        while stage < 3 {
            let frame = ws.next().await.ok_or("closed during the handshake")?;
            let Message::Text(text) = frame.map_err(|e| e.to_string())? else {
                continue;
            };
            match (stage, text.as_str()) {
                (_, "2") => ws
                    .send(Message::text("3"))
                    .await
                    .map_err(|e| e.to_string())?,
                (0, t) if t.starts_with('0') => {
                    ws.send(Message::text(format!("40{prefix}")))
                        .await
                        .map_err(|e| e.to_string())?;
                    connect_sent = Instant::now();
                    stage = 1;
                }
                (1, t) if t.starts_with(&format!("40{prefix}")) => {
                    connect_latency = connect_sent.elapsed();
                    stage = 2;
                }
                (1, t) if t.starts_with(&format!("44{prefix}")) => return Ok(None),
                (2, t) if t.starts_with(&format!("42{prefix}[\"auth\"")) => stage = 3,
                (_, other) => {
                    return Err(format!("unexpected frame during the handshake: {other}"));
                }
            }
        }
        // One task per client that reads, answers pings in place and writes what the driver
        // queues: the generator must stay far cheaper than the server it measures, or its own
        // lateness (a pong after pingTimeout) would be counted as sessions the server dropped.
        let (outgoing, mut queue) = mpsc::unbounded_channel::<Message>();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    frame = ws.next() => {
                        let Some(Ok(frame)) = frame else { break };
                        let Message::Text(text) = frame else { continue };
                        match text.as_bytes() {
                            b"2" => {
                                if ws.send(Message::text("3")).await.is_err() {
                                    break;
                                }
                                c.pongs.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                            [b'4', b'3', ..] => c.acks.fetch_add(1, Ordering::Relaxed),
                            [b'4', b'2', ..] => {
                                if c.recording.load(Ordering::Relaxed) {
                                    let now = Instant::now();
                                    c.arrivals.lock().expect("arrivals").push(now);
                                }
                                c.events.fetch_add(1, Ordering::Relaxed)
                            }
                            _ => continue,
                        };
                        c.changed.notify_one();
                    }
                    message = queue.recv() => {
                        let Some(message) = message else { break };
                        // Everything the driver queued leaves in one write: a generator that
                        // paid a syscall per message was the bottleneck of the ack phase (its
                        // core saturated, the server's not), and a server's figure then
                        // measured how the client dribbled requests, not the server.
                        let mut fed = ws.feed(message).await;
                        while fed.is_ok()
                            && let Ok(more) = queue.try_recv()
                        {
                            fed = ws.feed(more).await;
                        }
                        if fed.is_err() || ws.flush().await.is_err() {
                            break;
                        }
                    }
                }
            }
            c.closed.store(true, Ordering::Relaxed);
            c.changed.notify_one();
        });
        Ok(Some(Client {
            outgoing,
            counters,
            prefix,
            connect_latency,
        }))
    }

    /// How long the server took to answer this client's CONNECT.
    pub fn connect_latency(&self) -> Duration {
        self.connect_latency
    }

    /// Connects `n` clients, a bounded number at a time.
    pub async fn connect_many(endpoint: &str, nsp: &str, n: usize) -> Result<Vec<Client>, String> {
        futures_util::stream::iter((0..n).map(|_| Client::connect(endpoint, nsp)))
            .buffer_unordered(CONNECT_CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    fn send(&self, text: String) -> Result<(), String> {
        self.outgoing
            .send(Message::text(text))
            .map_err(|_| "the connection is closed".to_string())
    }

    /// Sends `n` `message-with-ack` events with at most `window` unanswered, and waits for all
    /// acks. With one in flight, returns each request's latency (send to ack seen), in order;
    /// with more, acks cannot be told apart cheaply and the list is empty.
    pub async fn echo_acks(&self, n: usize, window: usize) -> Result<Vec<Duration>, String> {
        // Acks counted before this run (an earlier phase on the same connection).
        let base = self.counters.acks.load(Ordering::Relaxed) as usize;
        let answered = |c: &Counters| c.acks.load(Ordering::Relaxed) as usize - base;
        let mut latencies = Vec::with_capacity(if window <= 1 { n } else { 0 });
        for i in 0..n {
            self.wait_until(|c| i - answered(c) < window.max(1), "ack window")
                .await?;
            self.send(format!("42{}{i}[\"message-with-ack\",{i}]", self.prefix))?;
            if window <= 1 {
                let sent = Instant::now();
                self.wait_until(|c| answered(c) > i, "an ack").await?;
                latencies.push(sent.elapsed());
            }
        }
        self.wait_until(|c| answered(c) >= n, "the last acks")
            .await?;
        Ok(latencies)
    }

    /// Asks the contract's `broadcast` control event `n` times to emit `b` to every socket of
    /// the namespace (`window` requests in flight at most), and waits for every ack.
    /// Returns when each request was handed to the writer, in order.
    pub async fn broadcast_all(&self, n: usize, window: usize) -> Result<Vec<Instant>, String> {
        let mut sent = Vec::with_capacity(n);
        for i in 0..n {
            self.wait_until(
                |c| i - (c.acks.load(Ordering::Relaxed) as usize) < window.max(1),
                "ack window",
            )
            .await?;
            sent.push(Instant::now());
            self.send(format!(
                "42{}{i}[\"broadcast\",{{\"target\":\"all\",\"event\":\"b\",\"args\":[{i}]}}]",
                self.prefix
            ))?;
        }
        self.wait_until(
            |c| c.acks.load(Ordering::Relaxed) as usize >= n,
            "the last acks",
        )
        .await?;
        Ok(sent)
    }

    /// Keeps the arrival time of every event from now on (the broadcast phase: a receiver's
    /// k-th event is the k-th broadcast, as a server delivers one sender's broadcasts in order).
    pub fn record_arrivals(&self) {
        self.counters.recording.store(true, Ordering::Relaxed);
    }

    /// The arrival times kept so far, in order (handed over: the list starts again empty).
    pub fn take_arrivals(&self) -> Vec<Instant> {
        std::mem::take(&mut *self.counters.arrivals.lock().expect("arrivals"))
    }

    /// Waits until `n` events have arrived on this client.
    pub async fn wait_for_events(&self, n: usize, bound: Duration) -> Result<(), String> {
        timeout(
            bound,
            self.wait_until(|c| c.events.load(Ordering::Relaxed) as usize >= n, "events"),
        )
        .await
        .map_err(|_| format!("{n} events did not arrive within {bound:?}"))?
    }

    /// Whether the server closed this connection.
    pub fn is_closed(&self) -> bool {
        self.counters.closed.load(Ordering::Relaxed)
    }

    /// How many pings this client answered.
    pub fn pongs(&self) -> u64 {
        self.counters.pongs.load(Ordering::Relaxed)
    }

    /// Waits (at most 60 s) until `done` holds; fails if the connection closes first.
    async fn wait_until(&self, done: impl Fn(&Counters) -> bool, what: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if done(&self.counters) {
                return Ok(());
            }
            if self.is_closed() {
                return Err(format!(
                    "the server closed the connection while waiting for {what}"
                ));
            }
            if timeout(deadline - Instant::now(), self.counters.changed.notified())
                .await
                .is_err()
            {
                return Err(format!("timed out waiting for {what}"));
            }
        }
    }
}
