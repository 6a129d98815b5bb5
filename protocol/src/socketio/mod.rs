//! Socket.IO protocol v5 packets, decoded exactly as socket.io-parser 4.2.7's `decodeString` and
//! encoded as its `encodeAsString`. A packet travels inside an Engine.IO `message`.
//!
//! ```text
//! packet      = type [ attachments "-" ] [ nsp "," ] [ ack-id ] [ json ]
//! type        = "0" CONNECT | "1" DISCONNECT | "2" EVENT | "3" ACK | "4" CONNECT_ERROR
//!             | "5" BINARY_EVENT | "6" BINARY_ACK
//! attachments = decimal count ≥ 1 (types 5 and 6 only; followed by that many binary messages)
//! nsp         = "/" *( any but "," )       written only when not "/", always followed by ","
//! ack-id      = 1*DIGIT
//! json        = the rest: EVENT/BINARY_EVENT [name, …args] (name a number or non-reserved string),
//!               ACK/BINARY_ACK array, CONNECT object, CONNECT_ERROR string or object,
//!               DISCONNECT none
//! ```
//!
//! Node's decoder reads the string through JavaScript's `Number()`, and this decoder reproduces
//! that (verified against node 20 + socket.io-parser 4.2.7; see the tests): whitespace and the
//! empty string count as type `0`, attachment counts like `+1`, ` 1`, `1.0`, `0x1`, `1e0` are 1,
//! and whitespace inside the ack-id run counts as a digit-like character (`2 ["a"]` has ack id 0).
//!
//! The JSON payload is kept as its exact text ([`RawJson`]), so a decoded frame re-encodes to the
//! same bytes. Binary attachments: the values and placeholders are [`crate::binary`], the
//! incremental reassembly of a header and its attachments is [`reassembler`].

pub mod legacy;
pub mod reassembler;

pub use reassembler::Reassembler;

use std::fmt;

use crate::binary::Value;
use crate::error::SocketError;
use crate::js;
use crate::limits::Limits;

/// The event names a peer may not use (socket.io-parser `RESERVED_EVENTS`).
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The largest ack id this crate accepts: `Number.MAX_SAFE_INTEGER` (2^53 − 1).
pub const MAX_ACK_ID: u64 = (1 << 53) - 1;

/// A Socket.IO packet type. `Unknown` holds any other type character so invalid packets can be
/// built and encoded; the decoder never produces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: join a namespace (client), or accept the join (server).
    Connect,
    /// `1`: leave a namespace.
    Disconnect,
    /// `2`: an event.
    Event,
    /// `3`: an acknowledgement.
    Ack,
    /// `4`: the server refuses a namespace join.
    ConnectError,
    /// `5`: an event with binary attachments.
    BinaryEvent,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck,
    /// Any other type character (invalid on the wire).
    Unknown(char),
}

