//! What differs on the wire by protocol revision and `b64` (behaviour tag §1.10): how the
//! session's outgoing packets become WebSocket frames and v3 polling payloads, and how incoming
//! frames and POST bodies decode. The session's rules are the same for both revisions.
//!
//! ```text
//!               v4                                  v3 (engine.io 6.6.12 `parser-v3`)
//! WS binary out raw bytes; b64: "b<base64>" text     0x04 + bytes; b64: "b4<base64>" text
//! WS in         text packet | binary message         text packet | type byte + data (an unknown
//!                                                    type byte is a packet Node ignores)
//! polling out   records joined by 0x1E (polling.rs)  "<UTF-16 length>:<record>"…; with binary and
//!                                                    no b64: the XHR2 payload, octet-stream
//! polling in    records split on 0x1E                "<length>:<record>"…; XHR2 when the POST
//!                                                    is application/octet-stream
//! ```

use sio_protocol::Limits;
use sio_protocol::engineio::{self, Data, DecodedPayload, Frame, Packet, PacketType, v3};
use sio_protocol::error::EngineError;

use super::types::Outgoing;
use super::{Framing, HttpReply, Output, WsId, WsMessage};

/// The WebSocket output for one buffered packet on connection `ws`.
pub(super) fn ws_output(framing: Framing, ws: WsId, packet: Outgoing) -> Output {
    let binary = match &packet {
        Outgoing::Packet(p) => matches!(p.data, Some(Data::Binary(_))),
        Outgoing::Shared(m) => m.is_binary(),
    };
    // Text packets are the same bytes in both revisions: shared ones go out without a copy.
    if !binary || (framing.supports_binary && !framing.is_v3()) {
        return match packet {
            Outgoing::Packet(p) => Output::WsSend {
                ws,
                frame: p.encode_ws(),
            },
            Outgoing::Shared(message) => Output::WsSendShared { ws, message },
        };
    }
    let p = to_packet(&packet);
    let frame = match (framing.is_v3(), framing.supports_binary) {
        // `encodeBuffer`: the type byte, then the data.
        (true, true) => v3::encode_ws(&p),
        // `encodeBase64Packet`: "b" + type + base64.
        (true, false) => Frame::Text(v3::encode_packet(&p)),
        // v4 `encodePacket(packet, supportsBinary = false)`: "b" + base64.
        (false, _) => Frame::Text(p.encode_polling()),
    };
    Output::WsSend { ws, frame }
}

/// A buffered packet as a plain packet (v3 re-frames shared messages, so it needs their data).
fn to_packet(packet: &Outgoing) -> Packet {
    match packet {
        Outgoing::Packet(p) => p.clone(),
        Outgoing::Shared(m) if m.is_binary() => Packet::binary(m.frame_bytes().to_vec()),
        // A shared text message is `4<data>`, built from a `String`.
        Outgoing::Shared(m) => {
            let text = String::from_utf8_lossy(m.frame_bytes());
            Packet::message(text.get(1..).unwrap_or_default())
        }
    }
}

/// The v3 polling answer: `encodePayload(packets, supportsBinary)` — the XHR2 binary payload
/// when binary is supported and some packet is binary, the length-prefixed string otherwise.
pub(super) fn v3_polling_reply(framing: Framing, packets: &[Outgoing]) -> HttpReply {
    let packets: Vec<Packet> = packets.iter().map(to_packet).collect();
    let has_binary = packets
        .iter()
        .any(|p| matches!(p.data, Some(Data::Binary(_))));
    if framing.supports_binary && has_binary {
        HttpReply::BinaryPayload(v3::encode_binary_payload(&packets))
    } else {
        HttpReply::Payload(v3::encode_payload(&packets))
    }
}

/// Node's v3 `decodePacket` gives a packet of type `undefined` for an unknown binary type
/// (`b9…`, a frame starting with byte 7): the socket ignores it. This crate's codec calls it an
/// error; the session turns it back into a packet nothing handles.
fn ignored_if_unknown_type(r: Result<Packet, EngineError>) -> Result<Packet, ()> {
    match r {
        Ok(p) => Ok(p),
        Err(EngineError::V3InvalidBinaryType) => Ok(Packet::new(PacketType::Unknown('?'))),
        Err(_) => Err(()),
    }
}

