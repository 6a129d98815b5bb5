//! Structured fuzz inputs and their bodies. The input types are plain data; with the `arbitrary`
//! feature they derive `arbitrary::Arbitrary`, and `*_bytes` turns fuzzer bytes into them exactly
//! as the fuzz targets do, so a seed file replays the same way under `cargo test`.
//!
//! ```text
//! binary_reassembly   frames (text | binary | well-formed binary header) → Reassembler, checked
//!                     step by step against a model of socket.io-parser's Decoder:
//!                       text while pending          → "got plaintext data…", state reset
//!                       binary while idle           → "got binary data…"
//!                       header announcing n         → pending, 1 ≤ n ≤ max_attachments
//!                       k-th binary, k < n          → still pending, n − k missing
//!                       n-th binary                 → the complete message (or illegal placeholder)
//!                     never more buffered than announced; every error resets the state;
//!                     every complete message re-encodes and reassembles to itself
//! roundtrip           packets built from the input, in canonical form:
//!                       engine v4  decode_text(encode_polling(p)) = p, WS frames, payloads
//!                       engine v3  string packets, WS frames, string and XHR2 payloads
//!                       socket.io  decode(encode(p)) = p, payload value preserved
//!                       messages   binary leaves → placeholders + attachments → reassemble = same view
//! ```

use crate::binary::Value;
use crate::engineio::{self, Data, Frame};
use crate::error::BinaryError;
use crate::limits::Limits;
use crate::socketio::Reassembler;
use crate::socketio::{self, Message, PacketType, RESERVED_EVENTS, RawJson};
use crate::view::js_eq;

use super::Codec;

#[cfg(test)]
mod tests;

#[cfg(feature = "arbitrary")]
use arbitrary::Arbitrary;

/// Nesting deeper than this is cut off (turned into `null`) when inputs are converted.
const MAX_DEPTH: usize = 12;

/// Input of the `binary_reassembly` target: frames for one Socket.IO decoder.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub struct ReassemblyInput {
    /// `Limits::max_attachments` (0 stands for Node's default, 10).
    pub max_attachments: u8,
    /// The WebSocket messages, in order.
    pub frames: Vec<FrameInput>,
}

/// One Engine.IO message handed to the Socket.IO decoder.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub enum FrameInput {
    /// Any text.
    Text(String),
    /// A binary message (an attachment, or a stray one).
    Binary(Vec<u8>),
    /// A BINARY_EVENT / BINARY_ACK header built from parts, so the fuzzer reaches reassembly.
    Header(HeaderInput),
}

/// A BINARY_EVENT / BINARY_ACK header: `5<count>-[<nsp>,][<id>][<name>,<args>…]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub struct HeaderInput {
    /// BINARY_ACK (`6`) rather than BINARY_EVENT (`5`).
    pub ack: bool,
    /// The attachment count.
    pub count: CountInput,
    /// The namespace after `/` (commas removed); `None` for the main namespace.
    pub nsp: Option<String>,
    /// The ack id.
    pub id: Option<u32>,
    /// The event name (BINARY_EVENT only).
    pub name: NameInput,
    /// The arguments.
    pub args: Vec<PlaceholderInput>,
}

/// An attachment count as written in a header.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub enum CountInput {
    /// A plain count.
    Count(u8),
    /// Verbatim text (`51000000`, `1.5`, ` 1`, `0x1`, `1e1`, ``).
    Raw(String),
}

/// An event name.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub enum NameInput {
    /// A string (reserved names get a `!` appended in canonical builds).
    Str(String),
    /// A number.
    Num(i32),
    /// Verbatim JSON text (`{}`, `null`, `"connect"`) in headers; a string elsewhere.
    Raw(String),
}

/// One argument of a built header.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub enum PlaceholderInput {
    /// `{"_placeholder":true,"num":N}`.
    Index(u8),
    /// `{"_placeholder":true,"num":N/4}` (fractional and negative numbers).
    Quarter(i16),
    /// `{"_placeholder":true,"num":<raw>}` (a string, `null`, an object…; may be invalid JSON).
    RawNum(String),
    /// `{"_placeholder":true}` (no `num`).
    Missing,
    /// `{"_placeholder":<raw>,"num":0}` (`1`, `"true"`: not a placeholder unless exactly `true`).
    NotTrue(String),
    /// `{"k":[…]}`: placeholders nested in an object and an array.
    Nested(Vec<PlaceholderInput>),
    /// Any JSON value.
    Json(JsonInput),
}

