//! The sans-IO Engine.IO session of the reference server (v4, and v3 behind `allowEIO3`): one
//! state machine per `sid`,
//! fed with inputs that carry the current time and answering with [`Output`]s. No tokio, no sockets, no clock: an adapter calls
//! the input methods, drains [`Session::poll_output`], and wakes the session with
//! [`Session::handle_timeout`] within [`Session::next_wakeup`]'s window (by
//! [`Session::next_deadline`] at the latest).
//!
//! It mirrors engine.io 6.6.12's `Socket`, `Polling` and `WebSocket` classes rule by rule
//! (behaviour tag §1.4–1.8); each rule is quoted where it is enforced. The transport-specific
//! parts live in [`polling`], [`websocket`] and [`upgrade`]; what differs by protocol revision on
//! the wire (v3 length-prefixed payloads, `0x04`-prefixed binary frames, `b64`) in [`framing`].
//!
//! A crate of its own (under `reference-server/`, re-exported there as `session`) so that the
//! session fuzz target builds it without tokio, hyper or axum: its only dependencies are the
//! protocol crate and `bytes`. The fault table ([`fault`]; armed only with the feature `faults`)
//! lives here because the session holds most of the hooks; the server re-exports it.

pub mod fault;
mod framing;
#[cfg(feature = "arbitrary")]
pub mod fuzzing;
mod heartbeat;
mod polling;
mod types;
mod upgrade;
mod websocket;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_v3;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sio_protocol::engineio::{Data, Handshake, Packet, PacketType};

pub use types::{
    CloseReason, Event, Framing, HttpReply, Output, PostBody, RequestId, SharedMessage,
    TransportKind, WsEnd, WsId, WsMessage,
};

use types::Outgoing;

use crate::fault::{Fault, Injected};

use heartbeat::Heartbeat;
use polling::Polling;
use upgrade::Upgrade;

/// Node's polling `closeTimeout`: an orderly close waits this long for the next GET.
pub const POLLING_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The timings and limits a session runs with. `#[non_exhaustive]`: start from
/// [`SessionConfig::default`] (engine.io's defaults) and set what differs, so a new option does
/// not break a caller.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// `pingInterval`.
    pub ping_interval: Duration,
    /// `pingTimeout`.
    pub ping_timeout: Duration,
    /// `upgradeTimeout`.
    pub upgrade_timeout: Duration,
    /// `maxHttpBufferSize` (announced as `maxPayload`).
    pub max_payload: usize,
    /// The bound on how long a POST with messages waits for [`Session::application_done`].
    pub application_wait: Duration,
    /// How early a ping may leave (at most a quarter of `ping_interval`; `Duration::ZERO`:
    /// exactly when due), so that an adapter can wake many sessions at once: it may wake this
    /// session anywhere in [`Session::next_wakeup`]'s window. Only the ping moves; every
    /// timer that closes or refuses something (the pong deadline, the upgrade timeout, the
    /// polling close timeout) is due at its exact time, as Node's `setTimeout` is.
    pub ping_slack: Duration,
    /// The injected fault (tests only; [`fault`]).
    fault: Injected,
}

impl Default for SessionConfig {
    /// engine.io 6.6.12's defaults (`pingInterval` 25 s, `pingTimeout` 20 s, `upgradeTimeout`
    /// 10 s, `maxHttpBufferSize` 1e6), the application wait of one second, no ping slack.
    fn default() -> Self {
        SessionConfig {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            upgrade_timeout: Duration::from_millis(10_000),
            max_payload: 1_000_000,
            application_wait: Duration::from_millis(1_000),
            ping_slack: Duration::ZERO,
            fault: Injected::NONE,
        }
    }
}

impl SessionConfig {
    /// The same options with `fault` injected (tests only: without the feature `faults` an
    /// [`Injected`] is always empty).
    pub fn with_fault(self, fault: Injected) -> Self {
        SessionConfig { fault, ..self }
    }

    /// The ping slack a session really uses: [`SessionConfig::ping_slack`], at most a quarter
    /// of the interval (pings then come at least three quarters of the interval after a pong,
    /// whatever the adapter asks for). No wakeup window of a session is wider.
    pub fn effective_ping_slack(&self) -> Duration {
        self.ping_slack.min(self.ping_interval / 4)
    }
}

