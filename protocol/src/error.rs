//! Typed decoding errors, one enum per layer (engine packets and payloads, Socket.IO packets,
//! binary reassembly). Every variant can name the Node error it corresponds to
//! ([`EngineError::node_message`], …), so tests can compare with Node's transcripts, and says
//! whether Node rejects the same input at all (`node_rejects`): a few variants are deliberate,
//! documented divergences where this crate is stricter than Node.

use std::borrow::Cow;

use crate::js;

/// An Engine.IO decoding error (v4 packets and payloads, v3 framing).
///
/// Node's engine.io-parser reports every parse failure as the packet
/// `{type:"error", data:"parser error"}`; the variants here say which rule failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// An empty text packet (`""`): there is no type character.
    #[error("empty packet")]
    Empty,
    /// The first character is not a packet type `0`–`6` (nor `b` for base64 binary).
    #[error("unknown packet type {0:?}")]
    UnknownType(char),
    /// The frame or body is longer than `Limits::max_payload` bytes.
    #[error("payload of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// v3 string payload: the body is empty (Node: "parser error - ignoring payload").
    #[error("v3: empty payload")]
    V3EmptyPayload,
    /// v3 string payload: a record's length prefix is empty or not a number (`Number(len)` is NaN).
    #[error("v3: invalid length prefix {0:?}")]
    V3InvalidLength(String),
    /// v3 string payload: fewer UTF-16 units follow the `:` than the length announces, or the
    /// length is not a non-negative integer.
    #[error("v3: length {announced:?} does not match the {available} UTF-16 units available")]
    V3LengthMismatch {
        /// The length prefix as written.
        announced: String,
        /// UTF-16 units actually taken.
        available: usize,
    },
    /// v3 string payload: characters after the last record that never reach a `:`.
    #[error("v3: trailing data {0:?} after the last record")]
    V3TrailingData(String),
    /// v3 string payload: a record boundary falls inside a surrogate pair. Node would deliver
    /// the packet with a lone surrogate and fail on the next record; a Rust `String` cannot hold
    /// a lone surrogate, so we fail one record earlier. **Divergence.**
    #[error("v3: record boundary splits a surrogate pair")]
    V3SplitSurrogate,
    /// v3 `b<type><base64>` packet, or v3 binary frame, whose type is not `0`–`6` (or is
    /// missing). Node yields a packet with an `undefined` type that the socket then ignores;
    /// we reject it. **Divergence.**
    #[error("v3: invalid binary packet type")]
    V3InvalidBinaryType,
    /// v3 XHR2 binary payload: a text record that is not UTF-8 (Node's utf8.decode throws).
    #[error("v3: text record is not UTF-8")]
    V3InvalidUtf8,
    /// v3 XHR2 binary payload: a record's length has no 0xFF terminator, or its digits before
    /// the last spell more than 310 characters (Node: "310 = char length of Number.MAX_VALUE" →
    /// parser error).
    #[error("v3: invalid binary payload length")]
    V3BinaryLength,
    /// v3 XHR2 binary payload: a record's length is empty, has a byte that is not a digit 0–9,
    /// overflows, or announces more bytes than remain. Node accepts these loosely (it spells each
    /// length byte in decimal, `parseInt`s the result and slices what is there, misaligning the
    /// following records); we reject them. **Divergence.**
    #[error("v3: binary payload length {0:?} is not a digit run that fits the body")]
    V3BinaryLengthLoose(Vec<u8>),
}

impl EngineError {
    /// The message Node produces for the same input. Parser failures are all `"parser error"`
    /// (engine.io-parser `ERROR_PACKET`); `TooLarge` is `ws`'s close reason (polling answers
    /// HTTP 413 with no body).
    pub fn node_message(&self) -> Cow<'static, str> {
        match self {
            EngineError::TooLarge { .. } => "Max payload size exceeded".into(),
            _ => "parser error".into(),
        }
    }

    /// Whether Node rejects the same input (false for our documented divergences).
    pub fn node_rejects(&self) -> bool {
        !matches!(
            self,
            EngineError::V3SplitSurrogate
                | EngineError::V3InvalidBinaryType
                | EngineError::V3BinaryLengthLoose(_)
        )
    }
}

