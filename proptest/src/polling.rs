//! An Engine.IO v4 long-polling client for the property tests, on top of the HTTP driver
//! (`driver::http::send`, one TCP connection per request) and `sio_protocol`'s payload codec.
//!
//! It behaves as the official client's polling transport: a background poller keeps exactly
//! one GET pending (re-issued as soon as the previous one returns, each wait bounded), splits
//! every response on the 0x1E separator, answers pings with a POSTed pong, and pushes every
//! other packet, re-encoded as its WebSocket text frame (`42/nsp,[…]`), into an ordered
//! channel that the executor reads with bounded waits. Sends are POSTs, never two at a time
//! (engine.io closes a session on overlapping POSTs), pongs included.
//!
//! The upgrade is split in its protocol steps so that operations can run between them:
//! [`PollingConn::probe`] (WebSocket with the sid, `2probe`), [`PollingConn::probe_reply`]
//! (`3probe`), [`PollingConn::pause`] (no new GET; the pending one must come back, released by
//! the server's noop), [`PollingConn::finish`] (`5`). Frames of the last GET stay in the
//! channel and are read before anything the WebSocket brings.

use sio_conformance::driver::http::{self, HttpRequest};
use sio_conformance::driver::transcript::{Dir, Payload, Transport};
use sio_conformance::driver::ws::{self, Next};
use sio_conformance::driver::{Endpoint, Transcript, WsConn, WsConnect, WsEvent};
use sio_protocol::engineio::{PacketType, decode_payload_str};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

/// The longest a GET may stay pending: the server answers every GET within pingInterval
/// (300 ms) with at least a ping, so this only bounds a server that never answers.
const POLL_BOUND: Duration = Duration::from_secs(3);

/// What the poller and the executor share.
struct Shared {
    /// No new GET after the current one (upgrade pause, or the client stops polling).
    pausing: AtomicBool,
    /// Pings are left unanswered (the client stops polling: the server must time it out).
    silent: AtomicBool,
    /// Whether the last GET's payload held nothing but pings: a GET pending during an upgrade
    /// must be released by a noop (or by the answer to a message POSTed meanwhile), never left
    /// for the next ping (the check in [`PollingConn::pause`] is on content, not on timing).
    last_get_only_pings: AtomicBool,
    /// When the last pong was POSTed (the server pings again pingInterval after it).
    last_pong: std::sync::Mutex<Option<Instant>>,
    /// When the last ping arrived (the session's open, before the first).
    last_ping: std::sync::Mutex<Instant>,
    /// Since when the current GET has been pending (`None` between two GETs).
    get_since: std::sync::Mutex<Option<Instant>>,
    /// One POST at a time.
    post: Mutex<()>,
}

/// Where requests go.
#[derive(Clone)]
struct Target {
    endpoint: Endpoint,
    /// `…/?EIO=4&transport=polling&sid=<sid>`.
    polling: String,
    label: String,
    transcript: Transcript,
}

impl Target {
    async fn post(&self, shared: &Shared, body: &str, what: &str) -> Result<u16, String> {
        self.post_full(shared, body, what)
            .await
            .map(|(status, _)| status)
    }

    /// As `post`, with the response body.
    async fn post_full(
        &self,
        shared: &Shared,
        body: &str,
        what: &str,
    ) -> Result<(u16, String), String> {
        let _one = shared.post.lock().await;
        self.transcript.push(
            &self.label,
            Transport::Polling,
            Dir::Out,
            format!("POST ({what})"),
            Vec::new(),
            Payload::Text(body.as_bytes()),
        );
        let request = HttpRequest {
            method: "POST".into(),
            target: self.polling.clone(),
            headers: vec![("content-type".into(), "text/plain;charset=UTF-8".into())],
            body: body.as_bytes().to_vec(),
        };
        match http::send(&self.endpoint, &request, Duration::from_secs(2)).await {
            Ok(r) => {
                self.transcript.push(
                    &self.label,
                    Transport::Polling,
                    Dir::In,
                    format!("POST {}", r.status),
                    Vec::new(),
                    Payload::text_or_none(&r.body),
                );
                Ok((r.status, r.text()))
            }
            Err(e) => {
                self.transcript
                    .note(&self.label, Transport::Polling, format!("POST failed: {e}"));
                Err(e.to_string())
            }
        }
    }
}

