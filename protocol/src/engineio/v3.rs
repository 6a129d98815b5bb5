//! Engine.IO protocol v3 (`EIO=3`) framing, as engine.io 6.6.12's `build/parser-v3` decodes and
//! encodes it. Packets are the same as v4 ([`Packet`]); the framing differs.
//!
//! ```text
//! string packet    = type-char [ data ] | "b" type-char base64
//! string payload   = 1*( length ":" string-packet )      length = decimal count of UTF-16 units
//!                  | "0:"                                 (the empty payload, as encoded)
//! WS binary frame  = type-byte (0x00–0x06) bytes          (v4 frames carry no type byte)
//! XHR2 payload     = 1*( (%x00 | %x01) 1*digit-byte %xFF record )
//!                    digit-byte = %x00–%x09 (one byte per decimal digit of the record length)
//!                    %x00 → record is a UTF-8 string packet; %x01 → type-byte + bytes
//! ```
//!
//! Example: `6:4hello2:4€` (`€` is one UTF-16 unit, three UTF-8 bytes), `3:4😀` (an astral
//! character is two units).

use super::{Data, Packet, PacketType, base64};
use crate::error::{EngineError, PayloadError};
use crate::js;
use crate::limits::Limits;

pub use super::DecodedPayload;

/// Decodes one v3 string packet (a WebSocket text frame or a payload record).
pub fn decode_packet(s: &str) -> Result<Packet, EngineError> {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return Err(EngineError::Empty);
    };
    let rest = chars.as_str();
    if first == 'b' {
        // "b<type><base64>": the type is packetslist[charAt(0)]; an unknown type gives Node a
        // packet of type undefined, which we reject (documented divergence).
        let mut rc = rest.chars();
        let kind = rc
            .next()
            .and_then(PacketType::from_char)
            .ok_or(EngineError::V3InvalidBinaryType)?;
        let data = base64::decode_lenient(rc.as_str());
        return Ok(Packet {
            kind,
            data: Some(Data::Binary(data)),
        });
    }
    // "Number(type) != type || !packetslist[type]" → error: only "0"–"6" pass.
    let kind = PacketType::from_char(first).ok_or(EngineError::UnknownType(first))?;
    let data = if rest.is_empty() {
        None
    } else {
        Some(Data::Text(rest.to_owned()))
    };
    Ok(Packet { kind, data })
}

/// Encodes one v3 string packet: binary data as `b<type><base64>`.
pub fn encode_packet(p: &Packet) -> String {
    match &p.data {
        Some(Data::Binary(b)) => format!("b{}{}", p.kind.as_char(), base64::encode(b)),
        Some(Data::Text(t)) => format!("{}{t}", p.kind.as_char()),
        None => p.kind.as_char().to_string(),
    }
}

/// Decodes a v3 WebSocket binary frame: a type byte 0–6, then the data.
pub fn decode_binary_frame(frame: &[u8], limits: &Limits) -> Result<Packet, EngineError> {
    if frame.len() > limits.max_payload {
        return Err(EngineError::TooLarge {
            len: frame.len(),
            max: limits.max_payload,
        });
    }
    let (&code, data) = frame
        .split_first()
        .ok_or(EngineError::V3InvalidBinaryType)?;
    let kind = PacketType::from_code(code).ok_or(EngineError::V3InvalidBinaryType)?;
    Ok(Packet {
        kind,
        data: Some(Data::Binary(data.to_vec())),
    })
}

/// Encodes for a v3 WebSocket: binary data as a binary frame with a leading type byte, text as a
/// text frame. (An `Unknown` type is written as its character's low byte.)
pub fn encode_ws(p: &Packet) -> super::Frame {
    match &p.data {
        Some(Data::Binary(b)) => {
            let mut out = Vec::with_capacity(b.len() + 1);
            out.push(type_code(p.kind));
            out.extend_from_slice(b);
            super::Frame::Binary(out)
        }
        _ => super::Frame::Text(encode_packet(p)),
    }
}

fn type_code(kind: PacketType) -> u8 {
    match kind {
        PacketType::Unknown(c) => (u32::from(c) & 0xFF) as u8,
        k => k.as_char() as u8 - b'0',
    }
}

