//! What a case body works with: the drivers bound to the case's server and transcript, the
//! contract timings, and assertion helpers that turn a mismatch into a [`Failure`] showing the
//! frames expected and received.

use crate::config::{Server, Settings, Timings};
use crate::driver::transcript::{Dir, Payload, Transport};
use crate::driver::ws::{self, Next};
use crate::driver::{
    HttpError, HttpRequest, HttpResponse, OutFrame, Transcript, WsConn, WsConnect, WsEvent,
};
use crate::expect::{Captures, Want};
use crate::failure::{CaseResult, Failure};
use crate::long_poll::LongPoll;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The context of one case run.
pub struct Ctx {
    settings: Arc<Settings>,
    server: Server,
    transcript: Transcript,
    exchanged: Arc<AtomicBool>,
    soft: Vec<Failure>,
    closed: Option<String>,
    case_id: String,
    tolerances: Vec<String>,
    /// The sessions whose GETs a [`LongPoll`] issues, by sid.
    long_polls: HashMap<String, LongPoll>,
}

/// The request body content type every polling client sends.
pub const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

impl Ctx {
    /// A fresh context for a case on `server`.
    pub fn new(settings: Arc<Settings>, server: Server) -> Ctx {
        Ctx {
            settings,
            server,
            transcript: Transcript::new(),
            exchanged: Arc::new(AtomicBool::new(false)),
            soft: Vec::new(),
            closed: None,
            case_id: String::new(),
            tolerances: Vec::new(),
            long_polls: HashMap::new(),
        }
    }

    /// Tells the context which case it runs (the replay cases find their transcript by id).
    pub fn set_case_id(&mut self, id: &str) {
        self.case_id = id.to_string();
    }

    /// The id of the case being run (empty when the context was made outside the runner).
    pub fn case_id(&self) -> &str {
        &self.case_id
    }

    /// Records that a documented tolerance of the comparison was used (shown in every report,
    /// also for a case that passes) and notes it in the case transcript.
    pub fn tolerate(&mut self, what: impl Into<String>) {
        let what = what.into();
        self.transcript
            .note("-", Transport::Polling, format!("tolerance: {what}"));
        self.tolerances.push(what);
    }

    /// The tolerances used so far: [`Ctx::tolerate`]'s, and those the WebSocket reader
    /// applied on its own (a noop skipped, [`crate::driver::ws::NOOP_SKIPPED`]), once each.
    pub fn tolerances(&self) -> Vec<String> {
        let mut all = self.tolerances.clone();
        let skipped = crate::driver::ws::NOOP_SKIPPED;
        if self.transcript.entries().iter().any(|e| e.what == skipped) {
            all.push(skipped.trim_start_matches("tolerance: ").to_string());
        }
        all
    }

    /// A request target under the endpoint's prefix for a full contract path with its query
    /// (`/socket.io/?EIO=4&transport=polling`).
    pub fn target(&self, path_and_query: &str) -> String {
        self.settings.endpoint.target(path_and_query)
    }

    /// Attempts an upgrade on a full request target (already prefixed, see [`Ctx::target`]).
    pub async fn ws_attempt_path(
        &self,
        target: &str,
        auto_pong: bool,
    ) -> Result<WsConnect<Ws>, Failure> {
        self.ws_attempt_target(target, auto_pong).await
    }

    /// The server under test's address, for the few cases that must open a bare connection
    /// (one they reset on purpose, see `cases/security.rs`).
    pub fn endpoint(&self) -> &crate::driver::endpoint::Endpoint {
        &self.settings.endpoint
    }

    /// The timings of the case's server (announced by it, or overridden on the command line).
    pub fn timings(&self) -> Timings {
        self.settings.timings_for(self.server)
    }

    /// Whether the target offers a capability (a case adapts a shared step to it, e.g. the
    /// `auth` event that only the suite handlers emit).
    pub fn offers(&self, capability: crate::config::Capability) -> bool {
        self.settings.capabilities.contains(&capability)
    }

    /// The server the case talks to.
    pub fn server(&self) -> Server {
        self.server
    }

    /// The bound on one step.
    pub fn step(&self) -> Duration {
        self.settings.step
    }

    /// Slack for timing-based bounds.
    pub fn margin(&self) -> Duration {
        self.settings.margin
    }

