//! Fuzz bodies: one function per decoder, each decoding arbitrary input and asserting the
//! invariants that must hold whatever the input (they panic on a violation; any panic is a bug).
//! Fuzz targets are one-liners over these, and seeds replay in ordinary `cargo test`.
//!
//! ```text
//! decode(x) = Ok(p)  ⇒  decode(encode(p)) = Ok(p)            (re-encoding is stable)
//! decode(x) = Err(e) ⇒  e.node_message() is not empty         (every error maps to Node)
//! payloads           ⇒  packets before the error are kept, the error index is in range
//! ```

use crate::binary::Reassembler;
use crate::engineio::{self, Data, v3};
use crate::limits::Limits;
use crate::socketio::{self, PacketType};

/// Engine.IO v4 text packet: decode → encode → decode is stable; non-`b` input re-encodes to
/// itself exactly.
pub fn engine_text(input: &str) {
    match engineio::decode_text(input, &Limits::UNLIMITED) {
        Ok(p) => {
            let encoded = p.encode_polling();
            if !input.starts_with('b') {
                assert_eq!(encoded, input, "text packets re-encode exactly");
            }
            let again = engineio::decode_text(&encoded, &Limits::UNLIMITED);
            assert_eq!(again.as_ref(), Ok(&p), "decode(encode(p)) == p");
            if let Some(Data::Binary(_)) = &p.data {
                assert_eq!(
                    p.kind,
                    engineio::PacketType::Message,
                    "binary is only ever a message"
                );
            }
        }
        Err(e) => assert!(!e.node_message().is_empty()),
    }
}

/// Engine.IO v4 polling payload: the packets re-encode to a payload that decodes to the same
/// packets with no error; an error index is the number of packets kept.
pub fn engine_payload(body: &[u8]) {
    let decoded = engineio::decode_payload(body, &Limits::UNLIMITED);
    if let Some(err) = &decoded.error {
        assert_eq!(
            err.index,
            decoded.packets.len(),
            "every record before the error decoded"
        );
    }
    if decoded.packets.is_empty() {
        return;
    }
    let encoded = engineio::encode_payload(&decoded.packets);
    let again = engineio::decode_payload(encoded.as_bytes(), &Limits::UNLIMITED);
    assert_eq!(
        again.error, None,
        "an encoded payload decodes cleanly: {encoded:?}"
    );
    assert_eq!(again.packets, decoded.packets);
}

/// Engine.IO v3 string payload: re-encoding the packets decodes to the same packets.
pub fn v3_payload(input: &str) {
    let decoded = v3::decode_payload(input, &Limits::UNLIMITED);
    if decoded.packets.is_empty() {
        return;
    }
    let encoded = v3::encode_payload(&decoded.packets);
    let again = v3::decode_payload(&encoded, &Limits::UNLIMITED);
    assert_eq!(
        again.error, None,
        "an encoded v3 payload decodes cleanly: {encoded:?}"
    );
    assert_eq!(again.packets, decoded.packets);
}

/// Engine.IO v3 XHR2 binary payload: re-encoding the packets decodes to the same packets.
pub fn v3_binary_payload(input: &[u8]) {
    let decoded = v3::decode_binary_payload(input, &Limits::UNLIMITED);
    let encoded = v3::encode_binary_payload(&decoded.packets);
    let again = v3::decode_binary_payload(&encoded, &Limits::UNLIMITED);
    assert_eq!(again.error, None);
    assert_eq!(again.packets, decoded.packets);
}

/// Socket.IO packet: decode → encode → decode is stable, limits hold, errors map to Node.
pub fn socket_packet(input: &str) {
    let limits = Limits::NODE;
    match socketio::decode(input, &limits) {
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
            let encoded = p.encode();
            let again = socketio::decode(&encoded, &limits);
            assert_eq!(
                again.as_ref(),
                Ok(&p),
                "decode(encode(p)) == p for {encoded:?}"
            );
        }
        Err(e) => assert!(!e.node_message().is_empty()),
    }
}

/// Reassembler over a frame sequence. Input framing: chunks split on 0x00; a chunk starting
/// with 0x01 is a binary message (the rest), any other chunk a text message. Every complete
/// message re-encodes (attachments included) to frames that reassemble to the same message.
pub fn reassembler(input: &[u8]) {
    let mut r = Reassembler::new(Limits::NODE);
    for chunk in input.split(|&b| b == 0) {
        let result = match chunk.split_first() {
            Some((1, bin)) => r.push_binary(bin),
            _ => r.push_text(&String::from_utf8_lossy(chunk)),
        };
        match result {
            Ok(Some(message)) => {
                let encoded = message.encode();
                let mut again = Reassembler::new(Limits::UNLIMITED);
                let mut out = again.push_text(&encoded.packet.encode());
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
            engine_text(s);
        }
        for s in ["4a\u{1e}bAQ==\u{1e}2", "", "\u{1e}", "4\u{1e}x\u{1e}4"] {
            engine_payload(s.as_bytes());
        }
        engine_payload(&[0xff, 0x34]);
        for s in ["6:4hello2:4€", "0:", "2:4😀", "3:4😀", "10:b4AQIDBA==", "x"] {
            v3_payload(s);
        }
        v3_binary_payload(&[0, 4, 255, b'4', b'h', 0xC3, 0xA9, 1, 4, 255, 4, 1, 2, 3]);
        v3_binary_payload(&[0, 12, 255]);
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
            socket_packet(s);
        }
        reassembler(b"52-[\"m\",{\"x\":{\"_placeholder\":true,\"num\":1}},{\"_placeholder\":true,\"num\":0}]\x00\x01\x01\x00\x01\x02");
        reassembler(b"\x01\x02\x002[\"a\",1.0,{\"1\":2,\"b\":3}]\x0051-[1]\x002");
    }
}
