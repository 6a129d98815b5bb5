//! The sans-IO Engine.IO v4 session: one state machine per `sid`, fed with inputs that carry the
//! current time and answering with [`Output`]s. No tokio, no sockets, no clock: an adapter calls
//! the input methods, drains [`Session::poll_output`], and wakes the session at
//! [`Session::next_deadline`] with [`Session::handle_timeout`].
//!
//! It mirrors engine.io 6.6.12's `Socket`, `Polling` and `WebSocket` classes rule by rule
//! (protocol-notes 1.4–1.8); each rule is quoted where it is enforced. The transport-specific
//! parts live in [`polling`], [`websocket`] and [`upgrade`].

mod heartbeat;
mod polling;
mod types;
mod upgrade;
mod websocket;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sio_protocol::engineio::{Data, Handshake, Packet, PacketType};

pub use types::{
    CloseReason, Event, HttpReply, Output, PostBody, RequestId, SharedMessage, TransportKind,
    WsEnd, WsId, WsMessage,
};

use types::Outgoing;

use heartbeat::Heartbeat;
use polling::Polling;
use upgrade::Upgrade;

/// Node's polling `closeTimeout`: an orderly close waits this long for the next GET.
pub const POLLING_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The timings and limits a session runs with.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// `pingInterval`.
    pub ping_interval: Duration,
    /// `pingTimeout`.
    pub ping_timeout: Duration,
    /// `upgradeTimeout`.
    pub upgrade_timeout: Duration,
    /// `maxHttpBufferSize` (announced as `maxPayload`).
    pub max_payload: usize,
}

impl SessionConfig {
    /// The timings of an [`crate::EngineConfig`].
    pub fn from_engine(cfg: &crate::EngineConfig) -> SessionConfig {
        SessionConfig {
            ping_interval: cfg.ping_interval,
            ping_timeout: cfg.ping_timeout,
            upgrade_timeout: cfg.upgrade_timeout,
            max_payload: cfg.max_http_buffer_size,
        }
    }
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
    out: VecDeque<Output>,
    /// The time of the input being handled.
    now: Instant,
}

impl Session {
    /// A handshake over polling: the open packet answers the handshake GET `req` at once.
    pub fn open_polling(
        sid: String,
        cfg: SessionConfig,
        upgrades: Vec<String>,
        now: Instant,
        req: RequestId,
    ) -> Session {
        let mut s = Session::new(sid, cfg, Transport::Polling(Polling::default()), now);
        s.send_open(upgrades);
        // "transport.onRequest(req)": the handshake GET is the first poll.
        s.poll_get(now, req);
        s
    }

    /// A handshake over WebSocket `ws` (after the 101): the open packet is the first frame.
    pub fn open_websocket(sid: String, cfg: SessionConfig, now: Instant, ws: WsId) -> Session {
        let mut s = Session::new(
            sid,
            cfg,
            Transport::WebSocket {
                ws,
                state: TransportState::Open,
            },
            now,
        );
        // "upgrades is [] when the handshake is over websocket".
        s.send_open(Vec::new());
        s
    }

    fn new(sid: String, cfg: SessionConfig, transport: Transport, now: Instant) -> Session {
        let heartbeat = Heartbeat::start(now, cfg.ping_interval, cfg.ping_timeout);
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

    /// The protocol revision (always 4 for now).
    pub fn protocol(&self) -> u8 {
        4
    }

    /// Whether the session has closed (the adapter forgets it then).
    pub fn is_closed(&self) -> bool {
        self.state == ReadyState::Closed
    }

    /// The next output to carry out, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Session::handle_timeout`] must run next.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.state == ReadyState::Closed {
            return None;
        }
        let polling = match &self.transport {
            Transport::Polling(p) => p.close_deadline,
            Transport::WebSocket { .. } => None,
        };
        let upgrade = self.upgrade.as_ref().map(Upgrade::next_deadline);
        [self.heartbeat.next_deadline(), polling, upgrade]
            .into_iter()
            .flatten()
            .min()
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.state == ReadyState::Closed {
            return;
        }
        self.upgrade_timers(now);
        // `schedulePing`: "sends 2 every pingInterval, then arms pingTimeout".
        if self.heartbeat.ping_due(now) {
            self.send_packet(Packet::new(PacketType::Ping));
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

    /// `sendPacket`: dropped once the session is closing; otherwise buffered and flushed.
    fn send_packet(&mut self, packet: Packet) {
        self.send_outgoing(Outgoing::Packet(packet));
    }

    fn send_outgoing(&mut self, packet: Outgoing) {
        if self.state != ReadyState::Open {
            return;
        }
        self.buffer.push(packet);
        self.flush();
    }

    /// `flush`: hand the whole buffer to a writable transport.
    fn flush(&mut self) {
        if self.state == ReadyState::Closed || self.buffer.is_empty() {
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
                    self.out.push_back(match packet {
                        Outgoing::Packet(p) => Output::WsSend {
                            ws,
                            frame: p.encode_ws(),
                        },
                        Outgoing::Shared(message) => Output::WsSendShared { ws, message },
                    });
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
                // "ping received under v4 → invalid heartbeat direction → close".
                PacketType::Ping => self.on_close(
                    CloseReason::TransportError,
                    Some("invalid heartbeat direction"),
                ),
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
        self.out.push_back(Output::Event(Event::Close {
            reason,
            description,
        }));
    }
}