/// Decodes a v3 string payload (`<len>:<packet>…`). Lengths count UTF-16 units. As in Node,
/// decoding stops at the first failure, and the packets before it are returned.
pub fn decode_payload(payload: &str, limits: &Limits) -> DecodedPayload {
    let fail = |packets, index, error| DecodedPayload {
        packets,
        error: Some(PayloadError { index, error }),
    };
    if payload.len() > limits.max_payload {
        let error = EngineError::TooLarge {
            len: payload.len(),
            max: limits.max_payload,
        };
        return fail(Vec::new(), 0, error);
    }
    // "data === '' → parser error".
    if payload.is_empty() {
        return fail(Vec::new(), 0, EngineError::V3EmptyPayload);
    }
    let units: Vec<u16> = payload.encode_utf16().collect();
    let mut packets = Vec::new();
    let mut record = 0usize;
    let mut length_start = 0usize;
    let mut i = 0usize;
    while i < units.len() {
        if units[i] != u16::from(b':') {
            i += 1;
            continue;
        }
        let length = String::from_utf16_lossy(&units[length_start..i]);
        let n = js::string_to_number(&length);
        // "length === '' || length != Number(length)" → parser error.
        if length.is_empty() || n.is_nan() {
            return fail(packets, record, EngineError::V3InvalidLength(length));
        }
        let available = units.len() - (i + 1);
        // "msg = slice(i+1, i+1+n); length != msg.length" → parser error: n must be a
        // non-negative integer and that many units must follow.
        let take = if n >= 0.0 && n.fract() == 0.0 && n <= available as f64 {
            Some(n as usize)
        } else {
            None
        };
        let Some(take) = take else {
            let error = EngineError::V3LengthMismatch {
                announced: length,
                available,
            };
            return fail(packets, record, error);
        };
        let msg = &units[i + 1..i + 1 + take];
        if !msg.is_empty() {
            let Ok(text) = String::from_utf16(msg) else {
                return fail(packets, record, EngineError::V3SplitSurrogate);
            };
            match decode_packet(&text) {
                Ok(p) => packets.push(p),
                Err(e) => return fail(packets, record, e),
            }
        }
        record += 1;
        i += 1 + take;
        length_start = i;
    }
    // "length !== '' after the loop" → parser error.
    if length_start < units.len() {
        let rest = String::from_utf16_lossy(&units[length_start..]);
        return fail(packets, record, EngineError::V3TrailingData(rest));
    }
    DecodedPayload {
        packets,
        error: None,
    }
}

/// Encodes a v3 string payload; binary packets as `b<type><base64>`. No packets → `0:`.
pub fn encode_payload(packets: &[Packet]) -> String {
    if packets.is_empty() {
        return "0:".into();
    }
    let mut out = String::new();
    for p in packets {
        let s = encode_packet(p);
        out.push_str(&s.encode_utf16().count().to_string());
        out.push(':');
        out.push_str(&s);
    }
    out
}

/// Encodes a v3 XHR2 binary payload (`Content-Type: application/octet-stream`): each record is
/// `0x00|0x01`, the decimal digits of its length as bytes 0–9, `0xFF`, then the record.
/// Text records are UTF-8; binary records are the type byte then the data.
pub fn encode_binary_payload(packets: &[Packet]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        let (flag, body) = match &p.data {
            Some(Data::Binary(b)) => {
                let mut body = vec![type_code(p.kind)];
                body.extend_from_slice(b);
                (1u8, body)
            }
            _ => (0u8, encode_packet(p).into_bytes()),
        };
        out.push(flag);
        out.extend(body.len().to_string().bytes().map(|d| d - b'0'));
        out.push(0xFF);
        out.extend_from_slice(&body);
    }
    out
}

/// Whether Node's first pass over a v3 XHR2 payload fails (engine.io 6.6.12
/// `decodePayloadAsBinary`): Node splits the WHOLE body into records before decoding any, and
/// answers one `parser error` for the whole payload, with no packet handed on, when a record's
/// length header has no `0xFF` or spells more than 310 characters. It walks Node's way: each
/// length byte is spelled in decimal and the spelling `parseInt`ed, and the walk advances by the
/// spelling's length, so it follows Node's misalignment on length bytes ≥ 10.
fn node_binary_split_fails(body: &[u8]) -> bool {
    let mut tail = body;
    while !tail.is_empty() {
        let mut spelled = String::new();
        let mut i = 1;
        loop {
            match tail.get(i) {
                Some(0xFF) => break,
                _ if spelled.len() > 310 => return true,
                Some(b) => spelled.push_str(&b.to_string()),
                // Past the end Node appends "undefined" until the spelling is over 310.
                None => return true,
            }
            i += 1;
        }
        tail = tail.get(spelled.len() + 1..).unwrap_or_default();
        // `bufferTail.slice(msgLength + 1)`: `parseInt("")` is NaN and `slice(NaN)` keeps
        // everything; leading zeros do not count (`parseInt("0004")` is 4), and a value of more
        // than 15 digits is past the end of any body anyway.
        let significant = spelled.trim_start_matches('0');
        let advance = match significant.len() {
            _ if spelled.is_empty() => 0,
            0 => 1,
            1..=15 => significant.parse::<usize>().map_or(usize::MAX, |n| n + 1),
            _ => usize::MAX,
        };
        tail = tail.get(advance..).unwrap_or_default();
    }
    false
}

