//! Engine.IO protocol v4 (`EIO=4`) packets, polling payloads and the handshake, decoded and
//! encoded as Node's engine.io-parser 5.2.3 does.
//!
//! ```text
//! packet (text)    = type-char [ data ]              type-char = "0" … "6"
//!                  | "b" base64                       a binary message (polling; WS text too)
//! packet (binary)  = raw bytes                        a WebSocket binary frame: always a message
//! payload          = packet *( %x1E packet )          polling bodies; binary as "b" base64
//! open data        = {"sid","upgrades","pingInterval","pingTimeout","maxPayload"} (JSON, this order)
//! ```
//!
//! Decoding is pure: nothing here knows about sockets, HTTP or time. [`v3`] holds the older
//! length-prefixed framing.

pub mod base64;
pub mod v3;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, PayloadError};
use crate::limits::Limits;

/// The record separator between packets of a polling payload.
pub const SEPARATOR: char = '\u{1e}';

/// An Engine.IO packet type. `Unknown` holds any other type character so that invalid packets
/// can be built and encoded (the decoders never produce it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: handshake, server → client, JSON [`Handshake`] data.
    Open,
    /// `1`: the transport may be closed.
    Close,
    /// `2`: heartbeat, sent by the server in v4 (and `2probe` by the client during an upgrade).
    Ping,
    /// `3`: heartbeat reply.
    Pong,
    /// `4`: application data.
    Message,
    /// `5`: completes a transport upgrade.
    Upgrade,
    /// `6`: flushes a pending poll during an upgrade.
    Noop,
    /// Any other type character (invalid on the wire).
    Unknown(char),
}

impl PacketType {
    /// The type for a wire character, if it is `0`–`6`.
    pub fn from_char(c: char) -> Option<PacketType> {
        Some(match c {
            '0' => PacketType::Open,
            '1' => PacketType::Close,
            '2' => PacketType::Ping,
            '3' => PacketType::Pong,
            '4' => PacketType::Message,
            '5' => PacketType::Upgrade,
            '6' => PacketType::Noop,
            _ => return None,
        })
    }

    /// The type for a numeric code (`0`–`6`), as v3 binary frames carry it.
    pub fn from_code(b: u8) -> Option<PacketType> {
        if b <= 6 {
            PacketType::from_char(char::from(b'0' + b))
        } else {
            None
        }
    }

    /// The wire character.
    pub fn as_char(self) -> char {
        match self {
            PacketType::Open => '0',
            PacketType::Close => '1',
            PacketType::Ping => '2',
            PacketType::Pong => '3',
            PacketType::Message => '4',
            PacketType::Upgrade => '5',
            PacketType::Noop => '6',
            PacketType::Unknown(c) => c,
        }
    }

    /// Node's name for the type (`open`, `close`, `ping`, `pong`, `message`, `upgrade`, `noop`);
    /// `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Open => "open",
            PacketType::Close => "close",
            PacketType::Ping => "ping",
            PacketType::Pong => "pong",
            PacketType::Message => "message",
            PacketType::Upgrade => "upgrade",
            PacketType::Noop => "noop",
            PacketType::Unknown(_) => "unknown",
        }
    }
}

/// The data of a packet: text, or binary (binary is only meaningful for `message`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Data {
    /// Text data.
    Text(String),
    /// Binary data.
    Binary(Vec<u8>),
}

/// One Engine.IO packet. `data: None` is a packet with nothing after the type character
/// (`2`, `4`); Node decodes `4` as a message with `undefined` data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// The packet type.
    pub kind: PacketType,
    /// The data, if any.
    pub data: Option<Data>,
}

/// How a packet travels on a WebSocket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Frame {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

impl Packet {
    /// A packet with no data.
    pub fn new(kind: PacketType) -> Packet {
        Packet { kind, data: None }
    }

    /// A packet with text data.
    pub fn text(kind: PacketType, data: impl Into<String>) -> Packet {
        Packet {
            kind,
            data: Some(Data::Text(data.into())),
        }
    }

    /// A `message` with text data.
    pub fn message(data: impl Into<String>) -> Packet {
        Packet::text(PacketType::Message, data)
    }

    /// A `message` with binary data.
    pub fn binary(data: impl Into<Vec<u8>>) -> Packet {
        Packet {
            kind: PacketType::Message,
            data: Some(Data::Binary(data.into())),
        }
    }

    /// An `open` packet carrying `handshake`.
    pub fn open(handshake: &Handshake) -> Packet {
        Packet::text(PacketType::Open, handshake.to_json())
    }

