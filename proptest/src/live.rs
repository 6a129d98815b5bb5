//! The live executor: runs a [`Case`] against a server, each client on its transport
//! (WebSocket through the raw driver, or polling / polling-then-upgrade through [`super::polling`]),
//! step by step, and checks after each step that every client received exactly what the
//! [`Model`] predicts.
//!
//! ```text
//! step  = prepare(op)            the model's plan (skipped when the op does not apply)
//!         acting client's script sends and bounded waits, in order
//!         marker per client      for each client with a connection, in index order:
//!                                send `message`(tag), read until its `message-back` echo;
//!                                the frames before the echo must equal the prediction
//!                                (nothing missing, nothing extra, nothing doubled, in order)
//! ```
//!
//! On a cluster (the `cluster` set), client `c` is on node `c % nodes`, and a cross-node barrier
//! ([`barrier`]) runs before the markers: a node's local marker would otherwise come back before a
//! broadcast another node published has crossed Redis.
//!
//! Markers go to the test namespace, or to the anchor namespace when the client's socket
//! there is gone (after `41` or a server disconnect), so silence is always proved by a round
//! trip on the same connection, never by a sleep. A client paused for its upgrade cannot do a
//! round trip: what it must receive is kept and checked, in order, at its first marker after
//! `5`. The pause is kept short (at most [`PAUSE_WINDOW`]; the server would otherwise time the
//! session out, since its pings wait in its buffer): past that the executor sends `5` early,
//! which changes nothing the model predicts.

use super::conn::Conn;
use super::model::{Act, Fault, Frame, Model, Phase, Plan};
use super::ops::{Case, ClientTransport, Kind};
use sio_conformance::config::Server;
use sio_conformance::driver::transcript::Transport;
use sio_conformance::driver::ws::Next;
use sio_conformance::driver::{Endpoint, Transcript, WsEvent};
use sio_conformance::expect::match_pattern;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

pub mod barrier;
mod transport;

/// Where and how to run.
#[derive(Clone, Debug)]
pub struct Live {
    /// The server under test (the first node of a cluster).
    pub endpoint: Endpoint,
    /// Every node of the cluster under test, the first being `endpoint`; empty for one server.
    pub cluster: Vec<Endpoint>,
    /// Bound on one wait (a frame, a connection).
    pub step: Duration,
}

impl Live {
    /// One server, not a cluster.
    pub fn single(endpoint: Endpoint, step: Duration) -> Live {
        Live {
            endpoint,
            cluster: Vec::new(),
            step,
        }
    }

    /// The server `client` connects to: its node of the cluster, or the one server.
    pub fn endpoint_of(&self, client: u8) -> &Endpoint {
        match self.cluster.len() {
            0 => &self.endpoint,
            n => &self.cluster[client as usize % n],
        }
    }
}

/// Why a case failed: the step, the client, what was expected and what arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFailure {
    /// 0 for the initial connects, else the 1-based operation number.
    pub step: usize,
    /// The operation (or `initial connect`).
    pub op: String,
    /// The client whose frames did not match.
    pub client: u8,
    /// What was being checked.
    pub what: String,
    /// Expected frames (patterns with `<holes>`).
    pub expected: Vec<String>,
    /// Received frames.
    pub received: Vec<String>,
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "step {} ({}), client c{}: {}",
            self.step, self.op, self.client, self.what
        )?;
        writeln!(f, "  expected:")?;
        for e in &self.expected {
            writeln!(f, "    {e}")?;
        }
        writeln!(f, "  received:")?;
        for r in &self.received {
            writeln!(f, "    {r}")?;
        }
        Ok(())
    }
}

/// The result of one run of a case.
pub struct Outcome {
    /// Pass, or the first step that broke a property.
    pub result: Result<(), StepFailure>,
    /// Everything that went over the wire.
    pub transcript: Transcript,
    /// Operations that applied (the others were skipped by the model).
    pub applied: usize,
    /// Reconnects that recovered a session.
    pub recoveries: usize,
    /// Each operation as applied (with the client it picked), or why it was skipped.
    pub steps: Vec<String>,
}

