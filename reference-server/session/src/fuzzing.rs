//! The fuzz body of the `session` target (feature `arbitrary`): one [`Session`] driven by a
//! sequence of HTTP-polling and WebSocket inputs on a virtual clock, through a model of the
//! adapter that keeps the API's promises (fresh request ids, `application_done` once per
//! `AwaitApplication`, cork and uncork in one step, bodies and frames over `maxPayload` refused
//! before the session sees them, as hyper and tungstenite do in the server). The target
//! (`fuzz/fuzz_targets/session.rs`) and the seed replay (`tests/fuzz_seeds.rs`) call
//! [`session_bytes`].
//!
//! ```text
//! no panic, whatever the input
//! no unbounded loop      every drain of poll_output ends; timers due at one instant settle
//!                        in a bounded number of handle_timeout calls
//! requests               every Respond is for a request the adapter made, answered once;
//!                        a body over maxPayload gets 413 and the session stays open;
//!                        a GET while another is held closes the session (Node's overlap rule)
//! payloads               every polling reply decodes cleanly (v4, v3 string or v3 XHR2);
//!                        the application's v4 text carries no 0x1e (engine.io writes it
//!                        unescaped, so no v4 payload can carry it: Socket.IO's JSON escapes it)
//! WebSocket              nothing is sent on a connection after the server closed it or the
//!                        adapter reported its end
//! events                 one Close at most, no Message after it; closed ⇒ no deadline
//! memory                 the write buffer holds at most what was sent plus the server's own
//!                        packets (pings, pongs, noops, the open packet); deferred POSTs at
//!                        most the POSTs taken
//! liveness               a client silent for pingInterval + pingTimeout has no open session,
//!                        except where engine.io 6.6.12 itself has no heartbeat timer left:
//!                        the upgrade's `clearTransport()` clears `pingTimeoutTimer` (and nulls
//!                        it), so (a) an Engine.IO v3 session upgraded to WebSocket never times
//!                        out (a v3 ping's `pingTimeoutTimer?.refresh()` finds null), and (b) a
//!                        v4 upgrade that completes between a ping and its pong leaves no timer
//!                        at all (the one-shot `pingIntervalTimer` already fired; only a pong
//!                        refreshes it): a client that then vanishes without closing its TCP
//!                        connection keeps its session. The session matches Node in both.
//! ```

use std::collections::HashSet;
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use sio_protocol::Limits;
use sio_protocol::engineio::{self, Data, v3};

use crate::fault::Injected;
use crate::{
    CloseReason, Event, Framing, HttpReply, Output, PostBody, RequestId, Session, SessionConfig,
    SharedMessage, WsEnd, WsId, WsMessage,
};

#[cfg(test)]
mod tests;

/// The heartbeat the fuzzed sessions run with (the contract's timings).
const PING_INTERVAL: Duration = Duration::from_millis(300);
const PING_TIMEOUT: Duration = Duration::from_millis(200);
/// The server's default `timer_slack`: the harness wakes the session at the start of
/// [`Session::next_wakeup`]'s window, so pings leave early whenever they can.
const PING_SLACK: Duration = Duration::from_millis(10);
/// More outputs than this from one input is taken for an unbounded loop.
const MAX_OUTPUTS_PER_STEP: usize = 100_000;
/// More timer rounds than this at one instant is taken for an unbounded loop.
const MAX_TIMER_ROUNDS: usize = 10_000;

/// Input of the `session` target.
#[derive(Debug, Clone, Arbitrary)]
pub struct SessionInput {
    /// How the session is opened.
    pub open: OpenInput,
    /// `maxHttpBufferSize`, small so that the limit is within the fuzzer's reach (0 is 1).
    pub max_payload: u16,
    /// What happens next, in order.
    pub steps: Vec<Step>,
}

/// The handshake.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum OpenInput {
    /// A polling handshake (`EIO=3` when `v3`, `b64=1` when `b64`).
    Polling {
        /// Engine.IO v3 framing.
        v3: bool,
        /// The client asked for base64 binary.
        b64: bool,
    },
    /// A WebSocket handshake.
    WebSocket {
        /// Engine.IO v3 framing.
        v3: bool,
    },
}