impl PacketType {
    /// The type for a numeric code 0–6.
    pub fn from_code(n: u8) -> Option<PacketType> {
        Some(match n {
            0 => PacketType::Connect,
            1 => PacketType::Disconnect,
            2 => PacketType::Event,
            3 => PacketType::Ack,
            4 => PacketType::ConnectError,
            5 => PacketType::BinaryEvent,
            6 => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The numeric code 0–6 (`None` for `Unknown`).
    pub fn code(self) -> Option<u8> {
        Some(match self {
            PacketType::Connect => 0,
            PacketType::Disconnect => 1,
            PacketType::Event => 2,
            PacketType::Ack => 3,
            PacketType::ConnectError => 4,
            PacketType::BinaryEvent => 5,
            PacketType::BinaryAck => 6,
            PacketType::Unknown(_) => return None,
        })
    }

    /// The wire character.
    pub fn as_char(self) -> char {
        match (self, self.code()) {
            (PacketType::Unknown(c), _) => c,
            (_, Some(n)) => char::from(b'0' + n),
            (_, None) => '?',
        }
    }

    /// Whether this is BINARY_EVENT or BINARY_ACK.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }
}

/// A JSON payload kept as its exact text, known to be valid JSON (by `serde_json`, which is what
/// `JSON.parse` accepts, minus the divergences of [`SocketError::UnsupportedJson`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawJson(String);

impl RawJson {
    /// Validates `text` as JSON and keeps it verbatim (surrounding whitespace included).
    pub fn new(text: impl Into<String>) -> Result<RawJson, SocketError> {
        let text = text.into();
        parse_json(&text)?;
        Ok(RawJson(text))
    }

    /// Serialises a `serde_json::Value` (keys in insertion order, serde_json's number spelling).
    pub fn from_value(value: &serde_json::Value) -> RawJson {
        RawJson(value.to_string())
    }

    /// The exact text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The parsed value (keys in document order; a duplicated key keeps its first position and
    /// its last value, as `JSON.parse`).
    pub fn to_value(&self) -> serde_json::Value {
        // Validated at construction, so this parse succeeds; `Null` is an unreachable fallback.
        parse_json(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RawJson({})", self.0)
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `JSON.parse`, as far as serde_json can follow it.
pub(crate) fn parse_json(text: &str) -> Result<serde_json::Value, SocketError> {
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        // Valid for JSON.parse, but not representable here: numbers beyond f64 (Node: Infinity),
        // nesting beyond serde_json's 128 levels, lone surrogate escapes.
        if msg.starts_with("number out of range")
            || msg.starts_with("recursion limit exceeded")
            || msg.contains("surrogate")
            || msg.starts_with("unexpected end of hex escape")
        {
            SocketError::UnsupportedJson(msg)
        } else {
            SocketError::InvalidJson
        }
    })
}

/// One Socket.IO packet as it is on the wire (binary attachments travel separately).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Packet {
    /// The packet type.
    pub kind: PacketType,
    /// The namespace, `/` by default.
    pub nsp: String,
    /// The ack id, if any.
    pub id: Option<u64>,
    /// The attachment count (BINARY_EVENT / BINARY_ACK). The encoder writes it whenever it is
    /// `Some`, whatever the type, so invalid packets can be built.
    pub attachments: Option<usize>,
    /// The JSON payload, verbatim.
    pub data: Option<RawJson>,
}

impl Packet {
    /// A packet with no id, attachments or data.
    pub fn new(kind: PacketType, nsp: impl Into<String>) -> Packet {
        Packet {
            kind,
            nsp: nsp.into(),
            id: None,
            attachments: None,
            data: None,
        }
    }

    /// A packet with a JSON payload built from a `serde_json::Value`.
    pub fn with_value(
        kind: PacketType,
        nsp: impl Into<String>,
        data: &serde_json::Value,
    ) -> Packet {
        Packet {
            data: Some(RawJson::from_value(data)),
            ..Packet::new(kind, nsp)
        }
    }

    /// An EVENT: `data` is the array `[name, …args]`.
    pub fn event(nsp: impl Into<String>, data: &serde_json::Value) -> Packet {
        Packet::with_value(PacketType::Event, nsp, data)
    }

    /// An ACK for `id` with the array `data`.
    pub fn ack(nsp: impl Into<String>, id: u64, data: &serde_json::Value) -> Packet {
        Packet {
            id: Some(id),
            ..Packet::with_value(PacketType::Ack, nsp, data)
        }
    }

    /// Sets the ack id.
    pub fn with_id(mut self, id: u64) -> Packet {
        self.id = Some(id);
        self
    }

    /// The payload parsed as a `serde_json::Value`.
    pub fn data_value(&self) -> Option<serde_json::Value> {
        self.data.as_ref().map(RawJson::to_value)
    }

    /// Encodes as socket.io-parser's `encodeAsString`.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        s.push(self.kind.as_char());
        if let Some(n) = self.attachments {
            s.push_str(&n.to_string());
            s.push('-');
        }
        // "if we have a namespace other than `/` we append it followed by a comma".
        if !self.nsp.is_empty() && self.nsp != "/" {
            s.push_str(&self.nsp);
            s.push(',');
        }
        if let Some(id) = self.id {
            s.push_str(&id.to_string());
        }
        if let Some(d) = &self.data {
            s.push_str(d.as_str());
        }
        s
    }

    /// The decoded view as a JSON value: `{"type":2,"nsp":"/","id":1,"attachments":1,"data":[…]}`
    /// (absent fields left out). Node's view of a binary packet is taken after reassembly; see
    /// [`Message::node_view`].
    pub fn node_view(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), type_view(self.kind));
        m.insert("nsp".into(), self.nsp.clone().into());
        if let Some(id) = self.id {
            m.insert("id".into(), id.into());
        }
        if let Some(n) = self.attachments {
            m.insert("attachments".into(), n.into());
        }
        if let Some(d) = self.data_value() {
            m.insert("data".into(), d);
        }
        serde_json::Value::Object(m)
    }
}

