//! The upgrade to WebSocket (engine.io 6.6.12 `socket.ts#_maybeUpgrade`, behaviour tag §1.7).
//!
//! ```text
//! new WS with sid      → 101; refused (closed) if an upgrade is under way or done
//! > 2probe             → < 3probe; from then on every 100 ms a held polling GET gets "6"
//! > 5                  → the old transport is discarded (a held GET gets "1"), the session
//!                        moves to the WS, the buffer is flushed there; the ping timeout is
//!                        cleared (Node's clearTransport)
//! > anything else      → the new WS is closed, the session stays where it was
//! upgradeTimeout       → the new WS is closed
//! ```

use std::time::{Duration, Instant};

use sio_protocol::engineio::{Data, Packet, PacketType};

use super::{Event, Output, ReadyState, Session, Transport, TransportState, WsId};

/// `setInterval(check, 100)` after the probe.
pub const NOOP_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// An upgrade in progress.
#[derive(Debug)]
pub(super) struct Upgrade {
    /// The new transport.
    pub(super) ws: WsId,
    /// `upgradeTimeoutTimer`.
    deadline: Instant,
    /// `checkIntervalTimer`, armed by the probe.
    noop_at: Option<Instant>,
    /// The new transport's `supportsBinary` (its request's `b64`).
    supports_binary: bool,
}

impl Upgrade {
    pub(super) fn next_deadline(&self) -> Instant {
        self.noop_at.map_or(self.deadline, |n| n.min(self.deadline))
    }
}

impl Session {
    /// Whether an upgrade is under way (diagnostics and tests).
    pub fn is_upgrading(&self) -> bool {
        self.upgrade.is_some()
    }

    /// A WebSocket `ws` carrying this session's sid completed its 101. Node then either starts
    /// an upgrade or, if one is under way or done, closes the new connection at once.
    pub fn ws_upgrade_request(&mut self, now: Instant, ws: WsId) {
        self.ws_upgrade_request_with(now, ws, true);
    }

    /// [`Session::ws_upgrade_request`] for a request whose `b64` made the new transport
    /// text-only (`supports_binary` false).
    pub fn ws_upgrade_request_with(&mut self, now: Instant, ws: WsId, supports_binary: bool) {
        self.now = now;
        if self.state == ReadyState::Closed || self.upgrade.is_some() || self.upgraded {
            // "transport has already been trying to upgrade" / "had already been upgraded".
            self.out.push_back(Output::WsClose { ws });
            return;
        }
        self.upgrade = Some(Upgrade {
            ws,
            deadline: now + self.cfg.upgrade_timeout,
            noop_at: None,
            supports_binary,
        });
    }

    /// A packet on the connection being upgraded.
    pub(super) fn upgrade_packet(&mut self, now: Instant, packet: Result<Packet, ()>) {
        let Some(up) = self.upgrade.as_mut() else {
            return;
        };
        let ws = up.ws;
        match packet {
            Ok(p) if p.kind == PacketType::Ping && p.data == Some(Data::Text("probe".into())) => {
                self.out.push_back(Output::WsSend {
                    ws,
                    frame: Packet::text(PacketType::Pong, "probe").encode_ws(),
                });
                up.noop_at = Some(now + NOOP_CHECK_INTERVAL);
            }
            Ok(p) if p.kind == PacketType::Upgrade && self.state != ReadyState::Closed => {
                let supports_binary = up.supports_binary;
                self.complete_upgrade(ws, supports_binary)
            }
            _ => {
                self.upgrade = None;
                self.out.push_back(Output::WsClose { ws });
            }
        }
    }

    /// The noop check and the upgrade timeout.
    pub(super) fn upgrade_timers(&mut self, now: Instant) {
        let Some(up) = self.upgrade.as_mut() else {
            return;
        };
        if up.noop_at.is_some_and(|t| t <= now) {
            up.noop_at = Some(now + NOOP_CHECK_INTERVAL);
            // "each tick where the polling transport is writable it sends 6".
            let released = !self.cfg.fault.is(crate::fault::Fault::UpgradeNoNoop);
            if released && matches!(&self.transport, Transport::Polling(p) if p.get.is_some()) {
                self.polling_send(vec![Packet::new(PacketType::Noop).into()]);
            }
        }
        if let Some(up) = self.upgrade.as_ref()
            && up.deadline <= now
        {
            // "client did not complete upgrade - closing transport".
            let ws = up.ws;
            self.upgrade = None;
            self.out.push_back(Output::WsClose { ws });
        }
    }

    /// `5` arrived on the new transport: switch.
    fn complete_upgrade(&mut self, ws: WsId, supports_binary: bool) {
        self.upgrade = None;
        self.framing.supports_binary = supports_binary;
        // `this.transport.discard(); clearTransport()`: the old transport is closed.
        if let Transport::Polling(p) = &mut self.transport {
            p.discarded = true;
        }
        self.close_transport(false);
        self.heartbeat.clear_pong_deadline();
        self.upgraded = true;
        self.transport = Transport::WebSocket {
            ws,
            state: TransportState::Open,
        };
        self.out.push_back(Output::Event(Event::Upgrade));
        // What the polling transport had not sent yet (no GET was held) goes out here, over the
        // new transport: the buffer belongs to the socket, not to the transport.
        if self.cfg.fault.is(crate::fault::Fault::UpgradeDropsBuffered) {
            self.buffer.clear();
        }
        if self
            .cfg
            .fault
            .is(crate::fault::Fault::UpgradeSendsBufferedTwice)
        {
            // Written to the new transport without being taken out of the buffer, so the
            // flush below writes the same packets again.
            for packet in self.buffer.clone() {
                let output = super::framing::ws_output(self.framing, ws, packet);
                self.out.push_back(output);
            }
        }
        self.flush();
        // "if readyState is closing, close the new transport, then onClose('forced close')".
        if self.state == ReadyState::Closing {
            self.close_transport(true);
        }
    }
}