    /// The text data, if the packet has text data.
    pub fn text_data(&self) -> Option<&str> {
        match &self.data {
            Some(Data::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// Encodes for a WebSocket: binary data as a raw binary frame with no type prefix (whatever
    /// `kind` says, as Node), everything else as `<type><data>` in a text frame.
    pub fn encode_ws(&self) -> Frame {
        match &self.data {
            Some(Data::Binary(b)) => Frame::Binary(b.clone()),
            _ => Frame::Text(self.encode_polling()),
        }
    }

    /// Encodes as one text record, as in a polling payload: binary as `b` + base64.
    pub fn encode_polling(&self) -> String {
        match &self.data {
            Some(Data::Binary(b)) => format!("b{}", base64::encode(b)),
            Some(Data::Text(t)) => format!("{}{t}", self.kind.as_char()),
            None => self.kind.as_char().to_string(),
        }
    }
}

fn check_len(len: usize, limits: &Limits) -> Result<(), EngineError> {
    // engine.io: "contentLength > maxHttpBufferSize" → 413; ws: maxPayload exceeded → 1009.
    if len > limits.max_payload {
        return Err(EngineError::TooLarge {
            len,
            max: limits.max_payload,
        });
    }
    Ok(())
}

/// Decodes one text packet (a WebSocket text frame, or one polling record), as engine.io-parser's
/// `decodePacket`, after checking the frame against `limits.max_payload`.
pub fn decode_text(frame: &str, limits: &Limits) -> Result<Packet, EngineError> {
    check_len(frame.len(), limits)?;
    decode_record(frame)
}

/// `decodePacket` for a string, with no size check.
fn decode_record(s: &str) -> Result<Packet, EngineError> {
    let mut chars = s.chars();
    // "an empty string is a parse error": charAt(0) is "", not a packet type.
    let Some(first) = chars.next() else {
        return Err(EngineError::Empty);
    };
    let rest = chars.as_str();
    // "first char `b` → the rest is base64, the packet is a binary message".
    if first == 'b' {
        return Ok(Packet::binary(base64::decode_lenient(rest)));
    }
    // "a char not in 0–6 → error packet".
    let kind = PacketType::from_char(first).ok_or(EngineError::UnknownType(first))?;
    // "length > 1 → data = substring(1), else no data".
    let data = if rest.is_empty() {
        None
    } else {
        Some(Data::Text(rest.to_owned()))
    };
    Ok(Packet { kind, data })
}

/// Decodes one WebSocket binary frame: "a non-string input is always a binary message".
pub fn decode_binary(frame: &[u8], limits: &Limits) -> Result<Packet, EngineError> {
    check_len(frame.len(), limits)?;
    Ok(Packet::binary(frame))
}

/// The outcome of decoding a polling payload: every packet decoded before the first failure,
/// and the failure, if any. Node hands the earlier packets to the socket, then closes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedPayload {
    /// Packets decoded, in order, up to (not including) the failing one.
    pub packets: Vec<Packet>,
    /// The first failure, with its record index.
    pub error: Option<PayloadError>,
}

impl DecodedPayload {
    /// All packets, or the error (dropping the packets before it).
    pub fn into_result(self) -> Result<Vec<Packet>, PayloadError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.packets),
        }
    }
}

/// Decodes a v4 polling request body. Bytes that are not UTF-8 become U+FFFD, as Node's
/// string decoding of the body does; records are split on 0x1E and decoded until one fails.
pub fn decode_payload(body: &[u8], limits: &Limits) -> DecodedPayload {
    if let Err(error) = check_len(body.len(), limits) {
        return DecodedPayload {
            packets: Vec::new(),
            error: Some(PayloadError { index: 0, error }),
        };
    }
    decode_payload_str(&String::from_utf8_lossy(body))
}

/// Decodes a v4 payload that is already text, with no size check.
pub fn decode_payload_str(payload: &str) -> DecodedPayload {
    let mut packets = Vec::new();
    // "packets joined by 0x1E; decoding stops at the first packet that fails".
    for (index, record) in payload.split(SEPARATOR).enumerate() {
        match decode_record(record) {
            Ok(p) => packets.push(p),
            Err(error) => {
                return DecodedPayload {
                    packets,
                    error: Some(PayloadError { index, error }),
                };
            }
        }
    }
    DecodedPayload {
        packets,
        error: None,
    }
}

/// Encodes packets as a v4 polling payload (binary as `b` + base64, joined by 0x1E).
pub fn encode_payload(packets: &[Packet]) -> String {
    let records: Vec<String> = packets.iter().map(Packet::encode_polling).collect();
    records.join("\u{1e}")
}

/// The data of an `open` packet. Serialises with Node's key order
/// (`sid, upgrades, pingInterval, pingTimeout, maxPayload`); parses keys in any order and ignores
/// unknown keys. `maxPayload` is optional because v3 servers may omit it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Handshake {
    /// Session id (Node: 20 base64url characters; opaque to clients).
    pub sid: String,
    /// Transports the client may upgrade to (`["websocket"]` over polling, `[]` over WebSocket).
    pub upgrades: Vec<String>,
    /// Milliseconds between server pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// Largest frame or body the server accepts, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_payload: Option<u64>,
}

impl Handshake {
    /// The JSON text Node writes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses `open` data.
    pub fn from_json(s: &str) -> Result<Handshake, serde_json::Error> {
        serde_json::from_str(s)
    }
}

#[cfg(test)]
mod tests;