/// When an adapter must wake a session next ([`Session::next_wakeup`]): any time from
/// `earliest` to `latest` does the session's timers justice; `latest` is the exact deadline of
/// the first timer that closes or refuses something, or the due time of the next ping, and
/// `earliest` is at most [`SessionConfig::ping_slack`] before it (earlier only for a ping).
/// Waking before `earliest` does nothing; waking after `latest` is late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Wakeup {
    /// The first time at which [`Session::handle_timeout`] has something to do.
    pub earliest: Instant,
    /// The last time at which it is not late.
    pub latest: Instant,
}

/// `readyState` of the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadyState {
    Open,
    /// `close()` was called; the transport closes once the buffer drained.
    Closing,
    Closed,
}

/// `readyState` of a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransportState {
    Open,
    Closing,
    Closed,
}

/// A POST answered once the application has handled its messages.
#[derive(Debug)]
struct DeferredPost {
    req: RequestId,
    /// The payload failed to parse after its messages.
    parse_error: bool,
    /// The sequence number of its [`Output::AwaitApplication`].
    seq: u64,
    /// Answered anyway at this time (`application_wait`).
    deadline: Instant,
}

/// The session's current transport.
#[derive(Debug)]
enum Transport {
    Polling(Polling),
    WebSocket { ws: WsId, state: TransportState },
}

/// One Engine.IO session.
#[derive(Debug)]
pub struct Session {
    sid: String,
    cfg: SessionConfig,
    state: ReadyState,
    transport: Transport,
    /// An upgrade in progress (`upgrading`).
    upgrade: Option<Upgrade>,
    /// `upgraded`: an upgrade completed once; no other may start.
    upgraded: bool,
    /// `writeBuffer`: packets waiting for a writable transport.
    buffer: Vec<Outgoing>,
    /// `close()` found packets in the buffer: close the transport at the next drain.
    close_after_drain: bool,
    heartbeat: Heartbeat,
    /// The protocol revision, and whether the current transport carries binary as binary.
    framing: Framing,
    /// POSTs that carried messages, in order: each `ok` (and a parse error that followed the
    /// messages) waits for [`Session::application_done`], or for its deadline.
    deferred: VecDeque<DeferredPost>,
    /// How many [`Output::AwaitApplication`] were output (the sequence number of the next).
    batches_awaited: u64,
    /// How many of them the application has handled.
    batches_done: u64,
    /// [`Session::cork`] depth: while positive, nothing is flushed.
    corked: u32,
    out: VecDeque<Output>,
    /// The time of the input being handled.
    now: Instant,
}

impl Session {
    /// A v4 handshake over polling: the open packet answers the handshake GET `req` at once.
    pub fn open_polling(
        sid: String,
        cfg: SessionConfig,
        upgrades: Vec<String>,
        now: Instant,
        req: RequestId,
    ) -> Session {
        Session::open_polling_with(sid, cfg, Framing::V4, upgrades, now, req)
    }

    /// A v4 handshake over WebSocket `ws` (after the 101): the open packet is the first frame.
    pub fn open_websocket(sid: String, cfg: SessionConfig, now: Instant, ws: WsId) -> Session {
        Session::open_websocket_with(sid, cfg, Framing::V4, now, ws)
    }

    /// A handshake over polling with `framing` (Engine.IO v3 or v4, `b64`).
    pub fn open_polling_with(
        sid: String,
        cfg: SessionConfig,
        framing: Framing,
        upgrades: Vec<String>,
        now: Instant,
        req: RequestId,
    ) -> Session {
        let transport = Transport::Polling(Polling::default());
        let mut s = Session::new(sid, cfg, framing, transport, now);
        s.send_open(upgrades);
        // "transport.onRequest(req)": the handshake GET is the first poll.
        s.poll_get(now, req);
        s
    }

    /// A handshake over WebSocket `ws` with `framing` (Engine.IO v3 or v4, `b64`).
    pub fn open_websocket_with(
        sid: String,
        cfg: SessionConfig,
        framing: Framing,
        now: Instant,
        ws: WsId,
    ) -> Session {
        let mut s = Session::new(
            sid,
            cfg,
            framing,
            Transport::WebSocket {
                ws,
                state: TransportState::Open,
            },
            now,
        );
        // "upgrades is [] when the handshake is over websocket".
        if s.cfg.fault.is(Fault::WebsocketHandshakeUpgrades) {
            s.send_open(vec!["websocket".to_owned()]);
            return s;
        }
        s.send_open(Vec::new());
        s
    }