/// One input to the session, from the client, the application or the clock.
#[derive(Debug, Clone, Arbitrary)]
pub enum Step {
    /// The clock moves on by this many milliseconds; due timers fire on the way.
    Wait(u16),
    /// The client sends a polling GET.
    Get,
    /// The client goes away while its `n`-th held GET (modulo) is unanswered.
    DropGet(u8),
    /// A POST arrives with this content type; its body comes with [`Step::PostEnd`].
    PostBegin(ContentType),
    /// The body of the `n`-th POST in progress (modulo) ends.
    PostEnd(u8, BodyInput),
    /// A POST whose body arrives at once.
    Post(ContentType, BodyInput),
    /// An HTTP request of another method (OPTIONS is answered before the session).
    OtherRequest,
    /// The client opens a WebSocket with this session's sid (an upgrade).
    Upgrade {
        /// The WebSocket carries binary (not a `b64` client).
        binary: bool,
    },
    /// An Engine.IO packet in a text frame on the `n`-th WebSocket (modulo).
    WsPacket(u8, PacketInput),
    /// Any text frame.
    WsText(u8, String),
    /// A binary frame.
    WsBinary(u8, Vec<u8>),
    /// The `n`-th WebSocket ends (`error`: a protocol violation rather than a close).
    WsEnd(u8, bool),
    /// The application sends messages in one tick (cork, send, uncork).
    Send(Vec<DataInput>),
    /// The application sends pre-encoded shared messages.
    SendShared(Vec<DataInput>),
    /// The application closes the session.
    Close,
    /// The application has handled the oldest batch it was asked to.
    ApplicationDone,
}

/// A POST's `Content-Type`.
#[derive(Debug, Clone, Arbitrary)]
pub enum ContentType {
    /// No header.
    None,
    /// `text/plain;charset=UTF-8`.
    Text,
    /// `application/octet-stream` (binary: v3 XHR2, refused in v4).
    OctetStream,
    /// Anything else.
    Other(String),
}

/// A POST body.
#[derive(Debug, Clone, Arbitrary)]
pub enum BodyInput {
    /// Well-formed packets, encoded in the session's framing (v4 separators, v3 lengths).
    Packets(Vec<PacketInput>),
    /// Any bytes.
    Raw(Vec<u8>),
    /// The client went away before the end of the body.
    Aborted,
}

/// An Engine.IO packet built from parts, so the fuzzer reaches pings, pongs and upgrades.
#[derive(Debug, Clone, Arbitrary)]
pub struct PacketInput {
    /// The type digit (modulo 7: open, close, ping, pong, message, upgrade, noop).
    pub kind: u8,
    /// `probe` as the data (the upgrade's ping and pong).
    pub probe: bool,
    /// The data otherwise.
    pub data: String,
}

impl PacketInput {
    fn packet(&self) -> engineio::Packet {
        let kind = engineio::PacketType::from_code(self.kind % 7).expect("0..=6 are packet types");
        let data = if self.probe { "probe" } else { &self.data };
        if data.is_empty() {
            engineio::Packet::new(kind)
        } else {
            engineio::Packet::text(kind, data)
        }
    }
}

/// A message the application sends.
#[derive(Debug, Clone, Arbitrary)]
pub enum DataInput {
    /// Text.
    Text(String),
    /// Binary.
    Binary(Vec<u8>),
}

impl DataInput {
    /// The text an application may send: without the v4 record separator (module docs).
    fn text(t: &str, v3: bool) -> String {
        if v3 {
            t.to_owned()
        } else {
            t.replace('\u{1e}', " ")
        }
    }

    fn data(&self, v3: bool) -> Data {
        match self {
            DataInput::Text(t) => Data::Text(DataInput::text(t, v3)),
            DataInput::Binary(b) => Data::Binary(b.clone()),
        }
    }

    fn shared(&self, v3: bool) -> SharedMessage {
        match self {
            DataInput::Text(t) => SharedMessage::text(&DataInput::text(t, v3)),
            DataInput::Binary(b) => SharedMessage::binary(Bytes::from(b.clone())),
        }
    }
}