/// An open polling session (possibly in the middle of an upgrade).
pub struct PollingConn {
    /// The Engine.IO session id.
    pub sid: String,
    target: Target,
    rx: mpsc::UnboundedReceiver<WsEvent>,
    poller: JoinHandle<()>,
    shared: Arc<Shared>,
    probe: Option<WsConn>,
    /// When the poll was paused (the upgrade window is kept short: see `live`).
    pub paused_at: Option<Instant>,
}

impl Drop for PollingConn {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// The poller: one GET pending at a time until paused, stopped or the session ends.
async fn poll_loop(target: Target, shared: Arc<Shared>, tx: mpsc::UnboundedSender<WsEvent>) {
    let close = |code: u16, reason: String| {
        let _ = tx.send(WsEvent::Close { code, reason });
    };
    loop {
        if shared.pausing.load(Ordering::SeqCst) {
            target
                .transcript
                .note(&target.label, Transport::Polling, "polling paused");
            return;
        }
        target.transcript.push(
            &target.label,
            Transport::Polling,
            Dir::Out,
            "GET",
            Vec::new(),
            Payload::None,
        );
        let request = HttpRequest {
            method: "GET".into(),
            target: target.polling.clone(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        *shared.get_since.lock().expect("get since") = Some(Instant::now());
        let response = http::send(&target.endpoint, &request, POLL_BOUND).await;
        *shared.get_since.lock().expect("get since") = None;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                target.transcript.note(
                    &target.label,
                    Transport::Polling,
                    format!("GET failed: {e}"),
                );
                return close(1006, format!("GET failed: {e}"));
            }
        };
        target.transcript.push(
            &target.label,
            Transport::Polling,
            Dir::In,
            format!("GET {}", response.status),
            Vec::new(),
            Payload::text_or_none(&response.body),
        );
        if response.status != 200 {
            return close(
                response.status,
                format!("GET answered {}: {}", response.status, response.text()),
            );
        }
        let packets = match decode_payload_str(&response.text()).into_result() {
            Ok(p) => p,
            Err(e) => return close(1002, format!("undecodable polling payload: {e}")),
        };
        let only_pings = packets.iter().all(|p| p.kind == PacketType::Ping);
        shared
            .last_get_only_pings
            .store(only_pings, Ordering::SeqCst);
        for packet in packets {
            match packet.kind {
                PacketType::Ping => {
                    *shared.last_ping.lock().expect("last ping") = Instant::now();
                    if shared.silent.load(Ordering::SeqCst) {
                        continue;
                    }
                    match target.post(&shared, "3", "automatic pong").await {
                        Ok(200) => {
                            *shared.last_pong.lock().expect("last pong") = Some(Instant::now())
                        }
                        Ok(status) => return close(status, format!("pong POST answered {status}")),
                        Err(e) => return close(1006, format!("pong POST failed: {e}")),
                    }
                }
                PacketType::Noop => {}
                PacketType::Close => return close(1000, "close packet".into()),
                _ => {
                    let _ = tx.send(WsEvent::Text(packet.encode_polling()));
                }
            }
        }
    }
}

/// Opens a polling session at `path` (`/socket.io/`): the handshake GET, then the poller.
/// Returns the connection and the open packet's text (`0{"sid":…}`).
pub async fn open(
    endpoint: &Endpoint,
    path: &str,
    bound: Duration,
    transcript: &Transcript,
) -> Result<(PollingConn, String), String> {
    let label = transcript.http_label();
    let handshake = format!("{}?EIO=4&transport=polling", endpoint.target(path));
    transcript.push(
        &label,
        Transport::Polling,
        Dir::Out,
        format!("GET {handshake}"),
        Vec::new(),
        Payload::None,
    );
    let request = HttpRequest {
        method: "GET".into(),
        target: handshake.clone(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let response = http::send(endpoint, &request, bound)
        .await
        .map_err(|e| format!("handshake GET: {e}"))?;
    transcript.push(
        &label,
        Transport::Polling,
        Dir::In,
        format!("GET {}", response.status),
        Vec::new(),
        Payload::text_or_none(&response.body),
    );
    let text = response.text();
    let first = decode_payload_str(&text)
        .packets
        .into_iter()
        .next()
        .map(|p| p.encode_polling())
        .unwrap_or_else(|| format!("HTTP {}: {text}", response.status));
    let sid = first
        .strip_prefix('0')
        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
        .and_then(|v| v["sid"].as_str().map(str::to_string))
        .ok_or_else(|| first.clone())?;
    let target = Target {
        endpoint: endpoint.clone(),
        polling: format!("{handshake}&sid={sid}"),
        label,
        transcript: transcript.clone(),
    };
    let shared = Arc::new(Shared {
        pausing: AtomicBool::new(false),
        last_get_only_pings: AtomicBool::new(false),
        silent: AtomicBool::new(false),
        last_pong: std::sync::Mutex::new(None),
        get_since: std::sync::Mutex::new(None),
        last_ping: std::sync::Mutex::new(Instant::now()),
        post: Mutex::new(()),
    });
    let (tx, rx) = mpsc::unbounded_channel();
    let poller = tokio::spawn(poll_loop(target.clone(), shared.clone(), tx));
    Ok((
        PollingConn {
            sid,
            target,
            rx,
            poller,
            shared,
            probe: None,
            paused_at: None,
        },
        first,
    ))
}

impl PollingConn {
    /// The next packet the poller received (bounded wait).
    pub async fn next(&mut self, bound: Duration) -> Next {
        match tokio::time::timeout(bound, self.rx.recv()).await {
            Ok(Some(e)) => Next::Event(e),
            Ok(None) => Next::Ended,
            Err(_) => Next::Timeout,
        }
    }

    /// How long since the server last pinged this session (or since it opened). The official
    /// client closes the connection ("ping timeout") when no ping comes within pingInterval +
    /// pingTimeout.
    pub fn since_last_ping(&self) -> Duration {
        self.shared.last_ping.lock().expect("last ping").elapsed()
    }

    /// POSTs one packet.
    pub async fn send_text(&self, text: &str) -> Result<(), String> {
        match self.target.post(&self.shared, text, "send").await? {
            200 => Ok(()),
            status => Err(format!("POST answered {status}")),
        }
    }

    /// Cuts the transport: the poller (and its pending GET, whose TCP connection closes) and
    /// any probe WebSocket. The cut waits (at most 500 ms) until a GET has been pending for
    /// 10 ms, so that it is the server's pending request that ends: cut between two GETs, the
    /// server would see nothing and only time the session out.
    pub async fn abort(&mut self) {
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline && !self.poller.is_finished() {
            let pending = *self.shared.get_since.lock().expect("get since");
            if pending.is_some_and(|t| t.elapsed() >= Duration::from_millis(10)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.target.transcript.note(
            &self.target.label,
            Transport::Polling,
            "client aborts the pending GET",
        );
        self.poller.abort();
        let _ = (&mut self.poller).await;
        if let Some(ws) = self.probe.take() {
            ws.drop_connection().await;
        }
    }

    /// Stops polling without aborting: the pending GET is left to return, no new one follows,
    /// pings stay unanswered.
    pub fn stop(&self) {
        self.target.transcript.note(
            &self.target.label,
            Transport::Polling,
            "client stops polling (no more GETs, no pongs)",
        );
        self.shared.silent.store(true, Ordering::SeqCst);
        self.shared.pausing.store(true, Ordering::SeqCst);
    }

    /// Waits (bounded) until the server has closed the session, probing it with a POSTed noop
    /// every 40 ms. Returns an instant no later than the close (when the last probe that was
    /// still accepted was sent, or `since` when none was) and the refusal's status and body.
    pub async fn wait_closed(
        &self,
        since: Instant,
        bound: Duration,
    ) -> Result<(Instant, u16, String), String> {
        let mut alive_at = since;
        let deadline = Instant::now() + bound;
        while Instant::now() < deadline {
            let sent = Instant::now();
            match self
                .target
                .post_full(&self.shared, "6", "is the session still open?")
                .await
            {
                Ok((200, _)) => alive_at = sent,
                Ok((status, body)) => return Ok((alive_at, status, body)),
                Err(e) => return Err(e),
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        Err(format!(
            "the session was still open {} ms after the client stopped",
            bound.as_millis()
        ))
    }

    /// Upgrade, step 1: a WebSocket with this sid, then `2probe` on it.
    pub async fn probe(&mut self, path: &str, bound: Duration) -> Result<(), String> {
        let target = format!(
            "{}?EIO=4&transport=websocket&sid={}",
            self.target.endpoint.target(path),
            self.sid
        );
        let ws = match ws::connect(
            &self.target.endpoint,
            &target,
            bound,
            &self.target.transcript,
            true,
        )
        .await
        {
            Ok(WsConnect::Open(c)) => c,
            Ok(WsConnect::Refused { status, .. }) => {
                return Err(format!("upgrade refused with {status}"));
            }
            Ok(WsConnect::Failed(e)) => return Err(format!("upgrade failed: {e}")),
            Err(e) => return Err(format!("upgrade: {e}")),
        };
        ws.send_text("2probe").await?;
        self.probe = Some(ws);
        Ok(())
    }

    /// A failed upgrade: the probe WebSocket drops (TCP, no close frame) before `5`; polling
    /// goes on. Its `3probe`, if it came, is never read.
    pub async fn drop_probe(&mut self) {
        if let Some(ws) = self.probe.take() {
            ws.drop_connection().await;
        }
    }

    /// Upgrade, step 2: the probe's answer, `3probe`, must be the WebSocket's first frame.
    pub async fn probe_reply(&mut self, bound: Duration) -> Result<(), String> {
        let Some(ws) = self.probe.as_mut() else {
            return Err("no probe WebSocket".into());
        };
        match ws.next(bound).await {
            Next::Event(WsEvent::Text(t)) if t == "3probe" => Ok(()),
            Next::Event(e) => Err(format!("expected 3probe, got {}", e.describe())),
            Next::Timeout => Err("no 3probe within the bound".into()),
            Next::Ended => Err("the probe WebSocket ended before 3probe".into()),
        }
    }

    /// Upgrade, step 3: pause the polling. With `strict`, the pause starts right after a pong
    /// (so the server's next ping is about pingInterval away) and the pending GET must come
    /// back within `strict`, released by the server's noop (or by the answer to `in_flight`)
    /// rather than by that ping: checking what released it rather than when keeps the verdict
    /// the same on a loaded machine. Otherwise the wait is `bound`.
    ///
    /// With `in_flight`, that packet is POSTed right after the pause starts, as when the
    /// official client's `3probe` arrives while a POST is under way: the server writes its
    /// answer into the GET still pending (or, if a noop released it first, into its buffer for
    /// the WebSocket), so the last GET carries data the upgrade must not lose or double.
    pub async fn pause(
        &mut self,
        strict: Option<Duration>,
        bound: Duration,
        in_flight: Option<&str>,
    ) -> Result<(), String> {
        // After a pong the server's next ping is pingInterval away: the pending GET cannot be
        // released by a ping before the noop must have come, and the paused window (up to
        // `live::PAUSE_WINDOW`) ends before a ping buffered meanwhile could time out.
        if strict.is_some() {
            let deadline = Instant::now() + Duration::from_millis(500);
            loop {
                let recent = self
                    .shared
                    .last_pong
                    .lock()
                    .expect("last pong")
                    .is_some_and(|t| t.elapsed() < Duration::from_millis(40));
                if recent || Instant::now() >= deadline || self.poller.is_finished() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }
        self.shared.pausing.store(true, Ordering::SeqCst);
        let started = Instant::now();
        if let Some(text) = in_flight {
            self.send_text(text).await?;
        }
        let wait = strict.unwrap_or(bound);
        match tokio::time::timeout(wait, &mut self.poller).await {
            Ok(_) if strict.is_some() && self.shared.last_get_only_pings.load(Ordering::SeqCst) => {
                Err(format!(
                    "the pending GET came back after {} ms with only a ping: it waited for the \
                     next heartbeat (the server must release it with a noop once the probe \
                     succeeded)",
                    started.elapsed().as_millis()
                ))
            }
            Ok(_) => {
                self.paused_at = Some(Instant::now());
                Ok(())
            }
            Err(_) => Err(format!(
                "the pending GET was not released within {} ms of pausing after {} (the server \
                 must answer it with a noop once the probe succeeded)",
                started.elapsed().as_millis(),
                "3probe"
            )),
        }
    }

    /// Upgrade, step 4: `5` on the WebSocket, which becomes the transport. Returns it with
    /// the packets the polling transport delivered that were not read yet (they come first).
    pub async fn finish(mut self) -> Result<(WsConn, VecDeque<WsEvent>), String> {
        let Some(ws) = self.probe.take() else {
            return Err("no probe WebSocket".into());
        };
        ws.send_text("5").await?;
        let mut rest = VecDeque::new();
        while let Ok(e) = self.rx.try_recv() {
            rest.push_back(e);
        }
        Ok((ws, rest))
    }

    /// Ends the session at the end of a case: a close packet, then the poller stops.
    pub async fn close(mut self) {
        let _ = self.target.post(&self.shared, "1", "close").await;
        self.poller.abort();
        if let Some(ws) = self.probe.take() {
            let _ = ws.close(None).await;
        }
    }
}
