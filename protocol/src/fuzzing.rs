//! Fuzz bodies: one function per decoder, each decoding arbitrary input and asserting the
//! invariants that must hold whatever the input (they panic on a violation; any panic is a bug).
//! Fuzz targets (`fuzz/fuzz_targets/*.rs`) are one-liners over the `*` entry points below, and
//! the committed seeds (`fuzz/seeds/<target>/`) replay through the same functions in an ordinary
//! `cargo test` (`tests/fuzz_seeds.rs`). Every body takes the codec it checks as a [`Codec`]: the
//! targets pass [`Codec::OURS`]; the harness's tests (`harness_tests`) pass one with a function
//! broken on purpose and show that the invariant about it fires.
//!
//! ```text
//! target              entry point                 input
//! engine_packet       engine_packet(&[u8])        one WebSocket frame, tried as v4/v3 text and binary
//! engine_payload_v4   engine_payload(&[u8])       a v4 polling body
//! engine_payload_v3   engine_payload_v3(&[u8])    a v3 polling body, as a string and as XHR2 binary
//! socketio_packet     socketio_packet(&[u8])      one Socket.IO packet (lossy UTF-8)
//! binary_reassembly   binary_reassembly_bytes     arbitrary → [`ReassemblyInput`] (feature `arbitrary`)
//! roundtrip           roundtrip_bytes             arbitrary → [`RoundtripInput`]  (feature `arbitrary`)
//! engine_packet_fast  engine_packet_fast(&[u8])   as engine_packet, each decoder once, cheap checks only
//! socketio_packet_fast socketio_packet_fast(&[u8]) as socketio_packet, one decode, cheap checks only
//! redis_adapter       adapter::adapter_message    one Redis adapter message or channel name
//!
//! decode(x) = Ok(p)  ⇒  decode(encode(p)) = Ok(p)            (re-encoding is stable)
//! decode(x) = Err(e) ⇒  e.node_message() is not empty         (every error maps to Node)
//! payloads           ⇒  packets before the error are kept, the error index is in range
//! limits             ⇒  a frame longer than max_payload is TooLarge, never decoded
//! build(p) canonical ⇒  decode(encode(p)) = p                 (roundtrip, structured input)
//! ```
//!
//! [`diff`] holds the differential check against Node's parsers (`cargo xtask fuzz diff`).

pub mod adapter;
mod codec;
pub mod diff;
mod structured;

#[cfg(test)]
mod harness_tests;

pub use codec::Codec;

pub use structured::{
    CountInput, EngineDataInput, EnginePacketInput, FrameInput, HeaderInput, JsonInput,
    MessageInput, NameInput, PlaceholderInput, ReassemblyInput, RoundtripInput, SocketPacketInput,
    binary_reassembly, roundtrip,
};
#[cfg(feature = "arbitrary")]
pub use structured::{binary_reassembly_bytes, parse, roundtrip_bytes};

use crate::engineio::{self, Data, Frame};
use crate::error::EngineError;
use crate::limits::Limits;
use crate::socketio::Reassembler;
use crate::socketio::{self, PacketType};

/// Limits that admit `len` bytes but not one more.
fn payload_limit(len: usize) -> Limits {
    Limits {
        max_payload: len,
        ..Limits::UNLIMITED
    }
}

/// Asserts that a frame of `len` bytes is refused as `TooLarge` by a limit one byte smaller.
fn assert_too_large<T: std::fmt::Debug>(len: usize, result: Result<T, EngineError>) {
    assert_eq!(
        result.map(|_| ()),
        Err(EngineError::TooLarge { len, max: len - 1 }),
        "a frame one byte over the limit is refused"
    );
}