    fn new(
        sid: String,
        cfg: SessionConfig,
        framing: Framing,
        transport: Transport,
        now: Instant,
    ) -> Session {
        // "in protocol v3, the client sends a ping, and the server answers with a pong".
        let heartbeat = if framing.is_v3() {
            Heartbeat::start_v3(now, cfg.ping_interval, cfg.ping_timeout)
        } else {
            let slack = cfg.effective_ping_slack();
            Heartbeat::start(now, cfg.ping_interval, cfg.ping_timeout, slack)
        };
        Session {
            sid,
            cfg,
            state: ReadyState::Open,
            transport,
            upgrade: None,
            upgraded: false,
            buffer: Vec::new(),
            close_after_drain: false,
            heartbeat,
            framing,
            deferred: VecDeque::new(),
            batches_awaited: 0,
            batches_done: 0,
            corked: 0,
            out: VecDeque::new(),
            now,
        }
    }

    /// `onOpen`: the open packet, keys in Node's order (sid, upgrades, pingInterval,
    /// pingTimeout, maxPayload).
    fn send_open(&mut self, upgrades: Vec<String>) {
        let handshake = Handshake {
            sid: self.sid.clone(),
            upgrades,
            ping_interval: self.cfg.ping_interval.as_millis() as u64,
            ping_timeout: self.cfg.ping_timeout.as_millis() as u64,
            max_payload: Some(self.cfg.max_payload as u64),
        };
        let handshake = Handshake {
            max_payload: handshake
                .max_payload
                .filter(|_| !self.cfg.fault.is(Fault::HandshakeNoMaxPayload)),
            ..handshake
        };
        self.send_packet(Packet::open(&handshake));
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The current transport.
    pub fn transport(&self) -> TransportKind {
        match self.transport {
            Transport::Polling(_) => TransportKind::Polling,
            Transport::WebSocket { .. } => TransportKind::WebSocket,
        }
    }

    /// The protocol revision: 4, or 3 (`allowEIO3`).
    pub fn protocol(&self) -> u8 {
        self.framing.protocol
    }

    /// Whether the session has closed (the adapter forgets it then).
    pub fn is_closed(&self) -> bool {
        self.state == ReadyState::Closed
    }

    /// The next output to carry out, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        let out = self.out.pop_front();
        // Drained: give the queue's room back. An idle session would otherwise keep it for
        // good (about 200 bytes for each of thousands of idle connections); one allocation per
        // input is what it costs.
        if out.is_none() && self.out.capacity() > 0 {
            self.out = VecDeque::new();
        }
        out
    }

    /// When [`Session::handle_timeout`] must run next, at the latest: the `latest` of
    /// [`Session::next_wakeup`].
    pub fn next_deadline(&self) -> Option<Instant> {
        self.next_wakeup().map(|w| w.latest)
    }

    /// The window in which [`Session::handle_timeout`] must run next (`None`: no timer runs).
    /// Every timer but the ping is exact (`earliest == latest` unless the ping is first within
    /// [`SessionConfig::ping_slack`]).
    pub fn next_wakeup(&self) -> Option<Wakeup> {
        if self.state == ReadyState::Closed {
            return None;
        }
        let polling = match &self.transport {
            Transport::Polling(p) => p.close_deadline,
            Transport::WebSocket { .. } => None,
        };
        let upgrade = self.upgrade.as_ref().map(Upgrade::next_deadline);
        let deferred = self.deferred.front().map(|d| d.deadline);
        let exact = [polling, upgrade, deferred].into_iter().flatten().min();
        let latest = [self.heartbeat.next_deadline(), exact]
            .into_iter()
            .flatten()
            .min()?;
        let earliest = [self.heartbeat.next_earliest(), exact]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(latest);
        Some(Wakeup { earliest, latest })
    }

