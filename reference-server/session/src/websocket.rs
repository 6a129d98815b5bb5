//! The WebSocket transport's rules (engine.io 6.6.12 `transports/websocket.ts`): one packet
//! per message, binary messages are binary `message` packets, and how a connection's end
//! closes the session.
//!
//! ```text
//! text message   → decodePacket (a leading "b" is base64 binary); failure → "parse error"
//! binary message → a binary message packet (v3: a type byte, then the data)
//! close / EOF    → "transport close";  protocol error (e.g. over maxPayload) → "transport error"
//! ```
//! Messages on a connection that is being upgraded go to [`super::upgrade`] instead.

use std::time::Instant;

use super::framing::decode_ws;
use super::{CloseReason, Session, Transport, TransportState, WsEnd, WsId, WsMessage};

impl Session {
    /// A message arrived on WebSocket `ws`.
    pub fn ws_message(&mut self, now: Instant, ws: WsId, msg: WsMessage) {
        self.now = now;
        if self.upgrade.as_ref().is_some_and(|u| u.ws == ws) {
            self.upgrade_packet(now, decode_ws(self.framing, msg));
            return;
        }
        if matches!(self.transport, Transport::WebSocket { ws: current, .. } if current == ws) {
            self.on_packet(now, decode_ws(self.framing, msg));
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