/// Target `engine_packet`: one WebSocket frame. As a text frame (when UTF-8) it goes through the
/// v4 and v3 text decoders; as a binary frame through the v4 (no type byte) and v3 (type byte)
/// binary decoders. Limits hold at exactly the frame length.
pub fn engine_packet(codec: &Codec, input: &[u8]) {
    if let Ok(text) = std::str::from_utf8(input) {
        engine_text(codec, text);
        v3_text(codec, text);
        assert_eq!(
            (codec.decode_text)(text, &payload_limit(text.len())),
            (codec.decode_text)(text, &Limits::UNLIMITED),
            "a frame of exactly max_payload bytes is decoded"
        );
        if !text.is_empty() {
            assert_too_large(
                text.len(),
                (codec.decode_text)(text, &payload_limit(text.len() - 1)),
            );
        }
    }
    engine_binary(codec, input);
    v3_binary_frame(codec, input);
}

/// v4 binary frame: always a binary message carrying exactly the frame, re-encoded unchanged.
pub fn engine_binary(codec: &Codec, frame: &[u8]) {
    let p =
        (codec.decode_binary)(frame, &Limits::UNLIMITED).expect("a binary frame always decodes");
    assert_eq!(
        p,
        engineio::Packet::binary(frame),
        "a binary frame is a binary message"
    );
    assert_eq!(
        (codec.encode_ws)(&p),
        Frame::Binary(frame.to_vec()),
        "re-encodes to the same frame"
    );
    if !frame.is_empty() {
        assert_too_large(
            frame.len(),
            (codec.decode_binary)(frame, &payload_limit(frame.len() - 1)),
        );
    }
}

/// v3 text packet: decode → encode gives the input back (except `b` packets, whose lenient
/// base64 re-encodes canonically), and decode(encode(p)) == p.
pub fn v3_text(codec: &Codec, input: &str) {
    match (codec.v3_decode_packet)(input) {
        Ok(p) => {
            let encoded = (codec.v3_encode_packet)(&p);
            if !input.starts_with('b') {
                assert_eq!(encoded, input, "v3 text packets re-encode exactly");
            }
            assert_eq!(
                (codec.v3_decode_packet)(&encoded),
                Ok(p),
                "v3 decode(encode(p)) == p"
            );
        }
        Err(e) => assert!(!e.node_message().is_empty()),
    }
}

/// v3 binary WebSocket frame: a type byte 0–6 then data; re-encodes to the same frame.
pub fn v3_binary_frame(codec: &Codec, frame: &[u8]) {
    match (codec.v3_decode_binary_frame)(frame, &Limits::UNLIMITED) {
        Ok(p) => {
            assert!(
                matches!(p.data, Some(Data::Binary(_))),
                "a v3 binary frame carries binary"
            );
            assert_eq!(
                (codec.v3_encode_ws)(&p),
                Frame::Binary(frame.to_vec()),
                "re-encodes exactly"
            );
        }
        Err(e) => {
            assert_eq!(
                e,
                EngineError::V3InvalidBinaryType,
                "only the type byte can be wrong"
            );
            assert!(frame.first().is_none_or(|&b| b > 6));
        }
    }
}

/// Engine.IO v4 text packet: decode → encode → decode is stable; non-`b` input re-encodes to
/// itself exactly.
pub fn engine_text(codec: &Codec, input: &str) {
    match (codec.decode_text)(input, &Limits::UNLIMITED) {
        Ok(p) => {
            let encoded = (codec.encode_polling)(&p);
            if !input.starts_with('b') {
                assert_eq!(encoded, input, "text packets re-encode exactly");
            }
            let again = (codec.decode_text)(&encoded, &Limits::UNLIMITED);
            assert_eq!(again.as_ref(), Ok(&p), "decode(encode(p)) == p");
            if let Some(Data::Binary(b)) = &p.data {
                assert_eq!(
                    p.kind,
                    engineio::PacketType::Message,
                    "binary is only ever a message"
                );
                assert!(
                    engineio::base64::is_canonical(&encoded[1..]),
                    "we write canonical base64"
                );
                assert_eq!(
                    engineio::base64::decode_strict(&encoded[1..]).as_ref(),
                    Some(b)
                );
            }
            if let Some(Data::Text(t)) = &p.data {
                assert!(!t.is_empty(), "no packet has empty text data (it has none)");
            }
        }
        Err(e) => assert!(!e.node_message().is_empty()),
    }
}

