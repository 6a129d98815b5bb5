//! The WebSocket transport's rules (engine.io 6.6.12 `transports/websocket.ts`): one packet
//! per message, binary messages are binary `message` packets, and how a connection's end
//! closes the session.
//!
//! ```text
//! text message   → decodePacket (a leading "b" is base64 binary); failure → "parse error"
//! binary message → a binary message packet
//! close / EOF    → "transport close";  protocol error (e.g. over maxPayload) → "transport error"
//! ```
//! Messages on a connection that is being upgraded go to [`super::upgrade`] instead.

use std::time::Instant;

use sio_protocol::Limits;
use sio_protocol::engineio::{self, Packet};

use super::{CloseReason, Session, Transport, TransportState, WsEnd, WsId, WsMessage};

/// Decodes one WebSocket message as `decodePacket` does. The size limit was enforced by the
/// WebSocket layer already (close 1009).
pub(super) fn decode(msg: WsMessage) -> Result<Packet, ()> {
    let limits = Limits {
        max_payload: usize::MAX,
        ..Limits::NODE
    };
    match msg {
        WsMessage::Text(t) => engineio::decode_text(&t, &limits).map_err(|_| ()),
        WsMessage::Binary(b) => engineio::decode_binary(&b, &limits).map_err(|_| ()),
    }
}

impl Session {
    /// A message arrived on WebSocket `ws`.
    pub fn ws_message(&mut self, now: Instant, ws: WsId, msg: WsMessage) {
        self.now = now;
        if self.upgrade.as_ref().is_some_and(|u| u.ws == ws) {
            self.upgrade_packet(now, decode(msg));
            return;
        }
        if matches!(self.transport, Transport::WebSocket { ws: current, .. } if current == ws) {
            self.on_packet(now, decode(msg));
        }
    }

    /// WebSocket `ws` ended.
    pub fn ws_closed(&mut self, now: Instant, ws: WsId, end: WsEnd) {
        self.now = now;
        if self.upgrade.as_ref().is_some_and(|u| u.ws == ws) {
            // "client did not complete upgrade - transport closed": the upgrade is abandoned,
            // the session stays on its transport.
            self.upgrade = None;
            return;
        }
        if let Transport::WebSocket { ws: current, state } = &mut self.transport
            && *current == ws
            && *state == TransportState::Open
        {
            *state = TransportState::Closed;
            let reason = match end {
                WsEnd::Closed => CloseReason::TransportClose,
                WsEnd::Error => CloseReason::TransportError,
            };
            self.on_close(reason, None);
        }
    }
}