fn type_view(kind: PacketType) -> serde_json::Value {
    match kind.code() {
        Some(n) => n.into(),
        None => kind.as_char().to_string().into(),
    }
}

/// Decodes one Socket.IO packet (the data of an Engine.IO text `message`).
pub fn decode(s: &str, limits: &Limits) -> Result<Packet, SocketError> {
    let mut chars = s.chars();
    // "type = Number(str.charAt(0)); not 0–6 → unknown packet type N". Number("") and
    // Number(" ") are 0, so the empty string and a leading whitespace character are CONNECT.
    let kind = match chars.next() {
        None => PacketType::Connect,
        Some(c) => js::char_to_number(c)
            .and_then(PacketType::from_code)
            .ok_or(SocketError::UnknownType(c))?,
    };
    let mut rest = chars.as_str();

    let mut attachments = None;
    if kind.is_binary() {
        // "read up to `-`; the count must be numeric with a `-` present, a non-negative integer
        // ≥ 1 (4.2.7), and ≤ maxAttachments".
        let dash = rest.find('-');
        let buf = &rest[..dash.unwrap_or(rest.len())];
        let n = js::string_to_number(buf);
        if n.is_nan() {
            return Err(SocketError::AttachmentsNotANumber(buf.to_owned()));
        }
        let Some(dash) = dash else {
            return Err(SocketError::AttachmentsUnterminated);
        };
        if !n.is_finite() || n.fract() != 0.0 || n < 1.0 {
            return Err(SocketError::AttachmentsNotPositiveInteger(buf.to_owned()));
        }
        if n > limits.max_attachments as f64 {
            return Err(SocketError::TooManyAttachments {
                count: buf.to_owned(),
                max: limits.max_attachments,
            });
        }
        attachments = Some(n as usize);
        rest = &rest[dash + 1..];
    }

    // "namespace: present only if the next char is `/`; runs to the first `,` or the end".
    let nsp = if rest.starts_with('/') {
        let (nsp, after) = match rest.find(',') {
            Some(comma) => (&rest[..comma], &rest[comma + 1..]),
            None => (rest, ""),
        };
        rest = after;
        nsp.to_owned()
    } else {
        "/".to_owned()
    };

    // "ack id: the run of characters c with Number(c) == c", i.e. digits and whitespace.
    let run_end = rest
        .char_indices()
        .find(|&(_, c)| js::char_to_number(c).is_none())
        .map_or(rest.len(), |(i, _)| i);
    let id = if run_end > 0 {
        Some(parse_ack_id(&rest[..run_end])?)
    } else {
        None
    };
    rest = &rest[run_end..];

    // "remainder: JSON.parse, then isPayloadValid; no payload at all is not validated".
    let data = if rest.is_empty() {
        None
    } else {
        let value = parse_json(rest).map_err(|e| match e {
            SocketError::UnsupportedJson(_) => e,
            _ => SocketError::InvalidJson,
        })?;
        validate_payload(kind, &value)?;
        Some(RawJson(rest.to_owned()))
    };
    Ok(Packet {
        kind,
        nsp,
        id,
        attachments,
        data,
    })
}

/// `Number(run)` for a run of digits and whitespace, kept only when it is a safe integer.
fn parse_ack_id(run: &str) -> Result<u64, SocketError> {
    let trimmed = run.trim_matches(js::is_whitespace);
    if trimmed.is_empty() {
        // Number(" ") is 0.
        return Ok(0);
    }
    match trimmed.parse::<u64>() {
        Ok(id) if id <= MAX_ACK_ID => Ok(id),
        _ => Err(SocketError::AckIdNotSafeInteger(run.to_owned())),
    }
}