/// Engine.IO v4 polling payload: the packets re-encode to a payload that decodes to the same
/// packets with no error; an error index is the number of packets kept.
pub fn engine_payload(codec: &Codec, body: &[u8]) {
    let decoded = (codec.decode_payload)(body, &Limits::UNLIMITED);
    if let Some(err) = &decoded.error {
        assert_eq!(
            err.index,
            decoded.packets.len(),
            "every record before the error decoded"
        );
    } else {
        let records = body.iter().filter(|&&b| b == 0x1e).count() + 1;
        assert_eq!(decoded.packets.len(), records, "one packet per record");
    }
    let limited = (codec.decode_payload)(body, &payload_limit(body.len()));
    assert_eq!(
        limited, decoded,
        "a body of exactly max_payload bytes is decoded"
    );
    if !body.is_empty() {
        let refused = (codec.decode_payload)(body, &payload_limit(body.len() - 1));
        assert!(refused.packets.is_empty());
        assert_too_large(
            body.len(),
            refused.error.map(|e| e.error).map_or(Ok(()), Err),
        );
    }
    if decoded.packets.is_empty() {
        return;
    }
    let encoded = (codec.encode_payload)(&decoded.packets);
    let again = (codec.decode_payload)(encoded.as_bytes(), &Limits::UNLIMITED);
    assert_eq!(
        again.error, None,
        "an encoded payload decodes cleanly: {encoded:?}"
    );
    assert_eq!(again.packets, decoded.packets);
}

/// Target `engine_payload_v3`: a v3 polling body, decoded as a string payload (when UTF-8) and
/// as an XHR2 binary payload.
pub fn engine_payload_v3(codec: &Codec, body: &[u8]) {
    if let Ok(text) = std::str::from_utf8(body) {
        v3_payload(codec, text);
    }
    v3_binary_payload(codec, body);
}

/// Engine.IO v3 string payload: re-encoding the packets decodes to the same packets.
pub fn v3_payload(codec: &Codec, input: &str) {
    let decoded = (codec.v3_decode_payload)(input, &Limits::UNLIMITED);
    if let Some(err) = &decoded.error {
        assert!(
            err.index >= decoded.packets.len(),
            "records before the error are kept"
        );
        assert!(!err.error.node_message().is_empty());
    }
    if !input.is_empty() {
        let refused = (codec.v3_decode_payload)(input, &payload_limit(input.len() - 1));
        assert_too_large(
            input.len(),
            refused.error.map(|e| e.error).map_or(Ok(()), Err),
        );
    }
    if decoded.packets.is_empty() {
        return;
    }
    let encoded = (codec.v3_encode_payload)(&decoded.packets);
    let again = (codec.v3_decode_payload)(&encoded, &Limits::UNLIMITED);
    assert_eq!(
        again.error, None,
        "an encoded v3 payload decodes cleanly: {encoded:?}"
    );
    assert_eq!(again.packets, decoded.packets);
}

/// Engine.IO v3 XHR2 binary payload: re-encoding the packets decodes to the same packets.
pub fn v3_binary_payload(codec: &Codec, input: &[u8]) {
    let decoded = (codec.v3_decode_binary_payload)(input, &Limits::UNLIMITED);
    if let Some(err) = &decoded.error {
        assert_eq!(
            err.index,
            decoded.packets.len(),
            "every record before the error decoded"
        );
    }
    let encoded = (codec.v3_encode_binary_payload)(&decoded.packets);
    let again = (codec.v3_decode_binary_payload)(&encoded, &Limits::UNLIMITED);
    assert_eq!(again.error, None);
    assert_eq!(again.packets, decoded.packets);
}