/// Decodes one WebSocket message. The size limit was enforced by the WebSocket layer already.
pub(super) fn decode_ws(framing: Framing, msg: WsMessage) -> Result<Packet, ()> {
    let limits = Limits::UNLIMITED;
    match (framing.is_v3(), msg) {
        (false, WsMessage::Text(t)) => engineio::decode_text(&t, &limits).map_err(|_| ()),
        (false, WsMessage::Binary(b)) => engineio::decode_binary(&b, &limits).map_err(|_| ()),
        (true, WsMessage::Text(t)) => ignored_if_unknown_type(v3::decode_packet(&t)),
        (true, WsMessage::Binary(b)) => {
            ignored_if_unknown_type(v3::decode_binary_frame(&b, &limits))
        }
    }
}

/// Decodes a POST body; `binary` is a v3 `application/octet-stream` POST (the XHR2 payload).
/// The size limit was enforced while reading the body.
pub(super) fn decode_post(framing: Framing, body: &[u8], binary: bool) -> DecodedPayload {
    let limits = Limits::UNLIMITED;
    match (framing.is_v3(), binary) {
        (false, _) => engineio::decode_payload(body, &limits),
        (true, true) => v3::decode_binary_payload(body, &limits),
        // `req.setEncoding("utf8")`: invalid UTF-8 becomes U+FFFD.
        (true, false) => v3::decode_payload(&String::from_utf8_lossy(body), &limits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SharedMessage;

    const V3: Framing = Framing {
        protocol: 3,
        supports_binary: true,
    };
    const V3_B64: Framing = Framing {
        protocol: 3,
        supports_binary: false,
    };

    fn frame(framing: Framing, packet: Outgoing) -> Frame {
        match ws_output(framing, WsId(0), packet) {
            Output::WsSend { frame, .. } => frame,
            Output::WsSendShared { message, .. } if message.is_binary() => {
                Frame::Binary(message.frame_bytes().to_vec())
            }
            Output::WsSendShared { message, .. } => {
                Frame::Text(message.polling_record().into_owned())
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn binary_frames_by_revision_and_b64() {
        let bin = || Outgoing::Shared(SharedMessage::binary(vec![1, 2, 3]));
        assert_eq!(frame(Framing::V4, bin()), Frame::Binary(vec![1, 2, 3]));
        assert_eq!(
            frame(Framing::new(4, Some("1")), bin()),
            Frame::Text("bAQID".into())
        );
        assert_eq!(frame(V3, bin()), Frame::Binary(vec![4, 1, 2, 3]));
        assert_eq!(frame(V3_B64, bin()), Frame::Text("b4AQID".into()));
        let text = Outgoing::Shared(SharedMessage::text("0"));
        assert_eq!(frame(V3, text), Frame::Text("40".into()));
    }

    #[test]
    fn v3_payloads_as_node_writes_them() {
        let packets = [
            Outgoing::Shared(SharedMessage::text(
                r#"51-["message-back",{"_placeholder":true,"num":0}]"#,
            )),
            Outgoing::Shared(SharedMessage::binary(vec![1, 2, 3])),
        ];
        // eio3.polling.binary-b64 and eio3.polling.binary-xhr2.
        assert_eq!(
            v3_polling_reply(V3_B64, &packets),
            HttpReply::Payload(
                r#"50:451-["message-back",{"_placeholder":true,"num":0}]6:b4AQID"#.into()
            )
        );
        let HttpReply::BinaryPayload(bytes) = v3_polling_reply(V3, &packets) else {
            panic!("expected the XHR2 payload");
        };
        assert_eq!(&bytes[..4], [0, 5, 0, 0xff]);
        assert!(bytes.ends_with(&[1, 4, 0xff, 4, 1, 2, 3]), "{bytes:?}");
        // Without binary, the string payload even when binary is supported.
        let text = [Outgoing::Packet(Packet::message("hé"))];
        assert_eq!(
            v3_polling_reply(V3, &text),
            HttpReply::Payload("3:4hé".into())
        );
    }

    #[test]
    fn unknown_v3_binary_types_are_ignored_packets() {
        let p = decode_ws(V3, WsMessage::Binary(vec![9, 1])).unwrap();
        assert_eq!(p.kind, PacketType::Unknown('?'));
        assert_eq!(
            decode_ws(V3, WsMessage::Binary(vec![4, 1])),
            Ok(Packet::binary([1]))
        );
        assert_eq!(decode_ws(V3, WsMessage::Text("9".into())), Err(()));
    }
}