/// What a run went through, once every invariant held: so that a test (and the explain tool)
/// can tell a harness that drove the session from one that did nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Outputs the harness carried out and checked.
    pub outputs: usize,
    /// Polling replies it decoded.
    pub payloads: usize,
    /// Why the session closed (`None`: it is still open, which only an upgrade that left no
    /// heartbeat timer allows; module docs).
    pub close: Option<CloseReason>,
}

/// Target `session`: fuzzer bytes → [`SessionInput`] → [`session`] (`None`: the bytes make no
/// input).
pub fn session_bytes(data: &[u8]) -> Option<Outcome> {
    let input = SessionInput::arbitrary_take_rest(Unstructured::new(data)).ok()?;
    Some(session(&input))
}

/// Runs `input` against one session and checks the invariants of the module docs.
pub fn session(input: &SessionInput) -> Outcome {
    session_with_fault(input, Injected::NONE)
}

/// [`session`] on a session with an injected fault (armed with [`Injected::fault`], feature
/// `faults`): the tests check that the invariants catch the session faults they are about.
pub fn session_with_fault(input: &SessionInput, fault: Injected) -> Outcome {
    let mut harness = Harness::new(input, fault);
    harness.run(&input.steps);
    harness.outcome
}

/// A WebSocket the adapter model holds.
struct Socket {
    id: WsId,
    /// The adapter reported its end.
    ended: bool,
    /// The session asked for a close frame.
    closed_by_server: bool,
}

/// The adapter model and the invariant checks.
struct Harness {
    session: Session,
    start: Instant,
    now: Instant,
    max_payload: usize,
    v3: bool,
    next_id: u64,
    /// Every request made, and those answered.
    requests: HashSet<RequestId>,
    answered: HashSet<RequestId>,
    /// GETs handed to the session and not answered.
    held_gets: Vec<RequestId>,
    /// POSTs whose body the session wants.
    posts: Vec<RequestId>,
    sockets: Vec<Socket>,
    /// `AwaitApplication`s output and not yet acknowledged.
    awaiting: u64,
    closed: bool,
    /// The last time the client did anything.
    last_client_input: Instant,
    /// Messages the application sent, and inputs from the client (each step, and each byte of
    /// a POST body: each may make the session write a packet of its own, a pong, a noop, an
    /// upgrade answer).
    sent: usize,
    client_inputs: usize,
    posts_taken: usize,
    /// [`MAX_OUTPUTS_PER_STEP`] and [`MAX_TIMER_ROUNDS`] (fields, so that a test can show that
    /// the loop guards count).
    max_outputs_per_step: usize,
    max_timer_rounds: usize,
    outcome: Outcome,
}

impl Harness {
    fn new(input: &SessionInput, fault: Injected) -> Harness {
        let start = Instant::now();
        let max_payload = usize::from(input.max_payload.max(1));
        let cfg = SessionConfig {
            ping_interval: PING_INTERVAL,
            ping_timeout: PING_TIMEOUT,
            upgrade_timeout: Duration::from_millis(1000),
            max_payload,
            application_wait: Duration::from_millis(1000),
            ping_slack: PING_SLACK,
            fault,
        };
        let (session, v3, first) = match input.open {
            OpenInput::Polling { v3, b64 } => {
                let framing = Framing::new(if v3 { 3 } else { 4 }, b64.then_some("1"));
                let req = RequestId(0);
                let upgrades = vec!["websocket".to_owned()];
                let s =
                    Session::open_polling_with("sid".into(), cfg, framing, upgrades, start, req);
                (s, v3, Some(req))
            }
            OpenInput::WebSocket { v3 } => {
                let framing = Framing::new(if v3 { 3 } else { 4 }, None);
                let s = Session::open_websocket_with("sid".into(), cfg, framing, start, WsId(0));
                (s, v3, None)
            }
        };
        let mut h = Harness {
            session,
            start,
            now: start,
            max_payload,
            v3,
            next_id: 1,
            requests: HashSet::new(),
            answered: HashSet::new(),
            held_gets: Vec::new(),
            posts: Vec::new(),
            sockets: Vec::new(),
            awaiting: 0,
            closed: false,
            last_client_input: start,
            sent: 0,
            client_inputs: 0,
            posts_taken: 0,
            max_outputs_per_step: MAX_OUTPUTS_PER_STEP,
            max_timer_rounds: MAX_TIMER_ROUNDS,
            outcome: Outcome::default(),
        };
        match first {
            Some(req) => {
                h.requests.insert(req);
                h.held_gets.push(req);
            }
            None => h.sockets.push(Socket {
                id: WsId(0),
                ended: false,
                closed_by_server: false,
            }),
        }
        h.drain();
        h
    }