/// Target `socketio_packet`: one Socket.IO packet, as the data of an Engine.IO text message
/// (bytes that are not UTF-8 become U+FFFD first).
pub fn socketio_packet(codec: &Codec, input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    socket_packet(codec, &text);
    // A non-binary packet is a complete message on its own, and the reassembler agrees with the
    // packet decoder about it.
    let mut r = Reassembler::new(Limits::NODE);
    match ((codec.sio_decode)(&text, &Limits::NODE), r.push_text(&text)) {
        (Ok(p), Ok(None)) => {
            assert!(p.kind.is_binary() && r.missing() == p.attachments.unwrap_or(0))
        }
        (Ok(p), Ok(Some(m))) => {
            assert!(!p.kind.is_binary());
            let (pv, mv) = (p.node_view(), m.node_view());
            assert!(
                crate::view::js_eq(&pv, &mv),
                "packet {pv} and message {mv} agree"
            );
        }
        (Err(e), Err(b)) => assert_eq!(crate::error::BinaryError::Packet(e), b),
        (p, m) => panic!("the packet decoder gave {p:?}, the reassembler {m:?}"),
    }
}

/// Socket.IO packet: decode → encode → decode is stable, limits hold, errors map to Node.
pub fn socket_packet(codec: &Codec, input: &str) {
    let limits = Limits::NODE;
    match (codec.sio_decode)(input, &limits) {
        Ok(p) => {
            assert!(!matches!(p.kind, PacketType::Unknown(_)));
            assert_eq!(p.kind.is_binary(), p.attachments.is_some());
            if let Some(n) = p.attachments {
                assert!(
                    (1..=limits.max_attachments).contains(&n),
                    "attachments within limits"
                );
            }
            if let Some(id) = p.id {
                assert!(id <= socketio::MAX_ACK_ID);
            }
            assert!(p.nsp == "/" || (p.nsp.starts_with('/') && !p.nsp.contains(',')));
            if let Some(data) = p.data_value() {
                assert_eq!(
                    socketio::validate_payload(p.kind, &data),
                    Ok(()),
                    "payload rules hold"
                );
            }
            let encoded = (codec.sio_encode)(&p);
            let again = (codec.sio_decode)(&encoded, &limits);
            assert_eq!(
                again.as_ref(),
                Ok(&p),
                "decode(encode(p)) == p for {encoded:?}"
            );
        }
        Err(e) => assert!(!e.node_message().is_empty()),
    }
}

/// Target `engine_packet_fast`: the input of `engine_packet` through the same four decoders,
/// each once, with only the checks that need no second decode (no re-encoding, no limit
/// variants). The full target spends most of its time re-decoding; this one explores the
/// decoders several times faster, and its corpus replays through the full target (`cargo xtask
/// fuzz run engine_packet` reads the seeds both share).
pub fn engine_packet_fast(codec: &Codec, input: &[u8]) {
    if let Ok(text) = std::str::from_utf8(input) {
        match (codec.decode_text)(text, &Limits::UNLIMITED) {
            Ok(p) => match &p.data {
                Some(Data::Text(t)) => assert!(!t.is_empty(), "no packet has empty text data"),
                Some(Data::Binary(_)) => assert_eq!(p.kind, engineio::PacketType::Message),
                None => {}
            },
            Err(e) => assert!(!e.node_message().is_empty()),
        }
        if let Err(e) = (codec.v3_decode_packet)(text) {
            assert!(!e.node_message().is_empty());
        }
    }
    let p =
        (codec.decode_binary)(input, &Limits::UNLIMITED).expect("a binary frame always decodes");
    assert!(matches!(&p.data, Some(Data::Binary(b)) if b.len() == input.len()));
    match (codec.v3_decode_binary_frame)(input, &Limits::UNLIMITED) {
        Ok(p) => assert!(matches!(p.data, Some(Data::Binary(_)))),
        Err(e) => assert!(
            e == EngineError::V3InvalidBinaryType && input.first().is_none_or(|&b| b > 6),
            "only the type byte can be wrong"
        ),
    }
}