/// socket.io-parser's `isPayloadValid(type, payload)` with a specific error per rule.
pub fn validate_payload(kind: PacketType, payload: &serde_json::Value) -> Result<(), SocketError> {
    use serde_json::Value as J;
    match kind {
        // "CONNECT: plain object".
        PacketType::Connect if payload.is_object() => Ok(()),
        PacketType::Connect => Err(SocketError::ConnectPayloadNotObject),
        // "DISCONNECT: must be absent".
        PacketType::Disconnect => Err(SocketError::DisconnectWithPayload),
        // "CONNECT_ERROR: string or plain object".
        PacketType::ConnectError if payload.is_string() || payload.is_object() => Ok(()),
        PacketType::ConnectError => Err(SocketError::ConnectErrorPayloadInvalid),
        // "EVENT / BINARY_EVENT: array whose [0] is a number, or a string not in RESERVED_EVENTS".
        PacketType::Event | PacketType::BinaryEvent => match payload {
            J::Array(a) => match a.first() {
                Some(J::Number(_)) => Ok(()),
                Some(J::String(name)) if RESERVED_EVENTS.contains(&name.as_str()) => {
                    Err(SocketError::ReservedEventName(name.clone()))
                }
                Some(J::String(_)) => Ok(()),
                _ => Err(SocketError::InvalidEventName),
            },
            _ => Err(SocketError::PayloadNotArray),
        },
        // "ACK / BINARY_ACK: array".
        PacketType::Ack | PacketType::BinaryAck if payload.is_array() => Ok(()),
        PacketType::Ack | PacketType::BinaryAck => Err(SocketError::PayloadNotArray),
        PacketType::Unknown(c) => Err(SocketError::UnknownType(c)),
    }
}

/// A complete Socket.IO message, binary attachments put back in place: what Node's `Decoder`
/// emits as `decoded`. As in Node, a reassembled BINARY_EVENT / BINARY_ACK has type EVENT / ACK.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The packet type.
    pub kind: PacketType,
    /// The namespace.
    pub nsp: String,
    /// The ack id, if any.
    pub id: Option<u64>,
    /// The payload, binary leaves included.
    pub data: Option<Value>,
}

/// A message encoded for the wire: the text packet, then one binary message per attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The text packet.
    pub packet: Packet,
    /// The attachments, in placeholder order.
    pub attachments: Vec<Vec<u8>>,
}

impl Message {
    /// A message with no id or data.
    pub fn new(kind: PacketType, nsp: impl Into<String>) -> Message {
        Message {
            kind,
            nsp: nsp.into(),
            id: None,
            data: None,
        }
    }

    /// An EVENT `[name, …args]`.
    pub fn event(
        nsp: impl Into<String>,
        name: &str,
        args: impl IntoIterator<Item = Value>,
    ) -> Message {
        let mut items = vec![Value::String(name.to_owned())];
        items.extend(args);
        Message {
            data: Some(Value::Array(items)),
            ..Message::new(PacketType::Event, nsp)
        }
    }

    /// Encodes as socket.io-parser's `Encoder#encode`: an EVENT / ACK whose data holds binary
    /// becomes BINARY_EVENT / BINARY_ACK, each binary replaced by a placeholder numbered depth
    /// first; JSON is written as `JSON.stringify` writes it.
    pub fn encode(&self) -> Encoded {
        let (data, attachments) = match &self.data {
            Some(v) => {
                let (v, bufs) = crate::binary::deconstruct(v);
                (Some(v), bufs)
            }
            None => (None, Vec::new()),
        };
        let kind = match (self.kind, attachments.is_empty()) {
            (PacketType::Event, false) => PacketType::BinaryEvent,
            (PacketType::Ack, false) => PacketType::BinaryAck,
            (k, _) => k,
        };
        let packet = Packet {
            kind,
            nsp: self.nsp.clone(),
            id: self.id,
            attachments: kind.is_binary().then_some(attachments.len()),
            data: data.map(|v| RawJson(v.to_json())),
        };
        Encoded {
            packet,
            attachments,
        }
    }

    /// Node's decoded view: `{"type":2,"nsp":"/","id":1,"data":[…]}` with binary leaves as
    /// `{"$binary":"<hex>"}` and numbers as JavaScript sees them (see [`crate::view`]).
    pub fn node_view(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), type_view(self.kind));
        m.insert("nsp".into(), self.nsp.clone().into());
        if let Some(id) = self.id {
            m.insert("id".into(), id.into());
        }
        if let Some(d) = &self.data {
            m.insert("data".into(), d.to_view());
        }
        serde_json::Value::Object(m)
    }
}

#[cfg(test)]
mod tests;
