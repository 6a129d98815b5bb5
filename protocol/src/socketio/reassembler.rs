//! The incremental decoder of Socket.IO messages (socket.io-parser 4.2.7's `Decoder#add`): a
//! BINARY_EVENT / BINARY_ACK header, then exactly its attachments as binary messages, become one
//! [`Message`] with the buffers put back in place of their placeholders ([`crate::binary`]).
//!
//! ```text
//! a text packet, not binary          → its message at once
//! a binary header (type 5 or 6)      → wait for <attachments> binary messages → EVENT / ACK
//! a text message while reconstructing → error, state reset
//! a binary message otherwise         → error
//! ```

use crate::binary::{Value, reconstruct};
use crate::error::BinaryError;
use crate::limits::Limits;
use crate::socketio::{self, Message, Packet, PacketType};

/// Incremental decoder of Socket.IO messages (socket.io-parser's `Decoder#add`): feed it each
/// Engine.IO `message` in order; it yields a [`Message`] when one is complete. After an error the
/// state is reset (Node closes the connection at that point).
#[derive(Debug, Clone, Default)]
pub struct Reassembler {
    limits: Limits,
    pending: Option<(Packet, Vec<Vec<u8>>)>,
}

impl Reassembler {
    /// A reassembler enforcing `limits`.
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler {
            limits,
            pending: None,
        }
    }

    /// Whether attachments are still expected.
    pub fn is_reconstructing(&self) -> bool {
        self.pending.is_some()
    }

    /// How many attachments the pending header still expects.
    pub fn missing(&self) -> usize {
        self.pending.as_ref().map_or(0, |(p, b)| {
            p.attachments.unwrap_or(0).saturating_sub(b.len())
        })
    }

    /// Feeds a text message.
    pub fn push_text(&mut self, text: &str) -> Result<Option<Message>, BinaryError> {
        // "a text message while reconstructing → throw".
        if self.pending.is_some() {
            self.pending = None;
            return Err(BinaryError::TextWhileReconstructing);
        }
        let packet = socketio::decode(text, &self.limits)?;
        if packet.kind.is_binary() {
            self.pending = Some((packet, Vec::new()));
            return Ok(None);
        }
        let data = packet.data.as_ref().map(|d| Value::from(&d.to_value()));
        Ok(Some(Message {
            kind: packet.kind,
            nsp: packet.nsp,
            id: packet.id,
            data,
        }))
    }

    /// Feeds a binary message.
    pub fn push_binary(&mut self, data: &[u8]) -> Result<Option<Message>, BinaryError> {
        // "a binary message when not reconstructing → throw".
        let Some((packet, buffers)) = self.pending.as_mut() else {
            return Err(BinaryError::BinaryWhenNotReconstructing);
        };
        buffers.push(data.to_vec());
        if buffers.len() < packet.attachments.unwrap_or(0) {
            return Ok(None);
        }
        let Some((packet, buffers)) = self.pending.take() else {
            return Ok(None);
        };
        complete(packet, &buffers).map(Some)
    }
}

/// Builds the complete message from a BINARY_EVENT / BINARY_ACK header and its buffers; as in
/// Node, the type becomes EVENT / ACK.
pub fn complete(packet: Packet, buffers: &[Vec<u8>]) -> Result<Message, BinaryError> {
    let data = match &packet.data {
        Some(d) => Some(reconstruct(&d.to_value(), buffers)?),
        None => None,
    };
    let kind = match packet.kind {
        PacketType::BinaryEvent => PacketType::Event,
        PacketType::BinaryAck => PacketType::Ack,
        k => k,
    };
    Ok(Message {
        kind,
        nsp: packet.nsp,
        id: packet.id,
        data,
    })
}

#[cfg(test)]
mod tests;