/// The longest an upgrade pause is kept open before the executor sends `5` by itself: the
/// server pings at most pingInterval (300 ms) after the last pong and closes the session
/// pingTimeout (200 ms) later; a paused client has no GET for the ping to go out on.
pub const PAUSE_WINDOW: Duration = Duration::from_millis(200);

/// How long the pending GET may take to come back once the client pauses right after a pong:
/// Node releases it with a noop within 100 ms (its upgrade check runs every 100 ms); the next
/// ping, the only other thing that would release it, is about 300 ms after the pong. The pause
/// checks that the GET came back with a noop in it, so this bound only has to end the wait
/// for a server that answers nothing: generous, for loaded CI machines.
pub const NOOP_BOUND: Duration = Duration::from_millis(1500);

/// The longest a polling client may go without a ping: the official client gives up after
/// pingInterval + pingTimeout (500 ms); 200 ms more for a loaded machine. Not more: a server
/// that stops pinging is only seen once a case outlasts this bound, and with a looser one the
/// shrinker cannot keep its counterexample short (at 1000 ms `pong-not-rescheduling` sometimes
/// stayed at 12 operations).
pub const HEARTBEAT_BOUND: Duration = Duration::from_millis(700);

/// Bound on the wait for a server to close a session the client stopped polling (ping
/// interval + ping timeout = 500 ms, with room for a loaded machine).
const CLOSE_BOUND: Duration = Duration::from_millis(1200);

struct Exec<'a> {
    live: &'a Live,
    kind: Kind,
    model: Model,
    transcript: Transcript,
    conns: Vec<Option<Conn>>,
    transports: Vec<ClientTransport>,
    /// Frames a paused client must receive, checked at its first marker after `5`.
    deferred: BTreeMap<u8, Vec<Frame>>,
    /// The barrier connections, one per node, opened at the first barrier.
    barriers: Vec<barrier::Barrier>,
    vars: BTreeMap<String, String>,
    step: usize,
    op: String,
}

fn describe(event: &Next) -> String {
    match event {
        Next::Event(WsEvent::Text(t)) => t.clone(),
        Next::Event(e) => e.describe(),
        Next::Timeout => "(nothing within the bound)".into(),
        Next::Ended => "(connection already ended)".into(),
    }
}

/// A process-unique digit string, for namespaces and room names.
pub fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 1_000_000);
    format!("{}{t:06}{n:04}", std::process::id())
}