/// An error in one decoded polling payload: which record failed, and why.
/// The records before `index` decoded fine (Node processes them, then closes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("packet {index} of the payload: {error}")]
pub struct PayloadError {
    /// Zero-based index of the failing record (0 for whole-body errors such as `TooLarge`).
    pub index: usize,
    /// The failure.
    pub error: EngineError,
}

/// A Socket.IO (v5) packet decoding error, following socket.io-parser 4.2.7 `decodeString`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SocketError {
    /// The first character is not a type `0`–`6` after `Number()` (a digit `7`–`9`, or any
    /// non-digit, non-whitespace character: whitespace and the empty string count as `0`).
    #[error("unknown packet type {}", type_number(*.0))]
    UnknownType(char),
    /// BINARY_EVENT/BINARY_ACK header with no `-` after the attachment count.
    #[error("attachment count not terminated by '-'")]
    AttachmentsUnterminated,
    /// The attachment count is not a number (`Number(count)` is NaN).
    #[error("attachment count {0:?} is not a number")]
    AttachmentsNotANumber(String),
    /// The attachment count is not an integer ≥ 1 (4.2.7 rejects 0).
    #[error("attachment count {0:?} is not an integer >= 1")]
    AttachmentsNotPositiveInteger(String),
    /// The attachment count exceeds `Limits::max_attachments`.
    #[error("attachment count {count:?} exceeds the limit of {max}")]
    TooManyAttachments {
        /// The count as written.
        count: String,
        /// The limit.
        max: usize,
    },
    /// The payload is not JSON that `JSON.parse` accepts.
    #[error("payload is not valid JSON")]
    InvalidJson,
    /// The payload is JSON that `JSON.parse` accepts but serde_json cannot represent: a number
    /// beyond f64 (Node: `Infinity`), nesting deeper than 128, or a lone surrogate escape.
    /// **Divergence.**
    #[error("payload JSON is not representable: {0}")]
    UnsupportedJson(String),
    /// CONNECT payload present but not a plain object.
    #[error("CONNECT payload must be an object")]
    ConnectPayloadNotObject,
    /// DISCONNECT with a payload.
    #[error("DISCONNECT must have no payload")]
    DisconnectWithPayload,
    /// EVENT/BINARY_EVENT/ACK/BINARY_ACK payload is not an array.
    #[error("payload must be an array")]
    PayloadNotArray,
    /// EVENT/BINARY_EVENT with an empty array or a first element that is neither a number nor
    /// a string (`[]`, `[{}]`, `[null]`, `[[1]]`, `[true]`).
    #[error("event name must be a string or a number")]
    InvalidEventName,
    /// EVENT/BINARY_EVENT named with a reserved event (`connect`, `disconnect`, …).
    #[error("event name {0:?} is reserved")]
    ReservedEventName(String),
    /// CONNECT_ERROR payload neither a string nor an object.
    #[error("CONNECT_ERROR payload must be a string or an object")]
    ConnectErrorPayloadInvalid,
    /// The ack id run is not a safe integer: digits split by whitespace (Node: `NaN`) or a
    /// value above 2^53 − 1 (Node: a rounded number). Node accepts these. **Divergence.**
    #[error("ack id {0:?} is not a safe integer")]
    AckIdNotSafeInteger(String),
}

/// `Number(c)` as Node prints it in "unknown packet type N".
fn type_number(c: char) -> String {
    match js::char_to_number(c) {
        Some(n) => n.to_string(),
        None => "NaN".into(),
    }
}