/// Target `socketio_packet_fast`: the input of `socketio_packet`, decoded once (one JSON parse
/// instead of the full target's five: decode, payload value, re-decode, reassembler), with the
/// structural checks that need no second parse. Its corpus replays through the full target.
pub fn socketio_packet_fast(codec: &Codec, input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let limits = Limits::NODE;
    match (codec.sio_decode)(&text, &limits) {
        Ok(p) => {
            assert!(!matches!(p.kind, PacketType::Unknown(_)));
            assert_eq!(p.kind.is_binary(), p.attachments.is_some());
            if let Some(n) = p.attachments {
                assert!((1..=limits.max_attachments).contains(&n));
            }
            if let Some(id) = p.id {
                assert!(id <= socketio::MAX_ACK_ID);
            }
            assert!(p.nsp == "/" || (p.nsp.starts_with('/') && !p.nsp.contains(',')));
        }
        Err(e) => assert!(!e.node_message().is_empty()),
    }
}

/// Reassembler over a frame sequence. Input framing: chunks split on 0x00; a chunk starting
/// with 0x01 is a binary message (the rest), any other chunk a text message. Every complete
/// message re-encodes (attachments included) to frames that reassemble to the same message.
pub fn reassembler(codec: &Codec, input: &[u8]) {
    let mut r = Reassembler::new(Limits::NODE);
    for chunk in input.split(|&b| b == 0) {
        let result = match chunk.split_first() {
            Some((1, bin)) => r.push_binary(bin),
            _ => r.push_text(&String::from_utf8_lossy(chunk)),
        };
        match result {
            Ok(Some(message)) => {
                let encoded = (codec.encode_message)(&message);
                let mut again = Reassembler::new(Limits::UNLIMITED);
                let mut out = again.push_text(&(codec.sio_encode)(&encoded.packet));
                for a in &encoded.attachments {
                    assert!(matches!(out, Ok(None)), "attachments still expected");
                    out = again.push_binary(a);
                }
                assert_eq!(out, Ok(Some(message)), "reassemble(encode(m)) == m");
            }
            Ok(None) => {}
            Err(e) => assert!(!e.node_message().is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeds: each body runs on a few interesting inputs (the fuzz corpus replays the same way).
    #[test]
    fn seeds() {
        for s in [
            "",
            "4",
            "4hello",
            "bAQID",
            "b!!",
            "2probe",
            "x",
            "6",
            "0{\"sid\":\"a\"}",
        ] {
            engine_text(&Codec::OURS, s);
        }
        for s in ["4a\u{1e}bAQ==\u{1e}2", "", "\u{1e}", "4\u{1e}x\u{1e}4"] {
            engine_payload(&Codec::OURS, s.as_bytes());
        }
        engine_payload(&Codec::OURS, &[0xff, 0x34]);
        for s in ["6:4hello2:4€", "0:", "2:4😀", "3:4😀", "10:b4AQIDBA==", "x"] {
            v3_payload(&Codec::OURS, s);
        }
        v3_binary_payload(
            &Codec::OURS,
            &[0, 4, 255, b'4', b'h', 0xC3, 0xA9, 1, 4, 255, 4, 1, 2, 3],
        );
        v3_binary_payload(&Codec::OURS, &[0, 12, 255]);
        for s in [
            "",
            " ",
            "2",
            "42",
            "2[\"a\"]",
            "2 [\"a\"]",
            "51-[\"a\",{\"_placeholder\":true,\"num\":0}]",
            "0/a",
            "2/a,007[1]",
        ] {
            socket_packet(&Codec::OURS, s);
        }
        reassembler(&Codec::OURS, b"52-[\"m\",{\"x\":{\"_placeholder\":true,\"num\":1}},{\"_placeholder\":true,\"num\":0}]\x00\x01\x01\x00\x01\x02");
        reassembler(
            &Codec::OURS,
            b"\x01\x02\x002[\"a\",1.0,{\"1\":2,\"b\":3}]\x0051-[1]\x002",
        );
    }
}