impl Exec<'_> {
    fn fail(
        &self,
        client: u8,
        what: impl Into<String>,
        expected: Vec<String>,
        received: Vec<String>,
    ) -> StepFailure {
        StepFailure {
            step: self.step,
            op: self.op.clone(),
            client,
            what: what.into(),
            expected,
            received,
        }
    }

    fn server(&self) -> Server {
        match self.kind {
            Kind::Rooms | Kind::Upgrade | Kind::Cluster => Server::SioMain,
            Kind::Recovery => Server::SioRecovery,
        }
    }

    async fn next(&mut self, client: u8) -> Next {
        match self.conns[client as usize].as_mut() {
            Some(c) => c.next(self.live.step).await,
            None => Next::Ended,
        }
    }

    fn check(&mut self, client: u8, frame: &Frame, got: &str) -> Option<Result<(), String>> {
        let caps = match_pattern(&frame.pattern, got)?;
        Some(
            self.model
                .learn(&frame.learn, &caps, &mut self.vars, Instant::now()),
        )
        .map(|r| r.map_err(|e| format!("c{client}: {e}")))
    }

    async fn act(&mut self, act: Act) -> Result<(), StepFailure> {
        match act {
            Act::WaitUntil(t) => {
                let ms = t.saturating_duration_since(Instant::now()).as_millis();
                self.transcript.note(
                    "-",
                    Transport::Websocket,
                    format!("pause {ms} ms: past maxDisconnectionDuration"),
                );
                tokio::time::sleep_until(t.into()).await;
            }
            Act::Open(client) => {
                let conn = self.open(client).await?;
                self.conns[client as usize] = Some(conn);
            }
            Act::Upgrade(client) => {
                self.probe(client).await?;
                self.pause(client, None, None).await?;
                self.finish(client).await?;
            }
            Act::Probe(client) => self.probe(client).await?,
            Act::Pause(client, in_flight) => {
                self.pause(client, Some(NOOP_BOUND), in_flight).await?
            }
            Act::Finish(client) => self.finish(client).await?,
            Act::AbortProbe(client) => self.abort_probe(client).await?,
            Act::Send(client, text) => {
                let text = match self.vars.get("srv") {
                    Some(v) => text.replace("<srv>", v),
                    None => text,
                };
                let sent = match &self.conns[client as usize] {
                    Some(c) => c.send_text(&text).await,
                    None => Err("no connection".into()),
                };
                if let Err(e) = sent {
                    return Err(self.fail(
                        client,
                        format!("send {text}"),
                        vec!["sent".into()],
                        vec![e],
                    ));
                }
            }
            Act::Expect(client, frame) => {
                let got = self.next(client).await;
                let text = match &got {
                    Next::Event(WsEvent::Text(t)) => Some(t.clone()),
                    _ => None,
                };
                let checked = text.as_deref().and_then(|t| self.check(client, &frame, t));
                match checked {
                    Some(Ok(())) => {}
                    Some(Err(e)) => {
                        return Err(self.fail(
                            client,
                            e,
                            vec![frame.pattern],
                            vec![describe(&got)],
                        ));
                    }
                    None => {
                        return Err(self.fail(
                            client,
                            "the acting client's next frame",
                            vec![frame.pattern],
                            vec![describe(&got)],
                        ));
                    }
                }
            }
            Act::ExpectClose(client) => {
                let got = self.next(client).await;
                if !matches!(got, Next::Event(WsEvent::Close { .. }) | Next::Ended) {
                    return Err(self.fail(
                        client,
                        "the connection closes",
                        vec!["close".into()],
                        vec![describe(&got)],
                    ));
                }
                self.conns[client as usize] = None;
            }
            Act::Drop(client, how) => self.drop_transport(client, how).await?,
        }
        Ok(())
    }

    /// Marker round trips: every connected client's frames since the last check must be
    /// exactly `others[client]`.
    async fn markers(
        &mut self,
        clients: u8,
        mut others: BTreeMap<u8, Vec<Frame>>,
    ) -> Result<(), StepFailure> {
        for client in 0..clients {
            let mut expected = others.remove(&client).unwrap_or_default();
            if self.model.phase(client) == Phase::Paused {
                if self.model.fault() != Some(Fault::ForgetPausedFrames) {
                    self.deferred.entry(client).or_default().extend(expected);
                }
                continue;
            }
            if let Some(mut before) = self.deferred.remove(&client) {
                before.extend(expected);
                expected = before;
            }
            self.check_heartbeat(client)?;
            let tag = format!("m{}-{client}", self.step);
            let Some((send, echo)) = self.model.marker(client, &tag) else {
                if !expected.is_empty() {
                    return Err(self.fail(
                        client,
                        "model: frames predicted for a client without a connection",
                        vec![],
                        vec![],
                    ));
                }
                continue;
            };
            self.act(Act::Send(client, send)).await?;
            let mut got: Vec<String> = Vec::new();
            let mut echoed = false;
            for _ in 0..(expected.len() + 16) {
                match self.next(client).await {
                    Next::Event(WsEvent::Text(t)) => {
                        if match_pattern(&echo.pattern, &t).is_some() {
                            got.push(t);
                            echoed = true;
                            break;
                        }
                        got.push(t);
                    }
                    other => {
                        got.push(describe(&other));
                        break;
                    }
                }
            }
            let mut wants: Vec<Frame> = expected.clone();
            wants.push(echo.clone());
            let patterns: Vec<String> = wants.iter().map(|f| f.pattern.clone()).collect();
            if !echoed || got.len() != wants.len() {
                let what = if !echoed {
                    "frames up to the marker echo (the echo never came)"
                } else if got.len() > wants.len() {
                    "frames up to the marker echo: received more than predicted"
                } else {
                    "frames up to the marker echo: some predicted frames are missing"
                };
                return Err(self.fail(client, what, patterns, got));
            }
            for (want, text) in wants.iter().zip(&got) {
                match self.check(client, want, text) {
                    Some(Ok(())) => {}
                    Some(Err(e)) => return Err(self.fail(client, e, patterns, got)),
                    None => {
                        return Err(self.fail(
                            client,
                            "frames up to the marker echo differ",
                            patterns,
                            got,
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    async fn run_plan(&mut self, plan: Plan, clients: u8) -> Result<(), StepFailure> {
        self.vars.clear();
        self.keep_paused_sessions_alive().await?;
        for act in plan.acts {
            self.act(act).await?;
        }
        self.cluster_barrier().await?;
        self.markers(clients, plan.others).await
    }
}

/// Runs `case` against `live` (a fresh namespace and fresh room names), with the model
/// optionally broken by `fault`.
pub async fn run_case(live: &Live, case: &Case, fault: Option<Fault>) -> Outcome {
    let id = unique();
    let nsp = match case.kind {
        Kind::Rooms | Kind::Upgrade => format!("/dynamic-{id}"),
        Kind::Recovery | Kind::Cluster => "/".to_string(),
    };
    let mut exec = Exec {
        live,
        kind: case.kind,
        model: Model::new(case.kind, &nsp, &format!("p{id}-"), fault),
        transcript: Transcript::new(),
        conns: (0..4).map(|_| None).collect(),
        transports: (0..4).map(|c| case.transport(c)).collect(),
        deferred: BTreeMap::new(),
        barriers: Vec::new(),
        vars: BTreeMap::new(),
        step: 0,
        op: "initial connect".into(),
    };
    let clients = case.clients.clamp(1, 4);
    exec.model.set_transports(&exec.transports);
    let mut applied = 0;
    let mut steps = Vec::new();
    let result = async {
        for c in 0..clients {
            let plan = exec.model.initial_connect(c);
            exec.run_plan(plan, c + 1).await?;
        }
        for (i, op) in case.ops.iter().enumerate() {
            exec.step = i + 1;
            exec.op = op.to_string();
            let Some(plan) = exec.model.prepare(op, clients, Instant::now()) else {
                let line = format!("{op}: no client it can act on, skipped");
                exec.transcript
                    .note("-", Transport::Websocket, format!("step {}: {line}", i + 1));
                steps.push(line);
                continue;
            };
            exec.op = plan.desc.clone();
            steps.push(plan.desc.clone());
            exec.transcript.note(
                "-",
                Transport::Websocket,
                format!("step {}: {}", i + 1, plan.desc),
            );
            applied += 1;
            exec.run_plan(plan, clients).await?;
        }
        // An upgrade left under way: finish it, so what the client had to receive while
        // paused is checked too.
        for c in 0..clients {
            if let Some(plan) = exec.model.complete_upgrade(c) {
                exec.op = plan.desc.clone();
                exec.transcript
                    .note("-", Transport::Websocket, format!("end: {}", plan.desc));
                exec.run_plan(plan, clients).await?;
            }
        }
        Ok(())
    }
    .await;
    for conn in exec.conns.iter_mut() {
        if let Some(c) = conn.take() {
            c.close().await;
        }
    }
    for barrier in exec.barriers.drain(..) {
        barrier.close().await;
    }
    Outcome {
        result,
        recoveries: exec.model.recoveries,
        transcript: exec.transcript,
        applied,
        steps,
    }
}