impl SocketError {
    /// The exact `Error.message` socket.io-parser 4.2.7 throws for the same input
    /// (e.g. `"unknown packet type 7"`, `"Illegal attachments"`, `"invalid payload"`).
    /// For divergences it describes what Node does instead.
    pub fn node_message(&self) -> Cow<'static, str> {
        use SocketError::*;
        match self {
            UnknownType(c) => format!("unknown packet type {}", type_number(*c)).into(),
            AttachmentsUnterminated
            | AttachmentsNotANumber(_)
            | AttachmentsNotPositiveInteger(_) => "Illegal attachments".into(),
            TooManyAttachments { .. } => "too many attachments".into(),
            InvalidJson
            | ConnectPayloadNotObject
            | DisconnectWithPayload
            | PayloadNotArray
            | InvalidEventName
            | ReservedEventName(_)
            | ConnectErrorPayloadInvalid => "invalid payload".into(),
            UnsupportedJson(_) => "(accepted by node) JSON not representable in serde_json".into(),
            AckIdNotSafeInteger(_) => "(accepted by node) ack id is NaN or imprecise".into(),
        }
    }

    /// Whether Node rejects the same input (false for our documented divergences).
    pub fn node_rejects(&self) -> bool {
        !matches!(
            self,
            SocketError::UnsupportedJson(_) | SocketError::AckIdNotSafeInteger(_)
        )
    }
}

/// A binary-attachment error: reassembly order, placeholder validation, or the text packet that
/// started it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinaryError {
    /// The text packet was rejected.
    #[error(transparent)]
    Packet(#[from] SocketError),
    /// A binary frame arrived while no BINARY_EVENT/BINARY_ACK header was pending.
    #[error("got binary data when not reconstructing a packet")]
    BinaryWhenNotReconstructing,
    /// A text packet arrived while attachments were still expected.
    #[error("got plaintext data when reconstructing a packet")]
    TextWhileReconstructing,
    /// A placeholder's `num` is missing, not a number, negative, or ≥ the number of buffers.
    #[error("illegal placeholder index {0}")]
    IllegalPlaceholder(String),
}