/// A JSON value (binary leaves become `Value::Binary` in messages, hex strings elsewhere).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub enum JsonInput {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (non-finite ones become `null`).
    Float(f64),
    /// A string.
    Str(String),
    /// Binary data.
    Binary(Vec<u8>),
    /// An array.
    Array(Vec<JsonInput>),
    /// An object (duplicate keys keep the first).
    Object(Vec<(String, JsonInput)>),
}

/// Input of the `roundtrip` target.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub struct RoundtripInput {
    /// Engine.IO packets (one payload, and each packet alone).
    pub engine: Vec<EnginePacketInput>,
    /// One Socket.IO packet.
    pub socket: SocketPacketInput,
    /// One Socket.IO message with binary leaves.
    pub message: MessageInput,
}

/// An Engine.IO packet.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub struct EnginePacketInput {
    /// The type, modulo 7.
    pub kind: u8,
    /// The data.
    pub data: EngineDataInput,
}

/// Engine.IO packet data.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub enum EngineDataInput {
    /// No data.
    None,
    /// Text (U+001E removed; empty text is no data).
    Text(String),
    /// Binary (v4: always a message).
    Binary(Vec<u8>),
}

/// A Socket.IO packet; the data is shaped to what the type allows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub struct SocketPacketInput {
    /// The type, modulo 7.
    pub kind: u8,
    /// The namespace after `/` (commas removed).
    pub nsp: Option<String>,
    /// The ack id (modulo 2^53).
    pub id: Option<u64>,
    /// The attachment count of binary types, modulo 10, plus 1.
    pub attachments: u8,
    /// The event name (EVENT / BINARY_EVENT).
    pub name: NameInput,
    /// The payload.
    pub data: Option<JsonInput>,
}

/// A Socket.IO EVENT or ACK message whose arguments may hold binary.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "arbitrary", derive(Arbitrary))]
pub struct MessageInput {
    /// An ACK rather than an EVENT.
    pub ack: bool,
    /// The namespace after `/` (commas removed).
    pub nsp: Option<String>,
    /// The ack id (modulo 2^53).
    pub id: Option<u64>,
    /// The event name (EVENT only).
    pub name: NameInput,
    /// The arguments.
    pub args: Vec<JsonInput>,
}

/// Builds a structured input from fuzzer bytes, as `libfuzzer-sys`'s typed `fuzz_target!` does
/// (`arbitrary_take_rest`); `None` when the bytes do not make one.
#[cfg(feature = "arbitrary")]
pub fn parse<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    T::arbitrary_take_rest(arbitrary::Unstructured::new(data)).ok()
}

/// Target `binary_reassembly`, from fuzzer bytes.
#[cfg(feature = "arbitrary")]
pub fn binary_reassembly_bytes(codec: &Codec, data: &[u8]) {
    if let Some(input) = parse::<ReassemblyInput>(data) {
        binary_reassembly(codec, &input);
    }
}