    fn run(&mut self, steps: &[Step]) {
        for step in steps {
            self.step(step);
            self.drain();
            self.check_state();
        }
        // Let every timer run out: the session must end by itself once the client is silent.
        self.wait(Duration::from_secs(40));
        self.check_state();
    }

    fn fresh_request(&mut self) -> RequestId {
        let req = RequestId(self.next_id);
        self.next_id += 1;
        self.requests.insert(req);
        req
    }

    fn client(&mut self) {
        self.last_client_input = self.now;
        self.client_inputs += 1;
    }

    fn socket(&self, n: u8) -> Option<usize> {
        let open: Vec<usize> = (0..self.sockets.len())
            .filter(|&i| !self.sockets[i].ended)
            .collect();
        (!open.is_empty()).then(|| open[usize::from(n) % open.len()])
    }

    fn step(&mut self, step: &Step) {
        let now = self.now;
        match step {
            Step::Wait(ms) => self.wait(Duration::from_millis(u64::from(*ms))),
            Step::Get => {
                self.client();
                let req = self.fresh_request();
                self.held_gets.push(req);
                let overlap = self.session.has_held_get() && !self.session.is_closed();
                self.session.poll_get(now, req);
                assert!(
                    !overlap || self.session.is_closed(),
                    "a GET while another is held must close the session (overlap from client)"
                );
            }
            Step::DropGet(n) => {
                if !self.held_gets.is_empty() {
                    self.client();
                    let req = self
                        .held_gets
                        .remove(usize::from(*n) % self.held_gets.len());
                    // The adapter answers nothing more on a request whose client went away.
                    self.answered.insert(req);
                    self.session.poll_get_dropped(now, req);
                }
            }
            Step::PostBegin(ct) => {
                self.client();
                let req = self.fresh_request();
                if self.session.post_begin(now, req, content_type(ct)) {
                    self.posts.push(req);
                }
            }
            Step::PostEnd(n, body) => {
                if !self.posts.is_empty() {
                    self.client();
                    let req = self.posts.remove(usize::from(*n) % self.posts.len());
                    self.post_end(req, body);
                }
            }
            Step::Post(ct, body) => {
                self.client();
                let req = self.fresh_request();
                if self.session.post_begin(now, req, content_type(ct)) {
                    self.post_end(req, body);
                }
            }
            Step::OtherRequest => {
                self.client();
                let req = self.fresh_request();
                self.session.other_request(now, req);
            }
            Step::Upgrade { binary } => {
                self.client();
                let id = WsId(self.next_id);
                self.next_id += 1;
                self.sockets.push(Socket {
                    id,
                    ended: false,
                    closed_by_server: false,
                });
                self.session.ws_upgrade_request_with(now, id, *binary);
            }
            Step::WsPacket(n, packet) => {
                let frame = if self.v3 {
                    v3::encode_packet(&packet.packet())
                } else {
                    packet.packet().encode_polling()
                };
                self.ws_message(*n, WsMessage::Text(frame));
            }
            Step::WsText(n, text) => self.ws_message(*n, WsMessage::Text(text.clone())),
            Step::WsBinary(n, bytes) => self.ws_message(*n, WsMessage::Binary(bytes.clone())),
            Step::WsEnd(n, error) => {
                if let Some(i) = self.socket(*n) {
                    self.client();
                    self.sockets[i].ended = true;
                    let end = if *error { WsEnd::Error } else { WsEnd::Closed };
                    self.session.ws_closed(now, self.sockets[i].id, end);
                }
            }
            Step::Send(messages) => {
                self.sent += messages.len();
                self.session.cork();
                for m in messages {
                    self.session.send(now, m.data(self.v3));
                }
                self.session.uncork(now);
            }
            Step::SendShared(messages) => {
                self.sent += messages.len();
                let shared: Vec<SharedMessage> =
                    messages.iter().map(|m| m.shared(self.v3)).collect();
                self.session.send_shared(now, &shared);
            }
            Step::Close => self.session.close(now),
            Step::ApplicationDone => {
                if self.awaiting > 0 {
                    self.awaiting -= 1;
                    self.session.application_done(now);
                }
            }
        }
    }