impl BinaryError {
    /// The exact message socket.io-parser 4.2.7 throws for the same input.
    pub fn node_message(&self) -> Cow<'static, str> {
        match self {
            BinaryError::Packet(e) => e.node_message(),
            BinaryError::BinaryWhenNotReconstructing => {
                "got binary data when not reconstructing a packet".into()
            }
            BinaryError::TextWhileReconstructing => {
                "got plaintext data when reconstructing a packet".into()
            }
            BinaryError::IllegalPlaceholder(_) => "illegal attachments".into(),
        }
    }

    /// Whether Node rejects the same input (false for our documented divergences).
    pub fn node_rejects(&self) -> bool {
        match self {
            BinaryError::Packet(e) => e.node_rejects(),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every arm of `node_message` and `node_rejects`, each tied to an input that produces the
    //! variant in our decoder and to what Node does with the same input.

    use super::*;
    use crate::limits::Limits;
    use crate::socketio::{self, Reassembler};

    fn socket_error(input: &str) -> SocketError {
        match socketio::decode(input, &Limits::NODE) {
            Ok(p) => panic!("{input:?} accepted: {p:?}"),
            Err(e) => e,
        }
    }

    /// Node 20 + socket.io-parser 4.2.7: `new Decoder().add(input)` throws these messages.
    #[test]
    fn socket_errors_carry_nodes_message() {
        let cases: &[(&str, &str)] = &[
            ("7", "unknown packet type 7"),
            ("x", "unknown packet type NaN"),
            ("51", "Illegal attachments"),
            ("5a-[\"a\"]", "Illegal attachments"),
            ("50-[\"a\"]", "Illegal attachments"),
            ("51.5-[\"a\"]", "Illegal attachments"),
            ("511-[\"a\"]", "too many attachments"),
            ("2nope", "invalid payload"),
            ("0[1]", "invalid payload"),
            ("1{}", "invalid payload"),
            ("2{}", "invalid payload"),
            ("2[]", "invalid payload"),
            ("2[\"connect\"]", "invalid payload"),
            ("4true", "invalid payload"),
        ];
        let mut variants = Vec::new();
        for (input, node) in cases {
            let e = socket_error(input);
            assert_eq!(e.node_message(), *node, "{input:?} gave {e:?}");
            assert!(e.node_rejects(), "Node throws on {input:?}");
            variants.push(std::mem::discriminant(&e));
            let wrapped = BinaryError::Packet(e);
            assert_eq!(wrapped.node_message(), *node);
            assert!(wrapped.node_rejects());
        }
        // The table reaches all 12 variants Node rejects (a few twice, e.g. the unknown type as
        // a digit and as a non-digit).
        variants.sort_by_key(|d| format!("{d:?}"));
        variants.dedup();
        assert_eq!(variants.len(), 12);
    }

    /// Node 20 + socket.io-parser 4.2.7 accepts both: `"2[1e400]"` decodes to `data: [null]`
    /// (JSON.parse gives Infinity), `"21 2[\"a\"]"` to `id: null` (`Number("1 2")` is NaN).
    #[test]
    fn socket_divergences_are_not_node_rejections() {
        for input in ["2[1e400]", "21 2[\"a\"]"] {
            let e = socket_error(input);
            assert!(!e.node_rejects(), "Node accepts {input:?}; we gave {e:?}");
            assert!(e.node_message().starts_with("(accepted by node)"));
            assert!(!BinaryError::Packet(e).node_rejects());
        }
    }

    /// Node 20 + socket.io-parser 4.2.7, one `Decoder` per case: a Buffer first; a header
    /// `51-["a",{"_placeholder":true,"num":0}]` then a text packet; a header whose placeholder
    /// says `num: 1` then one buffer. Each throws, with these messages.
    #[test]
    fn binary_errors_carry_nodes_message() {
        let mut r = Reassembler::new(Limits::NODE);
        let e = r.push_binary(&[1]).unwrap_err();
        assert_eq!(e, BinaryError::BinaryWhenNotReconstructing);
        assert_eq!(
            e.node_message(),
            "got binary data when not reconstructing a packet"
        );
        assert!(e.node_rejects());

        let mut r = Reassembler::new(Limits::NODE);
        r.push_text(r#"51-["a",{"_placeholder":true,"num":0}]"#)
            .unwrap();
        let e = r.push_text(r#"2["a"]"#).unwrap_err();
        assert_eq!(e, BinaryError::TextWhileReconstructing);
        assert_eq!(
            e.node_message(),
            "got plaintext data when reconstructing a packet"
        );
        assert!(e.node_rejects());

        let mut r = Reassembler::new(Limits::NODE);
        r.push_text(r#"51-["a",{"_placeholder":true,"num":1}]"#)
            .unwrap();
        let e = r.push_binary(&[1]).unwrap_err();
        assert!(matches!(e, BinaryError::IllegalPlaceholder(_)), "{e:?}");
        assert_eq!(e.node_message(), "illegal attachments");
        assert!(e.node_rejects());
    }

    /// engine.io-parser 5.2.3 `decodePacket("9")` and `decodePacket("")` give
    /// `{type:"error",data:"parser error"}`; a frame over `maxPayload` is closed by `ws` with the
    /// reason "Max payload size exceeded" (ws/lib/receiver.js). The three divergences are inputs
    /// Node accepts (see each variant's documentation).
    #[test]
    fn engine_errors_carry_nodes_message() {
        let too_large = EngineError::TooLarge { len: 2, max: 1 };
        assert_eq!(too_large.node_message(), "Max payload size exceeded");
        assert!(too_large.node_rejects());
        for e in [
            EngineError::Empty,
            EngineError::UnknownType('9'),
            EngineError::V3EmptyPayload,
            EngineError::V3InvalidLength("x".into()),
            EngineError::V3TrailingData("1".into()),
            EngineError::V3InvalidUtf8,
            EngineError::V3BinaryLength,
        ] {
            assert_eq!(e.node_message(), "parser error", "{e:?}");
            assert!(e.node_rejects(), "{e:?}");
        }
        for e in [
            EngineError::V3SplitSurrogate,
            EngineError::V3InvalidBinaryType,
            EngineError::V3BinaryLengthLoose(vec![9]),
        ] {
            assert_eq!(e.node_message(), "parser error", "{e:?}");
            assert!(!e.node_rejects(), "{e:?} is a divergence: Node accepts");
        }
    }
}
