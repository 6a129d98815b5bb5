//! What a case body works with: the drivers bound to the case's server and transcript, the
//! contract timings, and assertion helpers that turn a mismatch into a [`Failure`] showing the
//! frames expected and received.
//!
//! One module per type: [`Ctx`] (here, with the assertion helpers on HTTP responses), [`Http`]
//! (`http.rs`), [`Pending`] (`pending.rs`) and [`Ws`] (`websocket.rs`), all four used as
//! `crate::context::…`.

mod http;
mod pending;
mod websocket;

pub use http::Http;
pub use pending::Pending;
pub use websocket::Ws;

use crate::config::{Server, Settings, Timings};
use crate::driver::transcript::Transport;
use crate::driver::ws;
use crate::driver::{HttpError, HttpResponse, Transcript, WsConnect};
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

    /// How many nodes the target has (1 for a single server; see [`Settings::nodes`]).
    pub fn node_count(&self) -> usize {
        self.settings.node_count()
    }

    /// Opens a WebSocket on the case's server at node `node` of a cluster (wrapping around; node
    /// 0 is where every other case runs), as [`Ctx::ws`] does.
    pub async fn ws_on(&self, node: usize, query: &str) -> Result<Ws, Failure> {
        let endpoint = self.settings.node(node);
        let target = endpoint.target(self.server.path());
        let target = format!("{target}?{query}");
        let step = format!(
            "WebSocket upgrade {target} on node {}",
            node % self.node_count()
        );
        match self.ws_connect(endpoint, &target, true).await? {
            WsConnect::Open(conn) => Ok(conn),
            WsConnect::Refused { status, .. } => Err(Failure::assertion(
                step,
                "101 Switching Protocols",
                status.to_string(),
            )),
            WsConnect::Failed(e) => Err(Failure::assertion(step, "101 Switching Protocols", e)),
        }
    }

    async fn ws_attempt_target(
        &self,
        target: &str,
        auto_pong: bool,
    ) -> Result<WsConnect<Ws>, Failure> {
        self.ws_connect(&self.settings.endpoint, target, auto_pong)
            .await
    }

    async fn ws_connect(
        &self,
        endpoint: &crate::driver::endpoint::Endpoint,
        target: &str,
        auto_pong: bool,
    ) -> Result<WsConnect<Ws>, Failure> {
        let step = format!("WebSocket upgrade {target}");
        match ws::connect(endpoint, target, self.step(), &self.transcript, auto_pong).await {
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