    /// A POST body as the adapter hands it over: over `maxPayload` it is refused unread.
    fn post_end(&mut self, req: RequestId, body: &BodyInput) {
        self.posts_taken += 1;
        let body = match body {
            BodyInput::Aborted => PostBody::Aborted,
            BodyInput::Raw(bytes) => PostBody::Complete(bytes.clone()),
            BodyInput::Packets(packets) => {
                let packets: Vec<_> = packets.iter().map(PacketInput::packet).collect();
                let text = if self.v3 {
                    v3::encode_payload(&packets)
                } else {
                    engineio::encode_payload(&packets)
                };
                PostBody::Complete(text.into_bytes())
            }
        };
        // Each packet of a body may make the session answer (a v3 ping gets a pong); a packet
        // takes at least one byte.
        if let PostBody::Complete(bytes) = &body {
            self.client_inputs += bytes.len();
        }
        let too_large = matches!(&body, PostBody::Complete(b) if b.len() > self.max_payload);
        let body = if too_large { PostBody::TooLarge } else { body };
        let was_closed = self.session.is_closed();
        self.session.post_end(self.now, req, body);
        if too_large {
            let first = self.session.out.front().cloned();
            assert_eq!(
                first,
                Some(Output::Respond {
                    req,
                    reply: HttpReply::Status(413)
                }),
                "a body over maxPayload is answered 413 at once"
            );
            assert_eq!(
                self.session.is_closed(),
                was_closed,
                "a body over maxPayload does not close the session"
            );
        }
    }

    /// A WebSocket frame as the adapter hands it over: over `maxPayload` tungstenite refuses
    /// it and the connection ends with an error (1009).
    fn ws_message(&mut self, n: u8, message: WsMessage) {
        let Some(i) = self.socket(n) else { return };
        self.client();
        let id = self.sockets[i].id;
        let len = match &message {
            WsMessage::Text(t) => t.len(),
            WsMessage::Binary(b) => b.len(),
        };
        if len > self.max_payload {
            self.sockets[i].ended = true;
            self.session.ws_closed(self.now, id, WsEnd::Error);
        } else {
            self.session.ws_message(self.now, id, message);
        }
    }

    /// Moves the clock on by `by`, firing every timer due on the way, each at the start of its
    /// wakeup window (a ping as early as it may leave).
    fn wait(&mut self, by: Duration) {
        let until = self.now + by;
        let mut rounds = 0;
        while let Some(wakeup) = self.session.next_wakeup().filter(|w| w.earliest <= until) {
            rounds += 1;
            assert!(
                rounds <= self.max_timer_rounds,
                "timers keep firing: {rounds} rounds before {:?}",
                until - self.start
            );
            assert!(
                wakeup.earliest <= wakeup.latest && wakeup.latest - wakeup.earliest <= PING_SLACK,
                "a wakeup window wider than the ping slack: {wakeup:?}"
            );
            self.now = self.now.max(wakeup.earliest);
            self.session.handle_timeout(self.now);
            self.drain();
            self.check_liveness();
        }
        self.now = until;
        self.check_liveness();
    }

    /// Carries out every output, checking each.
    fn drain(&mut self) {
        let mut n = 0;
        while let Some(output) = self.session.poll_output() {
            n += 1;
            assert!(n <= self.max_outputs_per_step, "outputs do not end");
            self.outcome.outputs += 1;
            self.carry_out(output);
        }
    }