    /// Fires every timer due at `now`, and the ping if it is due within
    /// [`SessionConfig::ping_slack`].
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.state == ReadyState::Closed {
            return;
        }
        self.upgrade_timers(now);
        // A stuck application: the POSTs it holds get their `ok` anyway.
        while self.deferred.front().is_some_and(|d| d.deadline <= now) {
            self.answer_deferred();
            if self.state == ReadyState::Closed {
                return;
            }
        }
        // `schedulePing`: "sends 2 every pingInterval, then arms pingTimeout".
        if self.heartbeat.ping_due(now) {
            self.send_packet(Packet::new(PacketType::Ping));
        }
        if self.cfg.fault.is(Fault::PingTimeoutNeverFires) {
            self.heartbeat.pong_deadline = None;
        }
        if self.heartbeat.timed_out(now) {
            self.on_close(CloseReason::PingTimeout, None);
            return;
        }
        if let Transport::Polling(p) = &mut self.transport
            && p.close_deadline.is_some_and(|t| t <= now)
        {
            // The orderly close waited `closeTimeout` for a GET that never came.
            p.close_deadline = None;
            p.state = TransportState::Closed;
            self.on_close(CloseReason::ForcedClose, None);
        }
    }

    /// The application sends a `message`.
    pub fn send(&mut self, now: Instant, data: Data) {
        self.now = now;
        self.send_packet(Packet {
            kind: PacketType::Message,
            data: Some(data),
        });
    }

    /// The application sends pre-encoded shared messages, in order, as consecutive packets (as
    /// socket.io's `writeToEngine` does: one `sendPacket`, hence one flush, per message).
    pub fn send_shared(&mut self, now: Instant, messages: &[SharedMessage]) {
        self.now = now;
        for m in messages {
            self.send_outgoing(Outgoing::Shared(m.clone()));
        }
    }

    /// Whether the current transport can write right away (`transport.writable`): a GET is
    /// held over polling; over WebSocket, while it is open. Volatile packets are dropped when not.
    pub fn is_writable(&self) -> bool {
        match &self.transport {
            Transport::Polling(p) => p.get.is_some(),
            Transport::WebSocket { state, .. } => *state == TransportState::Open,
        }
    }

    /// The application closes the session (`socket.close()`): buffered packets go out first;
    /// over polling with no GET pending, the next GET gets `6` + `1`.
    pub fn close(&mut self, now: Instant) {
        self.now = now;
        if self.state != ReadyState::Open {
            return;
        }
        self.state = ReadyState::Closing;
        // "if the buffer has packets, wait for the drain event".
        if !self.buffer.is_empty() {
            self.close_after_drain = true;
            return;
        }
        self.close_transport(true);
    }

    /// The application has handled every event output before the next
    /// [`Output::AwaitApplication`] it had not acknowledged (call it once per
    /// `AwaitApplication`, in order): that POST's deferred parse error applies now (unless the
    /// application closed the session meanwhile, which makes Node ignore it: "packet received
    /// with closed socket"), then the POST gets its `ok`. A POST already answered because its
    /// `application_wait` passed is skipped.
    pub fn application_done(&mut self, now: Instant) {
        self.now = now;
        if self.batches_done < self.batches_awaited {
            self.batches_done += 1;
        }
        while self
            .deferred
            .front()
            .is_some_and(|d| d.seq < self.batches_done)
        {
            self.answer_deferred();
        }
    }

    /// Holds every flush until the matching [`Session::uncork`]: packets the application sends
    /// meanwhile are written together (Node writes what one tick produced in one go; e.g. the
    /// CONNECT reply and the `connection` handler's emits reach the next GET together).
    pub fn cork(&mut self) {
        self.corked += 1;
    }

    /// Ends one [`Session::cork`]; the last one flushes.
    pub fn uncork(&mut self, now: Instant) {
        self.now = now;
        self.corked = self.corked.saturating_sub(1);
        if self.corked == 0 {
            self.flush();
        }
    }

    /// Defers the `ok` of POST `req` until the application has handled the events output so
    /// far ([`Output::AwaitApplication`]).
    fn defer_post(&mut self, req: RequestId, parse_error: bool) {
        let seq = self.batches_awaited;
        self.batches_awaited += 1;
        self.deferred.push_back(DeferredPost {
            req,
            parse_error,
            seq,
            deadline: self.now + self.cfg.application_wait,
        });
        self.out.push_back(Output::AwaitApplication);
    }

    /// Answers the oldest deferred POST: its parse error first, then `ok`.
    fn answer_deferred(&mut self) {
        let Some(d) = self.deferred.pop_front() else {
            return;
        };
        if d.parse_error {
            self.on_packet(self.now, Err(()));
        }
        self.out.push_back(Output::Respond {
            req: d.req,
            reply: HttpReply::Ok,
        });
    }

    /// `sendPacket`: dropped once the session is closing; otherwise buffered and flushed.
    fn send_packet(&mut self, packet: Packet) {
        self.send_outgoing(Outgoing::Packet(packet));
    }

    fn send_outgoing(&mut self, packet: Outgoing) {
        if self.state != ReadyState::Open {
            return;
        }
        // The common case of an open WebSocket with nothing buffered: straight to the output,
        // as `flush` would do, without a trip through `buffer` (which `flush` empties by
        // taking it, so each packet would cost an allocation: one per broadcast recipient).
        if let Transport::WebSocket {
            ws,
            state: TransportState::Open,
        } = &self.transport
            && self.buffer.is_empty()
            && self.corked == 0
        {
            let output = framing::ws_output(self.framing, *ws, packet);
            self.out.push_back(output);
            return;
        }
        self.buffer.push(packet);
        self.flush();
    }

    /// `flush`: hand the whole buffer to a writable transport.
    fn flush(&mut self) {
        if self.state == ReadyState::Closed || self.buffer.is_empty() || self.corked > 0 {
            return;
        }
        match &mut self.transport {
            Transport::Polling(p) if p.get.is_some() => {
                let packets = std::mem::take(&mut self.buffer);
                self.polling_send(packets);
            }
            Transport::WebSocket {
                ws,
                state: TransportState::Open,
            } => {
                let ws = *ws;
                for packet in std::mem::take(&mut self.buffer) {
                    let output = framing::ws_output(self.framing, ws, packet);
                    self.out.push_back(output);
                }
            }
            _ => return,
        }
        // The socket's "drain" event.
        if self.close_after_drain {
            self.close_after_drain = false;
            self.close_transport(true);
        }
    }

    /// `socket.onPacket`: a packet from the current transport.
    fn on_packet(&mut self, now: Instant, packet: Result<Packet, ()>) {
        // "packet received with closed socket" (closing counts as closed here).
        if self.state != ReadyState::Open {
            return;
        }
        let kind = packet.as_ref().map(|p| p.kind).ok();
        if kind != Some(PacketType::Pong) {
            self.heartbeat.on_other_packet(now);
        }
        match packet {
            // A parse failure is Node's synthetic `error` packet.
            Err(()) => self.on_close(CloseReason::ParseError, None),
            Ok(packet) => match packet.kind {
                // v3: "the client sends a ping, and the server answers with a pong", with no
                // data even for `2probe` on an established transport.
                PacketType::Ping if self.framing.is_v3() => {
                    self.heartbeat.on_client_ping(now);
                    self.send_packet(Packet::new(PacketType::Pong));
                }
                // "pong received under v3 → invalid heartbeat direction → close".
                PacketType::Pong if self.framing.is_v3() => self.on_close(
                    CloseReason::TransportError,
                    Some("invalid heartbeat direction"),
                ),
                PacketType::Ping if self.cfg.fault.is(Fault::ClientPingAnswered) => {
                    self.send_packet(Packet::new(PacketType::Pong));
                }
                // "ping received under v4 → invalid heartbeat direction → close".
                PacketType::Ping => self.on_close(
                    CloseReason::TransportError,
                    Some("invalid heartbeat direction"),
                ),
                PacketType::Pong if self.cfg.fault.is(Fault::PongNotRescheduling) => {
                    self.heartbeat.pong_deadline = None;
                }
                PacketType::Pong => self.heartbeat.on_pong(now),
                PacketType::Message => {
                    let data = packet.data.unwrap_or(Data::Text(String::new()));
                    self.out.push_back(Output::Event(Event::Message(data)));
                }
                // "noop, upgrade, open (and, over WebSocket, close) from the client are ignored".
                _ => {}
            },
        }
    }

    /// `transport.close(fn)` on the current transport; `forced` is `fn = onClose("forced close")`.
    fn close_transport(&mut self, forced: bool) {
        let closed_now = match &mut self.transport {
            Transport::Polling(_) => self.polling_close(),
            Transport::WebSocket { ws, state } => {
                if *state != TransportState::Open {
                    return;
                }
                // `ws.close()` with no code, then `fn()` at once.
                *state = TransportState::Closed;
                self.out.push_back(Output::WsClose { ws: *ws });
                true
            }
        };
        if forced && closed_now {
            self.on_close(CloseReason::ForcedClose, None);
        }
    }

    /// `socket.onClose(reason)`: stop the timers, drop the buffer, close the transport and any
    /// upgrade in progress, tell the application.
    fn on_close(&mut self, reason: CloseReason, description: Option<&'static str>) {
        if self.state == ReadyState::Closed {
            return;
        }
        self.state = ReadyState::Closed;
        self.heartbeat.stop();
        self.buffer.clear();
        self.close_after_drain = false;
        // `clearTransport()`: "ensure transport won't stay open".
        self.close_transport(false);
        // The upgrade's "socket closed" handler closes the new transport.
        if let Some(up) = self.upgrade.take() {
            self.out.push_back(Output::WsClose { ws: up.ws });
        }
        // Deferred POSTs still get their `ok`: Node wrote it right after the payload.
        for d in std::mem::take(&mut self.deferred) {
            self.out.push_back(Output::Respond {
                req: d.req,
                reply: HttpReply::Ok,
            });
        }
        self.out.push_back(Output::Event(Event::Close {
            reason,
            description,
        }));
    }
}