    /// The round trip to the server measured before the run (zero when not measured): what a
    /// timing measured from something the client sent to the server's answer includes.
    pub fn round_trip(&self) -> Duration {
        self.settings.round_trip
    }

    /// pingInterval + pingTimeout + margin: by then a session that never pongs is gone.
    pub fn heartbeat_deadline(&self) -> Duration {
        let t = self.timings();
        Duration::from_millis(t.ping_interval + t.ping_timeout) + self.margin()
    }

    /// The transcript so far.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// SHOULD-level deviations recorded with [`Ctx::soft`].
    pub fn soft_failures(&self) -> &[Failure] {
        &self.soft
    }

    /// How the session was observed to close, if the case observed it.
    pub fn closed(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    /// Records how the session closed (`websocket close 1005`, `polling GET 400 code 1`).
    pub fn observe_close(&mut self, how: impl Into<String>) {
        self.closed = Some(how.into());
    }

    /// Keeps a SHOULD-level check's failure without stopping the case: a case whose MUST
    /// checks pass but that has soft failures is `non-strict`.
    pub fn soft(&mut self, result: CaseResult) {
        if let Err(f) = result {
            self.soft.push(f);
        }
    }

    /// The request target for the case's server: `<prefix>/engine.io/?<query>`.
    pub fn url(&self, query: &str) -> String {
        self.url_on(self.server, query)
    }

    /// The request target on another contract path.
    pub fn url_on(&self, server: Server, query: &str) -> String {
        let path = self.settings.endpoint.target(server.path());
        if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        }
    }

    /// The open packet expected on this contract: `upgrades` as given.
    pub fn handshake(&self, upgrades: &[&str]) -> Want {
        let t = self.timings();
        Want::Handshake {
            upgrades: upgrades.iter().map(|s| s.to_string()).collect(),
            ping_interval: t.ping_interval,
            ping_timeout: t.ping_timeout,
            max_payload: t.max_payload,
        }
    }