    fn carry_out(&mut self, output: Output) {
        match output {
            Output::Respond { req, reply } => {
                assert!(
                    self.requests.contains(&req),
                    "a reply to no request: {req:?}"
                );
                assert!(
                    self.answered.insert(req),
                    "{req:?} answered twice (or after its client went away): {reply:?}"
                );
                self.held_gets.retain(|r| *r != req);
                self.posts.retain(|r| *r != req);
                self.check_reply(&reply);
            }
            Output::WsSend { ws, .. } | Output::WsSendShared { ws, .. } => {
                let s = self.known_socket(ws);
                assert!(!s.ended, "a frame sent on {ws:?} after it ended");
                assert!(
                    !s.closed_by_server,
                    "a frame sent on {ws:?} after its close"
                );
            }
            Output::WsClose { ws } => {
                let i = self
                    .sockets
                    .iter()
                    .position(|s| s.id == ws)
                    .unwrap_or_else(|| panic!("a close on an unknown WebSocket {ws:?}"));
                let s = &mut self.sockets[i];
                assert!(!s.closed_by_server, "{ws:?} closed twice");
                s.closed_by_server = true;
            }
            Output::Event(Event::Close { reason, .. }) => {
                assert!(!self.closed, "a second Close event");
                self.closed = true;
                self.outcome.close = Some(reason);
            }
            Output::Event(Event::Message(_)) => {
                assert!(!self.closed, "a message after the Close event");
            }
            Output::Event(Event::Upgrade) => {
                assert!(!self.closed, "an upgrade after the Close event");
            }
            Output::AwaitApplication => self.awaiting += 1,
        }
    }

    fn known_socket(&self, ws: WsId) -> &Socket {
        self.sockets
            .iter()
            .find(|s| s.id == ws)
            .unwrap_or_else(|| panic!("a frame on an unknown WebSocket {ws:?}"))
    }

    /// A polling reply the client will decode must decode cleanly.
    fn check_reply(&mut self, reply: &HttpReply) {
        match reply {
            HttpReply::Payload(text) => {
                self.outcome.payloads += 1;
                let decoded = if self.v3 {
                    v3::decode_payload(text, &Limits::UNLIMITED)
                } else {
                    engineio::decode_payload(text.as_bytes(), &Limits::UNLIMITED)
                };
                assert_eq!(
                    decoded.error, None,
                    "the server wrote a bad payload: {text:?}"
                );
                assert!(!decoded.packets.is_empty(), "an empty polling payload");
            }
            HttpReply::BinaryPayload(bytes) => {
                self.outcome.payloads += 1;
                assert!(self.v3, "an XHR2 payload on a v4 session");
                let decoded = v3::decode_binary_payload(bytes, &Limits::UNLIMITED);
                assert_eq!(decoded.error, None, "the server wrote a bad XHR2 payload");
            }
            HttpReply::Ok | HttpReply::Status(_) | HttpReply::Abort => {}
        }
    }

    /// Invariants that hold between inputs.
    fn check_state(&self) {
        let s = &self.session;
        assert_eq!(
            s.is_closed(),
            self.closed,
            "is_closed() and the Close event disagree"
        );
        if s.is_closed() {
            assert_eq!(
                s.next_deadline(),
                None,
                "a closed session still wants waking"
            );
        }
        let heartbeats = (self.now - self.start).as_millis() / PING_INTERVAL.as_millis() + 1;
        let bound = self.sent + self.client_inputs + heartbeats as usize + 4;
        assert!(
            s.buffer.len() <= bound,
            "the write buffer holds {} packets, more than the {bound} ever due",
            s.buffer.len()
        );
        assert!(
            s.deferred.len() <= self.posts_taken,
            "more deferred POSTs than POSTs"
        );
    }

    /// No pong can have come from a client silent for a whole heartbeat: its session is over.
    fn check_liveness(&self) {
        if self.session.upgraded && self.session.heartbeat.next_deadline().is_none() {
            return; // The upgrade left no heartbeat timer, as in Node (module docs).
        }
        let silent = self.now - self.last_client_input;
        assert!(
            self.session.is_closed() || silent <= PING_INTERVAL + PING_TIMEOUT,
            "the session outlives its heartbeat: the client has been silent for {silent:?}"
        );
    }
}

fn content_type(ct: &ContentType) -> Option<&str> {
    match ct {
        ContentType::None => None,
        ContentType::Text => Some("text/plain;charset=UTF-8"),
        ContentType::OctetStream => Some("application/octet-stream"),
        ContentType::Other(s) => Some(s),
    }
}