/// Target `roundtrip`, from fuzzer bytes.
#[cfg(feature = "arbitrary")]
pub fn roundtrip_bytes(codec: &Codec, data: &[u8]) {
    if let Some(input) = parse::<RoundtripInput>(data) {
        roundtrip(codec, &input);
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn namespace(nsp: &Option<String>) -> String {
    match nsp {
        Some(s) => format!("/{}", s.replace(',', "")),
        None => "/".into(),
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

impl HeaderInput {
    /// The header's wire text.
    pub fn render(&self) -> String {
        let mut s = String::from(if self.ack { "6" } else { "5" });
        match &self.count {
            CountInput::Count(n) => s.push_str(&n.to_string()),
            CountInput::Raw(r) => s.push_str(r),
        }
        s.push('-');
        let nsp = namespace(&self.nsp);
        if nsp != "/" {
            s.push_str(&nsp);
            s.push(',');
        }
        if let Some(id) = self.id {
            s.push_str(&id.to_string());
        }
        let mut items = Vec::new();
        if !self.ack {
            items.push(match &self.name {
                NameInput::Str(n) => json_string(n),
                NameInput::Num(n) => n.to_string(),
                NameInput::Raw(r) => r.clone(),
            });
        }
        items.extend(self.args.iter().map(|a| a.render(0)));
        s.push('[');
        s.push_str(&items.join(","));
        s.push(']');
        s
    }
}

impl PlaceholderInput {
    fn render(&self, depth: usize) -> String {
        let ph = |num: &str| format!(r#"{{"_placeholder":true,"num":{num}}}"#);
        match self {
            PlaceholderInput::Index(n) => ph(&n.to_string()),
            PlaceholderInput::Quarter(q) => ph(&crate::js::number_to_string(f64::from(*q) / 4.0)),
            PlaceholderInput::RawNum(r) => ph(r),
            PlaceholderInput::Missing => r#"{"_placeholder":true}"#.into(),
            PlaceholderInput::NotTrue(r) => format!(r#"{{"_placeholder":{r},"num":0}}"#),
            PlaceholderInput::Nested(items) if depth < MAX_DEPTH => {
                let inner: Vec<String> = items.iter().map(|i| i.render(depth + 1)).collect();
                format!(r#"{{"k":[{}]}}"#, inner.join(","))
            }
            PlaceholderInput::Nested(_) => "null".into(),
            PlaceholderInput::Json(j) => j.to_json(0).to_string(),
        }
    }
}

impl JsonInput {
    /// As a `serde_json::Value` (binary as a hex string).
    fn to_json(&self, depth: usize) -> serde_json::Value {
        use serde_json::Value as J;
        if depth > MAX_DEPTH {
            return J::Null;
        }
        match self {
            JsonInput::Null => J::Null,
            JsonInput::Bool(b) => J::Bool(*b),
            JsonInput::Int(i) => J::from(*i),
            JsonInput::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            JsonInput::Str(s) => J::String(s.clone()),
            JsonInput::Binary(b) => J::String(b.iter().map(|x| format!("{x:02x}")).collect()),
            JsonInput::Array(a) => J::Array(a.iter().map(|v| v.to_json(depth + 1)).collect()),
            JsonInput::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, v) in o {
                    if !m.contains_key(k) {
                        m.insert(k.clone(), v.to_json(depth + 1));
                    }
                }
                J::Object(m)
            }
        }
    }

    /// As a [`Value`] with binary leaves, in canonical form: non-finite numbers are `null`,
    /// objects have no duplicate keys and no `_placeholder` key (an object `{"_placeholder":
    /// true,"num":0}` written by an application is indistinguishable from a placeholder, in Node
    /// as here, so it cannot round-trip).
    fn to_value(&self, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        match self {
            JsonInput::Null => Value::Null,
            JsonInput::Bool(b) => Value::Bool(*b),
            JsonInput::Int(i) => Value::Number(*i as f64),
            JsonInput::Float(f) if f.is_finite() => Value::Number(*f),
            JsonInput::Float(_) => Value::Null,
            JsonInput::Str(s) => Value::String(s.clone()),
            JsonInput::Binary(b) => Value::Binary(b.clone()),
            JsonInput::Array(a) => Value::Array(a.iter().map(|v| v.to_value(depth + 1)).collect()),
            JsonInput::Object(o) => {
                let mut out: Vec<(String, Value)> = Vec::new();
                for (k, v) in o {
                    let k = if k == "_placeholder" {
                        format!("{k}_")
                    } else {
                        k.clone()
                    };
                    if !out.iter().any(|(seen, _)| *seen == k) {
                        out.push((k, v.to_value(depth + 1)));
                    }
                }
                Value::Object(out)
            }
        }
    }
}

impl NameInput {
    /// A valid event name: a non-reserved string or a number.
    fn canonical(&self) -> serde_json::Value {
        match self {
            NameInput::Str(s) | NameInput::Raw(s) if RESERVED_EVENTS.contains(&s.as_str()) => {
                format!("{s}!").into()
            }
            NameInput::Str(s) | NameInput::Raw(s) => s.clone().into(),
            NameInput::Num(n) => (*n).into(),
        }
    }
}

impl EnginePacketInput {
    /// The canonical packet (`v4`: binary data is always a message).
    pub fn packet(&self, v4: bool) -> engineio::Packet {
        let kind =
            engineio::PacketType::from_code(self.kind % 7).unwrap_or(engineio::PacketType::Message);
        match &self.data {
            EngineDataInput::None => engineio::Packet::new(kind),
            EngineDataInput::Text(t) => {
                let t = t.replace('\u{1e}', "");
                if t.is_empty() {
                    engineio::Packet::new(kind)
                } else {
                    engineio::Packet::text(kind, t)
                }
            }
            EngineDataInput::Binary(b) if v4 => engineio::Packet::binary(b.clone()),
            EngineDataInput::Binary(b) => engineio::Packet {
                kind,
                data: Some(Data::Binary(b.clone())),
            },
        }
    }
}

impl SocketPacketInput {
    /// The canonical packet: data shaped as the type requires.
    pub fn packet(&self) -> socketio::Packet {
        use serde_json::Value as J;
        let kind = PacketType::from_code(self.kind % 7).unwrap_or(PacketType::Event);
        let value = self.data.as_ref().map(|d| d.to_json(0));
        let data = match kind {
            PacketType::Connect => value.map(|v| match v {
                J::Object(_) => v,
                other => serde_json::json!({ "v": other }),
            }),
            PacketType::Disconnect | PacketType::Unknown(_) => None,
            PacketType::Event | PacketType::BinaryEvent => value.map(|v| {
                let mut items = vec![self.name.canonical()];
                match v {
                    J::Array(a) => items.extend(a),
                    other => items.push(other),
                }
                J::Array(items)
            }),
            PacketType::Ack | PacketType::BinaryAck => value.map(|v| match v {
                J::Array(_) => v,
                other => J::Array(vec![other]),
            }),
            PacketType::ConnectError => value.map(|v| match v {
                J::String(_) | J::Object(_) => v,
                other => serde_json::json!({ "message": other }),
            }),
        };
        socketio::Packet {
            kind,
            nsp: namespace(&self.nsp),
            id: self.id.map(|i| i % (socketio::MAX_ACK_ID + 1)),
            attachments: kind
                .is_binary()
                .then_some(usize::from(self.attachments % 10) + 1),
            data: data.as_ref().map(RawJson::from_value),
        }
    }
}

impl MessageInput {
    /// The message: EVENT `[name, …args]` or ACK `[…args]`.
    pub fn message(&self) -> Message {
        let mut items = Vec::new();
        if !self.ack {
            items.push(Value::from(&self.name.canonical()));
        }
        items.extend(self.args.iter().map(|a| a.to_value(1)));
        Message {
            kind: if self.ack {
                PacketType::Ack
            } else {
                PacketType::Event
            },
            nsp: namespace(&self.nsp),
            id: self.id.map(|i| i % (socketio::MAX_ACK_ID + 1)),
            data: Some(Value::Array(items)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bodies

/// The model of socket.io-parser's Decoder state.
enum State {
    Idle,
    Pending {
        header: socketio::Packet,
        announced: usize,
        buffers: Vec<Vec<u8>>,
    },
}

/// Structured reassembly, checked against the model at every step.
pub fn binary_reassembly(codec: &Codec, input: &ReassemblyInput) {
    let limits = Limits {
        max_attachments: match input.max_attachments {
            0 => Limits::NODE.max_attachments,
            n => usize::from(n),
        },
        ..Limits::NODE
    };
    let mut r = Reassembler::new(limits);
    let mut state = State::Idle;
    for frame in &input.frames {
        let text = match frame {
            FrameInput::Text(t) => Some(t.clone()),
            FrameInput::Header(h) => Some(h.render()),
            FrameInput::Binary(_) => None,
        };
        let result = match (&frame, text) {
            (_, Some(text)) => {
                let result = r.push_text(&text);
                match std::mem::replace(&mut state, State::Idle) {
                    State::Pending { .. } => {
                        assert_eq!(result, Err(BinaryError::TextWhileReconstructing));
                    }
                    State::Idle => match (codec.sio_decode)(&text, &limits) {
                        Err(e) => assert_eq!(result, Err(BinaryError::Packet(e))),
                        Ok(p) if p.kind.is_binary() => {
                            assert_eq!(result, Ok(None), "a binary header waits for attachments");
                            let announced = p.attachments.unwrap_or(0);
                            assert!(
                                (1..=limits.max_attachments).contains(&announced),
                                "announced attachments within limits"
                            );
                            state = State::Pending {
                                header: p,
                                announced,
                                buffers: Vec::new(),
                            };
                        }
                        Ok(p) => {
                            let m = result.as_ref().ok().and_then(Option::as_ref);
                            let m = m.expect("a non-binary packet is a complete message");
                            assert!(js_eq(&p.node_view(), &m.node_view()));
                        }
                    },
                }
                result
            }
            (FrameInput::Binary(b), None) => {
                let result = r.push_binary(b);
                match std::mem::replace(&mut state, State::Idle) {
                    State::Idle => {
                        assert_eq!(result, Err(BinaryError::BinaryWhenNotReconstructing));
                    }
                    State::Pending {
                        header,
                        announced,
                        mut buffers,
                    } => {
                        buffers.push(b.clone());
                        assert!(
                            buffers.len() <= announced,
                            "never more buffered than announced"
                        );
                        if buffers.len() < announced {
                            assert_eq!(result, Ok(None));
                            state = State::Pending {
                                header,
                                announced,
                                buffers,
                            };
                        } else {
                            assert_eq!(result, (codec.complete)(header, &buffers).map(Some));
                        }
                    }
                }
                result
            }
            (_, None) => unreachable!("text frames always render"),
        };
        match &state {
            State::Idle => {
                assert!(!r.is_reconstructing(), "idle after a message or an error");
                assert_eq!(r.missing(), 0);
            }
            State::Pending {
                announced, buffers, ..
            } => {
                assert!(r.is_reconstructing());
                assert_eq!(r.missing(), announced - buffers.len());
            }
        }
        match result {
            Ok(Some(m)) => assert_message_round_trips(codec, &m),
            Ok(None) => {}
            Err(e) => {
                assert!(!e.node_message().is_empty());
                assert!(!r.is_reconstructing(), "errors reset the state");
            }
        }
    }
}

/// A complete message re-encodes (attachments included) to frames that reassemble to itself.
pub(crate) fn assert_message_round_trips(codec: &Codec, message: &Message) {
    assert!(
        !message.kind.is_binary(),
        "a complete message is never BINARY_*"
    );
    let encoded = (codec.encode_message)(message);
    let mut again = Reassembler::new(Limits::UNLIMITED);
    let mut out = again.push_text(&(codec.sio_encode)(&encoded.packet));
    for a in &encoded.attachments {
        assert!(matches!(out, Ok(None)), "attachments still expected");
        out = again.push_binary(a);
    }
    assert_eq!(
        out.as_ref(),
        Ok(&Some(message.clone())),
        "reassemble(encode(m)) == m"
    );
}

/// Structured round trips of everything the crate encodes.
pub fn roundtrip(codec: &Codec, input: &RoundtripInput) {
    roundtrip_engine_v4(codec, input);
    roundtrip_engine_v3(codec, input);
    roundtrip_socket(codec, &input.socket);
    roundtrip_message(codec, &input.message);
}

fn roundtrip_engine_v4(codec: &Codec, input: &RoundtripInput) {
    let packets: Vec<_> = input.engine.iter().map(|p| p.packet(true)).collect();
    for p in &packets {
        let text = (codec.encode_polling)(p);
        assert_eq!(
            (codec.decode_text)(&text, &Limits::UNLIMITED).as_ref(),
            Ok(p),
            "{text:?}"
        );
        let again = match (codec.encode_ws)(p) {
            Frame::Text(t) => (codec.decode_text)(&t, &Limits::UNLIMITED),
            Frame::Binary(b) => (codec.decode_binary)(&b, &Limits::UNLIMITED),
        };
        assert_eq!(again.as_ref(), Ok(p), "WebSocket frame of {p:?}");
    }
    if !packets.is_empty() {
        let body = (codec.encode_payload)(&packets);
        let decoded = (codec.decode_payload)(body.as_bytes(), &Limits::UNLIMITED);
        assert_eq!(decoded.error, None, "{body:?}");
        assert_eq!(decoded.packets, packets);
    }
}

fn roundtrip_engine_v3(codec: &Codec, input: &RoundtripInput) {
    let packets: Vec<_> = input.engine.iter().map(|p| p.packet(false)).collect();
    for p in &packets {
        let text = (codec.v3_encode_packet)(p);
        assert_eq!((codec.v3_decode_packet)(&text).as_ref(), Ok(p), "{text:?}");
        let again = match (codec.v3_encode_ws)(p) {
            Frame::Text(t) => (codec.v3_decode_packet)(&t),
            Frame::Binary(b) => (codec.v3_decode_binary_frame)(&b, &Limits::UNLIMITED),
        };
        assert_eq!(again.as_ref(), Ok(p), "v3 WebSocket frame of {p:?}");
    }
    let body = (codec.v3_encode_payload)(&packets);
    let decoded = (codec.v3_decode_payload)(&body, &Limits::UNLIMITED);
    assert_eq!(decoded.error, None, "{body:?}");
    assert_eq!(decoded.packets, packets);
    let body = (codec.v3_encode_binary_payload)(&packets);
    let decoded = (codec.v3_decode_binary_payload)(&body, &Limits::UNLIMITED);
    assert_eq!(decoded.error, None, "{body:?}");
    assert_eq!(decoded.packets, packets);
}

fn roundtrip_socket(codec: &Codec, input: &SocketPacketInput) {
    let p = input.packet();
    let text = (codec.sio_encode)(&p);
    let decoded = (codec.sio_decode)(&text, &Limits::UNLIMITED);
    assert_eq!(
        decoded.as_ref(),
        Ok(&p),
        "decode(encode(p)) == p for {text:?}"
    );
    if let (Some(ours), Some(data)) = (decoded.ok().and_then(|d| d.data_value()), &p.data) {
        let built = serde_json::from_str::<serde_json::Value>(data.as_str()).ok();
        assert!(
            built.is_some_and(|b| js_eq(&b, &ours)),
            "payload value preserved"
        );
    }
}

fn roundtrip_message(codec: &Codec, input: &MessageInput) {
    let message = input.message();
    let encoded = (codec.encode_message)(&message);
    let binaries = count_binaries(message.data.as_ref());
    assert_eq!(
        encoded.attachments.len(),
        binaries,
        "one attachment per binary leaf"
    );
    assert_eq!(encoded.packet.kind.is_binary(), binaries > 0);
    assert_eq!(
        encoded.packet.attachments,
        (binaries > 0).then_some(binaries)
    );
    let header = (codec.sio_encode)(&encoded.packet);
    let packet = (codec.sio_decode)(&header, &Limits::UNLIMITED);
    assert_eq!(
        packet.as_ref(),
        Ok(&encoded.packet),
        "the header decodes: {header:?}"
    );
    let mut r = Reassembler::new(Limits::UNLIMITED);
    let mut out = r.push_text(&header);
    for a in &encoded.attachments {
        assert_eq!(out, Ok(None), "attachments still expected");
        out = r.push_binary(a);
    }
    let back = match out {
        Ok(Some(m)) => m,
        other => panic!("{header:?} + {binaries} attachment(s) gave {other:?}"),
    };
    let (want, got) = (message.node_view(), back.node_view());
    assert!(
        js_eq(&want, &got),
        "message view preserved\n  sent: {want}\n  got:  {got}"
    );
    assert_message_round_trips(codec, &back);
}

fn count_binaries(v: Option<&Value>) -> usize {
    match v {
        Some(Value::Binary(_)) => 1,
        Some(Value::Array(a)) => a.iter().map(|v| count_binaries(Some(v))).sum(),
        Some(Value::Object(o)) => o.iter().map(|(_, v)| count_binaries(Some(v))).sum(),
        _ => 0,
    }
}