    /// Records a deliberate pause and sleeps. Only for cases where elapsed time is the subject
    /// (heartbeat deadlines) or where two requests must reach the server in order.
    pub async fn pause(&self, ms: u64, why: &str) {
        self.transcript
            .note("-", Transport::Polling, format!("pause {ms} ms: {why}"));
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    /// Keeps a GET pending on the polling session `sid` from now on (`query` is its polling
    /// query), as a real client does: the polling helpers read its records instead of issuing
    /// GETs, and pings are answered the moment they arrive. For cases that are not about the
    /// GET cycle itself; the case must issue no GET of its own on the session afterwards.
    pub fn keep_polling(&mut self, sid: &str, query: &str) {
        let poll = LongPoll::start(self.http(), self.url(query));
        self.long_polls.insert(sid.to_string(), poll);
    }

    /// The long poll of session `sid`, if the case started one ([`Ctx::keep_polling`]).
    pub fn long_poll(&mut self, sid: &str) -> Option<&mut LongPoll> {
        self.long_polls.get_mut(sid)
    }

    /// The long poll of session `sid`; a harness error of `step` if the case started none.
    pub fn started_long_poll(&mut self, sid: &str, step: &str) -> Result<&mut LongPoll, Failure> {
        self.long_polls
            .get_mut(sid)
            .ok_or_else(|| Failure::harness(step, "the session has no long poll"))
    }

    /// How long a long poll may take to bring its next response: a step, plus a pingInterval
    /// for a server that holds the GET until its next ping.
    pub fn long_poll_bound(&self) -> Duration {
        self.step() + Duration::from_millis(self.timings().ping_interval)
    }

    /// A handle for issuing requests from other tasks (for concurrent polls).
    pub fn http(&self) -> Http {
        Http {
            poll_bound: self.settings.poll_bound(self.server),
            settings: self.settings.clone(),
            transcript: self.transcript.clone(),
            exchanged: self.exchanged.clone(),
        }
    }

    /// Sends one request; `Err(Failure)` only when the harness cannot reach the server.
    pub async fn request(
        &self,
        method: &str,
        target: String,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Result<HttpResponse, HttpError>, Failure> {
        self.http().request(method, target, headers, body).await
    }

    /// `GET <url(query)>`; a reset or timeout is an assertion failure.
    pub async fn get(&self, query: &str) -> Result<HttpResponse, Failure> {
        let target = self.url(query);
        let step = format!("GET {target}");
        let polled = self
            .long_polls
            .iter()
            .find(|(sid, poll)| !poll.is_over() && query.contains(sid.as_str()));
        if let Some((sid, _)) = polled {
            // A second GET would make the server close the session (duplicate poll).
            return Err(Failure::harness(
                step,
                format!("the case's long poll on {sid} still runs: read its records instead"),
            ));
        }
        self.http()
            .get_target(target)
            .await
            .map_err(|f| Failure { step, ..f })
    }

    /// `POST <url(query)>` with a text/plain body; a reset or timeout is an assertion failure.
    pub async fn post(&self, query: &str, body: &str) -> Result<HttpResponse, Failure> {
        let target = self.url(query);
        let r = self
            .request(
                "POST",
                target.clone(),
                &[("content-type", TEXT_PLAIN)],
                body.as_bytes(),
            )
            .await?;
        self.must_respond(&format!("POST {target}"), r)
    }

    /// A GET started in the background: it stays pending at the server until answered.
    pub fn spawn_get(&self, query: &str) -> Pending {
        let http = self.http();
        let target = self.url(query);
        let step = format!("GET {target}");
        Pending {
            step,
            handle: tokio::spawn(async move { http.request("GET", target, &[], b"").await }),
        }
    }

    /// Turns a transport error into an assertion failure (or a harness error before any exchange).
    pub fn must_respond(
        &self,
        step: &str,
        r: Result<HttpResponse, HttpError>,
    ) -> Result<HttpResponse, Failure> {
        r.map_err(|e| self.http().no_response(step, e))
    }

    /// Opens a WebSocket on the case's server; anything but 101 is an assertion failure.
    /// The reader answers pings (`2` → `3`) and keeps them out of the buffer.
    pub async fn ws(&self, query: &str) -> Result<Ws, Failure> {
        self.ws_with(query, true).await
    }

    /// Opens a WebSocket without automatic pongs (heartbeat cases see every `2`).
    pub async fn ws_no_pong(&self, query: &str) -> Result<Ws, Failure> {
        self.ws_with(query, false).await
    }

    async fn ws_with(&self, query: &str, auto_pong: bool) -> Result<Ws, Failure> {
        let target = self.url(query);
        let step = format!("WebSocket upgrade {target}");
        match self.ws_attempt_target(&target, auto_pong).await? {
            WsConnect::Open(conn) => Ok(conn),
            WsConnect::Refused { status, body } => Err(Failure::assertion(
                step,
                "101 Switching Protocols",
                format!(
                    "{status} {}",
                    crate::failure::visible(&String::from_utf8_lossy(&body))
                ),
            )),
            WsConnect::Failed(e) => Err(Failure::assertion(step, "101 Switching Protocols", e)),
        }
    }

    /// Attempts an upgrade and reports what happened (open, refused with a status, failed).
    pub async fn ws_attempt(&self, query: &str) -> Result<WsConnect<Ws>, Failure> {
        let target = self.url(query);
        self.ws_attempt_target(&target, true).await
    }

    async fn ws_attempt_target(
        &self,
        target: &str,
        auto_pong: bool,
    ) -> Result<WsConnect<Ws>, Failure> {
        let step = format!("WebSocket upgrade {target}");
        match ws::connect(
            &self.settings.endpoint,
            target,
            self.step(),
            &self.transcript,
            auto_pong,
        )
        .await
        {
            Ok(WsConnect::Open(conn)) => {
                self.exchanged.store(true, Ordering::SeqCst);
                Ok(WsConnect::Open(Ws {
                    conn,
                    step: self.step(),
                    greets: self.offers(crate::config::Capability::SioHandlers),
                }))
            }
            Ok(WsConnect::Refused { status, body }) => {
                self.exchanged.store(true, Ordering::SeqCst);
                Ok(WsConnect::Refused { status, body })
            }
            Ok(WsConnect::Failed(e)) => {
                if self.exchanged.load(Ordering::SeqCst) {
                    Ok(WsConnect::Failed(e))
                } else {
                    // Nothing has answered yet: a server that takes the TCP connection and
                    // then says nothing at all cannot be judged.
                    if e.contains("within") {
                        Err(Failure::harness(step, e))
                    } else {
                        Ok(WsConnect::Failed(e))
                    }
                }
            }
            Err(e) => Err(Failure::harness(step, e.to_string())),
        }
    }
}

impl Ctx {
    /// Upgrades `query` on the case's server with the raw frame client
    /// ([`crate::driver::frames`]); anything but a 101 is an assertion failure, no connection
    /// at all a harness error.
    pub async fn raw_ws(&self, query: &str) -> Result<crate::driver::frames::RawWs, Failure> {
        use crate::driver::frames::{self, RawConnect};
        let target = self.url(query);
        let step = format!("WebSocket upgrade {target} (raw frame client)");
        match frames::connect(
            &self.settings.endpoint,
            &target,
            self.step(),
            &self.transcript,
        )
        .await
        {
            Ok(RawConnect::Open(ws)) => {
                self.exchanged.store(true, Ordering::SeqCst);
                Ok(ws)
            }
            Ok(RawConnect::Refused(status)) => {
                self.exchanged.store(true, Ordering::SeqCst);
                Err(Failure::assertion(step, "101 Switching Protocols", status))
            }
            Ok(RawConnect::Failed(e)) if self.exchanged.load(Ordering::SeqCst) => {
                Err(Failure::assertion(step, "101 Switching Protocols", e))
            }
            Ok(RawConnect::Failed(e)) => Err(Failure::harness(step, e)),
            Err(e) => Err(Failure::harness(step, e.to_string())),
        }
    }
}

impl<T> WsConnect<T> {
    /// A short description for failure reports.
    pub fn describe(&self) -> String {
        match self {
            WsConnect::Open(_) => "101 (open)".into(),
            WsConnect::Refused { status, body } => format!(
                "refused {status} {}",
                crate::failure::visible(&String::from_utf8_lossy(body))
            ),
            WsConnect::Failed(e) => format!("upgrade failed: {e}"),
        }
    }
}

/// A request handle usable from spawned tasks.
#[derive(Clone)]
pub struct Http {
    settings: Arc<Settings>,
    /// The bound on a GET, which the server may hold as a long poll ([`Settings::poll_bound`]).
    poll_bound: Duration,
    transcript: Transcript,
    exchanged: Arc<AtomicBool>,
}

impl Http {
    /// Sends one request and records it; `Err` only when the server cannot be reached.
    pub async fn request(
        &self,
        method: &str,
        target: String,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Result<HttpResponse, HttpError>, Failure> {
        let bound = if method == "GET" {
            self.poll_bound
        } else {
            self.settings.step
        };
        self.request_within(method, target, headers, body, bound)
            .await
    }

    /// As [`Http::request`], with its own bound (a client that gives up on a long poll).
    pub async fn request_within(
        &self,
        method: &str,
        target: String,
        headers: &[(&str, &str)],
        body: &[u8],
        bound: Duration,
    ) -> Result<Result<HttpResponse, HttpError>, Failure> {
        let label = self.transcript.http_label();
        let request = HttpRequest {
            method: method.to_string(),
            target,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_vec(),
        };
        self.transcript.push(
            &label,
            Transport::Polling,
            Dir::Out,
            format!("{} {}", request.method, request.target),
            request.headers.clone(),
            Payload::text_or_none(body),
        );
        let r = crate::driver::http::send(&self.settings.endpoint, &request, bound).await;
        match &r {
            Ok(resp) => {
                self.exchanged.store(true, Ordering::SeqCst);
                self.transcript.push(
                    &label,
                    Transport::Polling,
                    Dir::In,
                    resp.status.to_string(),
                    resp.headers.clone(),
                    Payload::text_or_none(resp.body.as_slice()),
                );
            }
            Err(e) => {
                self.transcript
                    .note(&label, Transport::Polling, e.to_string());
            }
        }
        match r {
            Err(HttpError::Connect(e)) => Err(Failure::harness(
                format!("{method} {}", request.target),
                format!("cannot reach {}: {e}", self.settings.endpoint),
            )),
            other => Ok(other),
        }
    }

    /// `GET target`; no response is an assertion failure (a harness error before any exchange).
    pub async fn get_target(&self, target: String) -> Result<HttpResponse, Failure> {
        let step = format!("GET {target}");
        let r = self.request("GET", target, &[], b"").await?;
        r.map_err(|e| self.no_response(&step, e))
    }

    fn no_response(&self, step: &str, e: HttpError) -> Failure {
        if self.exchanged.load(Ordering::SeqCst) {
            Failure::assertion(step, "an HTTP response", e.to_string())
        } else {
            Failure::harness(step, format!("the server never answered: {e}"))
        }
    }
}

/// A GET running in the background.
pub struct Pending {
    step: String,
    handle: tokio::task::JoinHandle<Result<Result<HttpResponse, HttpError>, Failure>>,
}

impl Pending {
    /// Whether the response (or the error) is already in.
    pub fn is_done(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits for the response (the request itself is bounded by the step timeout).
    pub async fn response(self) -> Result<HttpResponse, Failure> {
        let step = self.step.clone();
        self.outcome()
            .await?
            .map_err(|e| Failure::assertion(step, "an HTTP response", e.to_string()))
    }

    /// Waits for the outcome, keeping transport errors (reset, timeout) as values.
    pub async fn outcome(self) -> Result<Result<HttpResponse, HttpError>, Failure> {
        let step = self.step;
        match self.handle.await {
            Ok(r) => r.map_err(|f| Failure {
                step: step.clone(),
                ..f
            }),
            Err(e) => Err(Failure::harness(step, format!("request task failed: {e}"))),
        }
    }
}

/// An open WebSocket with the step bound attached, and expectation helpers.
pub struct Ws {
    conn: WsConn,
    step: Duration,
    greets: bool,
}

impl Ws {
    /// Whether the server emits `auth` on every connection to `/` and `/custom` (the official
    /// suites' handlers); a server without application code emits nothing after a CONNECT.
    pub fn greets(&self) -> bool {
        self.greets
    }

    /// The bound on one step.
    pub fn step(&self) -> Duration {
        self.step
    }

    /// The connection label (`ws#1`).
    pub fn label(&self) -> &str {
        &self.conn.label
    }

    /// Turns automatic pongs on or off.
    pub fn auto_pong(&self, on: bool) {
        self.conn.set_auto_pong(on);
    }

    /// Sends a text frame.
    pub async fn send(&self, text: &str) -> CaseResult {
        self.conn.send_text(text).await.map_err(|e| {
            Failure::assertion(
                format!("send text {}", crate::failure::visible(text)),
                "the connection to accept the frame",
                e,
            )
        })
    }

    /// Sends a binary frame.
    pub async fn send_binary(&self, bytes: &[u8]) -> CaseResult {
        self.conn.send_binary(bytes).await.map_err(|e| {
            Failure::assertion("send binary frame", "the connection to accept the frame", e)
        })
    }

    /// Queues a frame to go out in one write with the next send (see [`WsConn::queue`]).
    pub async fn queue(&self, frame: OutFrame<'_>) -> CaseResult {
        self.conn
            .queue(frame)
            .await
            .map_err(|e| Failure::assertion("queue frame", "the connection to accept the frame", e))
    }

    /// Sends a close frame (1005 for `None`).
    pub async fn close(&self, code: Option<u16>) -> CaseResult {
        self.conn
            .close(code)
            .await
            .map_err(|e| Failure::assertion("send close", "the connection to accept the frame", e))
    }

    /// Drops the TCP connection without a close frame (a network drop, 1006 at the server).
    pub async fn drop_connection(self) {
        self.conn.drop_connection().await;
    }

    /// The next event within the step bound must match.
    pub async fn expect(&mut self, step: &str, want: Want) -> Result<Captures, Failure> {
        let bound = self.step;
        self.expect_within(step, want, bound).await
    }

    /// The next event within `bound` must match.
    pub async fn expect_within(
        &mut self,
        step: &str,
        want: Want,
        bound: Duration,
    ) -> Result<Captures, Failure> {
        match self.conn.next(bound).await {
            Next::Event(event) => match want.check_event(&event) {
                Some(c) => Ok(c),
                None => {
                    let mut received = vec![event.describe()];
                    received.extend(self.conn.drain().iter().map(WsEvent::describe));
                    Err(Failure::assertion(step, want.describe(), received))
                }
            },
            Next::Timeout => Err(Failure::assertion(
                step,
                want.describe(),
                format!("(nothing within {} ms)", bound.as_millis()),
            )),
            Next::Ended => Err(Failure::assertion(
                step,
                want.describe(),
                "(the connection had already closed)",
            )),
        }
    }

    /// The next event within `bound` must be the close; returns its code.
    ///
    /// An Engine.IO close packet `1` just before the close frame is the server saying why it
    /// closes (the protocol allows it; Node sends none): it is passed over.
    pub async fn expect_close(&mut self, step: &str, bound: Duration) -> Result<u16, Failure> {
        let deadline = tokio::time::Instant::now() + bound;
        let mut next = self.conn.next(bound).await;
        if matches!(&next, Next::Event(WsEvent::Text(t)) if t == "1") {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            next = self.conn.next(left).await;
        }
        match next {
            Next::Event(WsEvent::Close { code, .. }) => Ok(code),
            Next::Event(other) => {
                let mut received = vec![other.describe()];
                received.extend(self.conn.drain().iter().map(WsEvent::describe));
                Err(Failure::assertion(step, Want::Close.describe(), received))
            }
            Next::Timeout => Err(Failure::assertion(
                step,
                Want::Close.describe(),
                format!(
                    "(nothing within {} ms; the connection is still open)",
                    bound.as_millis()
                ),
            )),
            Next::Ended => Ok(1006),
        }
    }

    /// Waits up to `bound` for the close, passing over (unanswered) pings `2` and a close
    /// packet `1` on the way; returns the close code. For cases where the server may ping
    /// before it closes.
    pub async fn expect_close_after_pings(
        &mut self,
        step: &str,
        bound: Duration,
    ) -> Result<u16, Failure> {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.conn.next(left).await {
                Next::Event(WsEvent::Close { code, .. }) => return Ok(code),
                Next::Event(WsEvent::Text(t)) if t == "2" || t == "1" => continue,
                Next::Event(other) => {
                    let mut received = vec![other.describe()];
                    received.extend(self.conn.drain().iter().map(WsEvent::describe));
                    return Err(Failure::assertion(
                        step,
                        "close (pings `2` allowed before it)",
                        received,
                    ));
                }
                Next::Timeout => {
                    return Err(Failure::assertion(
                        step,
                        "close (pings `2` allowed before it)",
                        format!(
                            "(no close within {} ms; the connection is still open)",
                            bound.as_millis()
                        ),
                    ));
                }
                Next::Ended => return Ok(1006),
            }
        }
    }

    /// Nothing may arrive within `bound` (the server ignored what was sent).
    pub async fn expect_silence(&mut self, step: &str, bound: Duration) -> CaseResult {
        match self.conn.next(bound).await {
            Next::Timeout => Ok(()),
            Next::Event(e) => Err(Failure::assertion(
                step,
                format!("(nothing for {} ms)", bound.as_millis()),
                e.describe(),
            )),
            Next::Ended => Err(Failure::assertion(
                step,
                format!("(nothing for {} ms)", bound.as_millis()),
                "(the connection had already closed)",
            )),
        }
    }

    /// The next event, whatever it is, within the step bound.
    pub async fn next(&mut self) -> Next {
        self.conn.next(self.step).await
    }

    /// The next event within `bound`.
    pub async fn next_within(&mut self, bound: Duration) -> Next {
        self.conn.next(bound).await
    }

    /// Everything already buffered, without waiting.
    pub fn drain(&mut self) -> Vec<WsEvent> {
        self.conn.drain()
    }
}

/// Checks an HTTP status.
pub fn expect_status(step: &str, resp: &HttpResponse, status: u16) -> CaseResult {
    if resp.status == status {
        Ok(())
    } else {
        Err(Failure::assertion(
            step,
            format!("status {status}"),
            format!(
                "status {} body {}",
                resp.status,
                crate::failure::visible(&resp.text())
            ),
        ))
    }
}

/// Checks an HTTP body (as text) against an expectation.
pub fn expect_body(step: &str, resp: &HttpResponse, want: &Want) -> Result<Captures, Failure> {
    want.check_text(&resp.text()).ok_or_else(|| {
        Failure::assertion(
            step,
            want.describe(),
            format!(
                "status {} body {}",
                resp.status,
                crate::failure::visible(&resp.text())
            ),
        )
    })
}

/// Checks status and body together.
pub fn expect_response(
    step: &str,
    resp: &HttpResponse,
    status: u16,
    want: &Want,
) -> Result<Captures, Failure> {
    expect_status(step, resp, status)?;
    expect_body(step, resp, want)
}