/// Decodes a v3 XHR2 binary payload. As Node, a payload whose record framing fails anywhere
/// (no `0xFF`, or a length spelled in more than 310 characters, found by Node's own walk) is one
/// `V3BinaryLength` error with no packet, since Node splits the whole body before decoding. Past
/// that, stricter than Node (documented divergences): length bytes must be 0–9 (Node
/// concatenates the decimal spelling of any byte), and a record must not be shorter than
/// announced (Node silently truncates). Text records must be UTF-8.
pub fn decode_binary_payload(body: &[u8], limits: &Limits) -> DecodedPayload {
    let fail = |packets, index, error| DecodedPayload {
        packets,
        error: Some(PayloadError { index, error }),
    };
    if body.len() > limits.max_payload {
        let error = EngineError::TooLarge {
            len: body.len(),
            max: limits.max_payload,
        };
        return fail(Vec::new(), 0, error);
    }
    if node_binary_split_fails(body) {
        return fail(Vec::new(), 0, EngineError::V3BinaryLength);
    }
    let mut packets = Vec::new();
    let mut rest = body;
    let mut record = 0usize;
    while let Some((&flag, after_flag)) = rest.split_first() {
        // Node reads length bytes up to 0xFF, appending each byte's decimal spelling, and fails
        // when "strLen.length > 310" before the next byte (past the end it appends "undefined").
        let Some(ff) = after_flag.iter().position(|&b| b == 0xFF) else {
            return fail(packets, record, EngineError::V3BinaryLength);
        };
        let digits = &after_flag[..ff];
        let spelled: usize = digits
            .iter()
            .take(digits.len().saturating_sub(1))
            .map(|&b| b.to_string().len())
            .sum();
        if spelled > 310 {
            return fail(packets, record, EngineError::V3BinaryLength);
        }
        // Stricter than Node (documented divergence): digits 0–9 only, and the record must fit.
        let loose = || EngineError::V3BinaryLengthLoose(digits.to_vec());
        if digits.is_empty() || digits.iter().any(|&d| d > 9) {
            return fail(packets, record, loose());
        }
        let len = digits.iter().try_fold(0usize, |acc, &d| {
            acc.checked_mul(10)?.checked_add(usize::from(d))
        });
        let data = &after_flag[ff + 1..];
        let Some(len) = len.filter(|&l| l <= data.len()) else {
            return fail(packets, record, loose());
        };
        let (msg, tail) = data.split_at(len);
        let decoded = if flag == 0 {
            std::str::from_utf8(msg)
                .map_err(|_| EngineError::V3InvalidUtf8)
                .and_then(decode_packet)
        } else {
            decode_binary_frame(msg, &Limits::UNLIMITED)
        };
        match decoded {
            Ok(p) => packets.push(p),
            Err(e) => return fail(packets, record, e),
        }
        rest = tail;
        record += 1;
    }
    DecodedPayload {
        packets,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits::NODE;

    fn ok(s: &str) -> Vec<Packet> {
        decode_payload(s, &L).into_result().unwrap()
    }
    fn err(s: &str) -> PayloadError {
        decode_payload(s, &L).into_result().unwrap_err()
    }

    #[test]
    fn lengths_count_utf16_units() {
        assert_eq!(
            ok("6:4hello2:4€"),
            vec![Packet::message("hello"), Packet::message("€")]
        );
        // An astral character is two UTF-16 units.
        assert_eq!(ok("3:4😀"), vec![Packet::message("😀")]);
        assert!(matches!(err("2:4😀").error, EngineError::V3SplitSurrogate));
        // "18:42[\"message\",\"hé\"]" is 18 characters, 19 bytes (oracle notes).
        assert_eq!(
            ok("18:42[\"message\",\"hé\"]"),
            vec![Packet::message("2[\"message\",\"hé\"]")]
        );
        assert_eq!(
            encode_payload(&[Packet::message("hello"), Packet::message("€")]),
            "6:4hello2:4€"
        );
        assert_eq!(encode_payload(&[Packet::message("😀")]), "3:4😀");
        assert_eq!(encode_payload(&[]), "0:");
    }

    #[test]
    fn length_prefix_rules_match_node() {
        // Node's Number(length): whitespace, "+", hex and exponents are accepted.
        assert_eq!(ok(" 2:4a"), vec![Packet::message("a")]);
        assert_eq!(ok("0x2:4a"), vec![Packet::message("a")]);
        assert_eq!(ok("0:"), vec![]);
        assert_eq!(ok("-0:2:4a"), vec![Packet::message("a")]);
        assert_eq!(
            err(":4a").error,
            EngineError::V3InvalidLength(String::new())
        );
        assert_eq!(err("x:4a").error, EngineError::V3InvalidLength("x".into()));
        assert!(matches!(
            err("1.5:4a").error,
            EngineError::V3LengthMismatch { .. }
        ));
        assert!(matches!(
            err("-1:4a").error,
            EngineError::V3LengthMismatch { .. }
        ));
        assert!(matches!(
            err("5:4a").error,
            EngineError::V3LengthMismatch { .. }
        ));
        assert_eq!(err("").error, EngineError::V3EmptyPayload);
    }

    #[test]
    fn errors_keep_earlier_packets() {
        let d = decode_payload("2:4a1:93:4bc", &L);
        assert_eq!(d.packets, vec![Packet::message("a")]);
        assert_eq!(
            d.error,
            Some(PayloadError {
                index: 1,
                error: EngineError::UnknownType('9')
            })
        );
        let d = decode_payload("2:4a12", &L);
        assert_eq!(d.packets, vec![Packet::message("a")]);
        assert_eq!(
            d.error.unwrap().error,
            EngineError::V3TrailingData("12".into())
        );
        assert_eq!(err("2:4a3:4b").error.node_message(), "parser error");
    }

    #[test]
    fn base64_records_and_binary_frames() {
        assert_eq!(ok("10:b4AQIDBA=="), vec![Packet::binary([1, 2, 3, 4])]);
        assert_eq!(err("6:bxAQID").error, EngineError::V3InvalidBinaryType);
        assert!(!EngineError::V3InvalidBinaryType.node_rejects());
        assert_eq!(encode_packet(&Packet::binary([1, 2, 3, 4])), "b4AQIDBA==");
        assert_eq!(
            decode_binary_frame(&[4, 1, 2], &L).unwrap(),
            Packet::binary([1, 2])
        );
        assert_eq!(
            decode_binary_frame(&[], &L),
            Err(EngineError::V3InvalidBinaryType)
        );
        assert_eq!(
            decode_binary_frame(&[7, 1], &L),
            Err(EngineError::V3InvalidBinaryType)
        );
        assert_eq!(
            encode_ws(&Packet::binary([1, 2])),
            super::super::Frame::Binary(vec![4, 1, 2])
        );
    }

    #[test]
    fn xhr2_binary_payload_round_trip() {
        let packets = vec![Packet::message("hé"), Packet::binary([1, 2, 3])];
        let bytes = encode_binary_payload(&packets);
        assert_eq!(
            bytes,
            [0, 4, 255, b'4', b'h', 0xC3, 0xA9, 1, 4, 255, 4, 1, 2, 3]
        );
        assert_eq!(
            decode_binary_payload(&bytes, &L).into_result().unwrap(),
            packets
        );
        let e = decode_binary_payload(&[0, 9, 255, b'4'], &L)
            .into_result()
            .unwrap_err();
        assert_eq!(e.error, EngineError::V3BinaryLengthLoose(vec![9]));
        assert!(!e.error.node_rejects(), "Node truncates the record");
        let e = decode_binary_payload(&[0, 1, 2], &L)
            .into_result()
            .unwrap_err();
        assert_eq!(e.error, EngineError::V3BinaryLength);
    }

    /// Both sides of `max_payload` (engine.io 6.6.12 `maxHttpBufferSize`) for each v3 decoder.
    /// Node's rule is strict: polling answers 413 only when "contentLength >
    /// maxHttpBufferSize" (engine.io build/transports/polling.js), and `ws` fails a frame only
    /// when its length is "> this._maxPayload" (ws/lib/receiver.js): a body of exactly the
    /// limit is accepted, one byte more is not. The limit counts bytes, not UTF-16 units.
    #[test]
    fn max_payload_is_inclusive_on_every_v3_decoder() {
        let limits = |max_payload| Limits {
            max_payload,
            ..Limits::NODE
        };
        // "3:4hé" is 6 bytes, 5 UTF-16 units.
        assert_eq!(
            decode_payload("3:4hé", &limits(6)).into_result(),
            Ok(vec![Packet::message("hé")])
        );
        assert_eq!(
            decode_payload("3:4hé", &limits(5)).into_result(),
            Err(PayloadError {
                index: 0,
                error: EngineError::TooLarge { len: 6, max: 5 }
            })
        );

        assert_eq!(
            decode_binary_frame(&[4, 1, 2], &limits(3)),
            Ok(Packet::binary([1, 2]))
        );
        assert_eq!(
            decode_binary_frame(&[4, 1, 2], &limits(2)),
            Err(EngineError::TooLarge { len: 3, max: 2 })
        );

        let body = [1, 3, 255, 4, 1, 2];
        assert_eq!(
            decode_binary_payload(&body, &limits(6)).into_result(),
            Ok(vec![Packet::binary([1, 2])])
        );
        let d = decode_binary_payload(&body, &limits(5));
        assert_eq!(d.packets, vec![]);
        assert_eq!(
            d.error,
            Some(PayloadError {
                index: 0,
                error: EngineError::TooLarge { len: 6, max: 5 }
            })
        );
    }

    /// An `Unknown` type (how a test builds an invalid packet to send) goes out in a v3 binary
    /// frame as its character's low byte: `'7'` as 0x37, U+0107 as 0x07.
    #[test]
    fn unknown_types_are_written_as_their_low_byte() {
        for (c, byte) in [('7', 0x37), ('\u{107}', 0x07)] {
            let p = Packet {
                kind: PacketType::Unknown(c),
                data: Some(Data::Binary(vec![1])),
            };
            assert_eq!(encode_ws(&p), super::super::Frame::Binary(vec![byte, 1]));
        }
    }

    /// engine.io 6.6.12's v3 parser (`build/parser-v3`), `decodePayloadAsBinary(Buffer.from(b),
    /// "nodebuffer", cb)` in node 20, for each body below: what `cb` received.
    #[test]
    fn xhr2_framing_edges_match_node() {
        let decode = |body: &[u8]| decode_binary_payload(body, &L);
        // A length spelled in more than 310 characters in the SECOND record: Node splits the
        // whole body first, so it gives one parser error and not the first record.
        let mut body = vec![0, 2, 255, b'4', b'a', 0];
        body.extend([1; 312]);
        body.extend([255, b'4']);
        let d = decode(&body);
        assert_eq!(d.packets, vec![]);
        assert_eq!(
            d.error,
            Some(PayloadError {
                index: 0,
                error: EngineError::V3BinaryLength
            })
        );
        // The largest length digit, 9: {type:"message", data:"abcdefgh"}.
        let mut body = vec![0, 9, 255];
        body.extend(b"4abcdefgh");
        assert_eq!(
            decode(&body).into_result(),
            Ok(vec![Packet::message("abcdefgh")])
        );
        // A bad second record: the first is delivered ("a"), then a parser error; the error
        // names record 1.
        let d = decode(&[0, 2, 255, b'4', b'a', 0, 1, 255, b'9']);
        assert_eq!(d.packets, vec![Packet::message("a")]);
        assert_eq!(
            d.error,
            Some(PayloadError {
                index: 1,
                error: EngineError::UnknownType('9')
            })
        );
        // A zero-length record, then a length with no 0xFF: Node's split fails, one parser
        // error for the body (not an empty packet at record 0).
        let d = decode(&[0, 0, 255, 0, 5]);
        assert_eq!(d.packets, vec![]);
        assert_eq!(
            d.error,
            Some(PayloadError {
                index: 0,
                error: EngineError::V3BinaryLength
            })
        );
        // An empty length (0xFF right after the flag): Node's walk keeps its place (the
        // spelling is empty) and reaches the end, so its split succeeds; it then hands on a
        // parser error and, misaligned, an `open` packet with data <00>. We stop at record 0
        // with the documented divergence.
        let d = decode(&[0, 255, 9, 255, 0, 0]);
        assert_eq!(d.packets, vec![]);
        assert_eq!(
            d.error,
            Some(PayloadError {
                index: 0,
                error: EngineError::V3BinaryLengthLoose(vec![])
            })
        );
    }
}
