//! The fuzz bodies checked against themselves: for each invariant, a [`Codec`] with one
//! function broken the way a real slip would break it (a byte lost, a limit off by one, a
//! separator forgotten, a count wrong) and the report the body must then make. A body that
//! stopped checking would pass these inputs through, as it passes the real codec's.

use sio_test_support::panics::{assert_panics_with, panic_message};

use super::structured::{
    EngineDataInput, EnginePacketInput, FrameInput, HeaderInput, JsonInput, MessageInput,
    NameInput, PlaceholderInput, ReassemblyInput, RoundtripInput, SocketPacketInput, parse,
};
use super::*;
use crate::engineio::{DecodedPayload, Packet, v3};
use crate::error::{PayloadError, SocketError};
use crate::socketio::{Encoded, Message, reassembler};

/// The message of the panic `f` must raise: the body's report.
fn report_of(f: impl FnOnce()) -> String {
    panic_message("the fuzz body", f)
}

#[track_caller]
fn assert_reports(expected: &str, f: impl FnOnce()) {
    assert_panics_with("the fuzz body", expected, f);
}

const OURS: Codec = Codec::OURS;

/// Limits one byte tighter than asked: a decoder whose limit is off by one.
fn one_less(limits: &Limits) -> Limits {
    Limits {
        max_payload: limits.max_payload.saturating_sub(1),
        ..*limits
    }
}

// Engine.IO v4 packets.

#[test]
fn a_text_decoder_that_ignores_the_limit_is_reported() {
    let codec = Codec {
        decode_text: |t, _| engineio::decode_text(t, &Limits::UNLIMITED),
        ..OURS
    };
    assert_reports("a frame one byte over the limit is refused", || {
        engine_packet(&codec, b"4hello")
    });
    // The real codec passes, the empty frame included (no limit under 0 to try).
    engine_packet(&OURS, b"4hello");
    engine_packet(&OURS, b"");
}

#[test]
fn a_text_decoder_whose_limit_is_one_byte_short_is_reported() {
    let codec = Codec {
        decode_text: |t, l| engineio::decode_text(t, &one_less(l)),
        ..OURS
    };
    assert_reports("a frame of exactly max_payload bytes is decoded", || {
        engine_packet(&codec, b"4hello")
    });
}

#[test]
fn a_text_encoder_that_loses_a_byte_is_reported() {
    let codec = Codec {
        encode_polling: |p| {
            let mut s = p.encode_polling();
            s.pop();
            s
        },
        ..OURS
    };
    assert_reports("text packets re-encode exactly", || {
        engine_text(&codec, "4hello")
    });
    // The same slip reaches engine_text through engine_packet.
    assert_reports("text packets re-encode exactly", || {
        engine_packet(&codec, b"4hello")
    });
}

#[test]
fn a_base64_packet_that_does_not_decode_back_is_reported() {
    // `b` packets re-encode canonically, so they are compared after a second decode.
    let codec = Codec {
        encode_polling: |p| match &p.data {
            Some(Data::Binary(_)) => "bAAAA".into(),
            _ => p.encode_polling(),
        },
        ..OURS
    };
    assert_reports("decode(encode(p)) == p", || engine_text(&codec, "bAQID"));
    // Lenient base64 in, canonical out: not a re-encoding error.
    engine_text(&OURS, "bAQI");
}

#[test]
fn non_canonical_base64_written_is_reported() {
    // Padding dropped: Node's lenient decoder reads it back, but we write canonical base64.
    let codec = Codec {
        encode_polling: |p| p.encode_polling().trim_end_matches('=').to_owned(),
        ..OURS
    };
    assert_reports("we write canonical base64", || engine_text(&codec, "bAQI="));
}

#[test]
fn binary_data_outside_a_message_is_reported() {
    let codec = Codec {
        decode_text: |t, l| {
            let p = engineio::decode_text(t, l)?;
            Ok(match p.data {
                Some(Data::Binary(b)) => Packet {
                    kind: engineio::PacketType::Ping,
                    data: Some(Data::Binary(b)),
                },
                _ => p,
            })
        },
        encode_polling: |p| match &p.data {
            Some(Data::Binary(b)) => Packet::binary(b.clone()).encode_polling(),
            _ => p.encode_polling(),
        },
        ..OURS
    };
    assert_reports("binary is only ever a message", || {
        engine_text(&codec, "bAQID")
    });
}

#[test]
fn empty_text_data_is_reported() {
    let codec = Codec {
        decode_text: |t, l| {
            let p = engineio::decode_text(t, l)?;
            Ok(if p.data.is_none() {
                Packet::text(p.kind, "")
            } else {
                p
            })
        },
        encode_polling: |p| match &p.data {
            Some(Data::Text(t)) if t.is_empty() => Packet::new(p.kind).encode_polling(),
            _ => p.encode_polling(),
        },
        ..OURS
    };
    assert_reports("no packet has empty text data", || engine_text(&codec, "6"));
}

#[test]
fn binary_frames_are_checked() {
    let not_binary = Codec {
        decode_binary: |_, _| Ok(Packet::text(engineio::PacketType::Message, "x")),
        ..OURS
    };
    assert_reports("a binary frame is a binary message", || {
        engine_binary(&not_binary, &[1, 2])
    });
    let as_text = Codec {
        encode_ws: |p| Frame::Text(p.encode_polling()),
        ..OURS
    };
    assert_reports("re-encodes to the same frame", || {
        engine_binary(&as_text, &[1, 2])
    });
    let unlimited = Codec {
        decode_binary: |b, _| engineio::decode_binary(b, &Limits::UNLIMITED),
        ..OURS
    };
    assert_reports("a frame one byte over the limit is refused", || {
        engine_binary(&unlimited, &[1, 2])
    });
    // engine_packet tries every input as a binary frame too.
    assert_reports("a frame one byte over the limit is refused", || {
        engine_packet(&unlimited, &[0xff])
    });
    engine_binary(&OURS, &[]);
}

// Engine.IO v3 packets and frames.

#[test]
fn a_v3_text_encoder_that_adds_a_byte_is_reported() {
    let codec = Codec {
        v3_encode_packet: |p| v3::encode_packet(p) + " ",
        ..OURS
    };
    assert_reports("v3 text packets re-encode exactly", || {
        v3_text(&codec, "4hello")
    });
    assert_reports("v3 text packets re-encode exactly", || {
        engine_packet(&codec, b"4hello")
    });
}

#[test]
fn a_v3_base64_packet_that_does_not_decode_back_is_reported() {
    let codec = Codec {
        v3_encode_packet: |p| match &p.data {
            Some(Data::Binary(_)) => "b4AAAA".into(),
            _ => v3::encode_packet(p),
        },
        ..OURS
    };
    assert_reports("v3 decode(encode(p)) == p", || v3_text(&codec, "b4AQID"));
    // Lenient base64 in, canonical out.
    v3_text(&OURS, "b4AQI");
}

#[test]
fn v3_binary_frames_are_checked() {
    let not_binary = Codec {
        v3_decode_binary_frame: |_, _| Ok(Packet::text(engineio::PacketType::Message, "x")),
        ..OURS
    };
    assert_reports("a v3 binary frame carries binary", || {
        v3_binary_frame(&not_binary, &[4, 1])
    });
    let as_text = Codec {
        v3_encode_ws: |p| Frame::Text(v3::encode_packet(p)),
        ..OURS
    };
    assert_reports("re-encodes exactly", || v3_binary_frame(&as_text, &[4, 1]));
    let wrong_error = Codec {
        v3_decode_binary_frame: |_, _| Err(EngineError::Empty),
        ..OURS
    };
    assert_reports("only the type byte can be wrong", || {
        v3_binary_frame(&wrong_error, &[4, 1])
    });
    assert_reports("only the type byte can be wrong", || {
        engine_packet(&wrong_error, &[4, 1])
    });
}

// Engine.IO v4 payloads.

#[test]
fn a_payload_decoder_that_loses_the_last_record_is_reported() {
    let codec = Codec {
        decode_payload: |b, l| {
            let mut d = engineio::decode_payload(b, l);
            if d.packets.len() > 1 {
                d.packets.pop();
            }
            d
        },
        ..OURS
    };
    assert_reports("one packet per record", || {
        engine_payload(&codec, b"4a\x1e4b")
    });
}

#[test]
fn a_payload_error_at_the_wrong_index_is_reported() {
    let codec = Codec {
        decode_payload: |b, l| {
            let mut d = engineio::decode_payload(b, l);
            if let Some(e) = &mut d.error {
                e.index += 1;
            }
            d
        },
        ..OURS
    };
    assert_reports("every record before the error decoded", || {
        engine_payload(&codec, b"4a\x1e9")
    });
}

#[test]
fn payload_limits_are_checked() {
    let short = Codec {
        decode_payload: |b, l| engineio::decode_payload(b, &one_less(l)),
        ..OURS
    };
    assert_reports("a body of exactly max_payload bytes is decoded", || {
        engine_payload(&short, b"4a\x1e4b")
    });
    let unlimited = Codec {
        decode_payload: |b, _| engineio::decode_payload(b, &Limits::UNLIMITED),
        ..OURS
    };
    let report = report_of(|| engine_payload(&unlimited, b"4a\x1e4b"));
    assert!(report.contains("refused.packets.is_empty()"), "{report}");
    // A decoder that refuses over the limit but keeps the packets it read.
    let keeps = Codec {
        decode_payload: |b, l| {
            let all = engineio::decode_payload(b, &Limits::UNLIMITED);
            let mut d = engineio::decode_payload(b, l);
            if d.error.is_some() {
                d.packets = Vec::new();
                d.error = Some(PayloadError {
                    index: 0,
                    error: EngineError::Empty,
                });
            }
            if all.packets.is_empty() { all } else { d }
        },
        ..OURS
    };
    assert_reports("a frame one byte over the limit is refused", || {
        engine_payload(&keeps, b"4a")
    });
}

#[test]
fn a_payload_encoder_without_separators_is_reported() {
    // The session's `polling-no-separator` slip, in the codec.
    let codec = Codec {
        encode_payload: |packets| packets.iter().map(Packet::encode_polling).collect(),
        ..OURS
    };
    assert_reports("left: [", || engine_payload(&codec, b"4a\x1e4b"));
    let broken = Codec {
        encode_payload: |packets| engineio::encode_payload(packets) + "\u{1e}",
        ..OURS
    };
    assert_reports("an encoded payload decodes cleanly", || {
        engine_payload(&broken, b"4a")
    });
    // A payload with no packet has nothing to re-encode.
    engine_payload(&broken, b"9");
}

// Engine.IO v3 payloads.

#[test]
fn v3_payloads_are_checked() {
    let unlimited = Codec {
        v3_decode_payload: |t, _| v3::decode_payload(t, &Limits::UNLIMITED),
        ..OURS
    };
    assert_reports("a frame one byte over the limit is refused", || {
        v3_payload(&unlimited, "2:4a")
    });
    let broken = Codec {
        v3_encode_payload: |packets| v3::encode_payload(packets) + "x",
        ..OURS
    };
    assert_reports("an encoded v3 payload decodes cleanly", || {
        v3_payload(&broken, "2:4a")
    });
    let swapped = Codec {
        v3_encode_payload: |packets| {
            let mut p = packets.to_vec();
            p.reverse();
            v3::encode_payload(&p)
        },
        ..OURS
    };
    assert_reports("left: [", || v3_payload(&swapped, "2:4a2:4b"));
    let lost = Codec {
        v3_decode_payload: |t, l| {
            let mut d = v3::decode_payload(t, l);
            if let Some(e) = &mut d.error {
                d.packets.push(Packet::new(engineio::PacketType::Noop));
                e.index = 0;
            }
            d
        },
        ..OURS
    };
    assert_reports("records before the error are kept", || {
        v3_payload(&lost, "2:4a9")
    });
    // engine_payload_v3 tries the body as a string payload…
    assert_reports("an encoded v3 payload decodes cleanly", || {
        engine_payload_v3(&broken, b"2:4a")
    });
}

#[test]
fn v3_binary_payloads_are_checked() {
    let body = [0, 2, 255, b'4', b'a'];
    let broken = Codec {
        v3_encode_binary_payload: |packets| {
            let mut b = v3::encode_binary_payload(packets);
            b.pop();
            b
        },
        ..OURS
    };
    assert_reports("left: Some(", || v3_binary_payload(&broken, &body));
    let swapped = Codec {
        v3_encode_binary_payload: |packets| {
            let mut p = packets.to_vec();
            p.reverse();
            v3::encode_binary_payload(&p)
        },
        ..OURS
    };
    let two = [0, 2, 255, b'4', b'a', 0, 2, 255, b'4', b'b'];
    assert_reports("left: [", || v3_binary_payload(&swapped, &two));
    let misplaced = Codec {
        v3_decode_binary_payload: |b, l| {
            let mut d = v3::decode_binary_payload(b, l);
            if let Some(e) = &mut d.error {
                e.index += 1;
            }
            d
        },
        ..OURS
    };
    assert_reports("every record before the error decoded", || {
        v3_binary_payload(&misplaced, &[0, 9, 255])
    });
    // …and as an XHR2 binary payload.
    assert_reports("left: Some(", || engine_payload_v3(&broken, &body));
}

// Socket.IO packets.

#[test]
fn a_socket_io_encoder_that_drops_the_namespace_is_reported() {
    let codec = Codec {
        sio_encode: |p| {
            let mut p = p.clone();
            p.nsp = "/".into();
            p.encode()
        },
        ..OURS
    };
    assert_reports("decode(encode(p)) == p", || {
        socket_packet(&codec, "2/chat,[\"a\"]")
    });
    assert_reports("decode(encode(p)) == p", || {
        socketio_packet(&codec, b"2/chat,[\"a\"]")
    });
}

#[test]
fn a_socket_io_decoder_that_breaks_packet_rules_is_reported() {
    let cases: [(Codec, &str); 5] = [
        (
            Codec {
                sio_decode: |t, l| {
                    let mut p = socketio::decode(t, l)?;
                    p.kind = socketio::PacketType::Unknown('9');
                    Ok(p)
                },
                ..OURS
            },
            "Unknown",
        ),
        (
            Codec {
                sio_decode: |t, l| {
                    let mut p = socketio::decode(t, l)?;
                    p.attachments = Some(1);
                    Ok(p)
                },
                ..OURS
            },
            "left: false",
        ),
        (
            Codec {
                sio_decode: |t, l| {
                    let mut p = socketio::decode(t, l)?;
                    p.attachments = p.attachments.map(|n| n + 100);
                    Ok(p)
                },
                ..OURS
            },
            "",
        ),
        (
            Codec {
                sio_decode: |t, l| {
                    let mut p = socketio::decode(t, l)?;
                    p.id = Some(socketio::MAX_ACK_ID + 1);
                    Ok(p)
                },
                ..OURS
            },
            "MAX_ACK_ID",
        ),
        (
            Codec {
                sio_decode: |t, l| {
                    let mut p = socketio::decode(t, l)?;
                    p.nsp = "/a,b".into();
                    Ok(p)
                },
                ..OURS
            },
            "contains(',')",
        ),
    ];
    for (codec, expected) in cases {
        let input = if expected.is_empty() {
            "51-[\"a\",{\"_placeholder\":true,\"num\":0}]"
        } else {
            "2[\"a\"]"
        };
        assert_reports(expected, || socket_packet(&codec, input));
        assert_reports(expected, || socketio_packet_fast(&codec, input.as_bytes()));
    }
}

#[test]
fn a_socket_io_payload_breaking_its_type_rules_is_reported() {
    // An EVENT whose decoder let a reserved name through.
    let codec = Codec {
        sio_decode: |t, l| {
            let mut p = socketio::decode(t, l)?;
            p.data = Some(socketio::RawJson::from_value(&serde_json::json!([
                "connect"
            ])));
            Ok(p)
        },
        ..OURS
    };
    assert_reports("payload rules hold", || socket_packet(&codec, "2[\"a\"]"));
}

#[test]
fn the_packet_decoder_and_the_reassembler_must_agree() {
    // A decoder that reads another event name than the reassembler (which uses the real one).
    let renamed = Codec {
        sio_decode: |t, l| {
            let mut p = socketio::decode(t, l)?;
            p.data = Some(socketio::RawJson::from_value(&serde_json::json!(["b"])));
            Ok(p)
        },
        ..OURS
    };
    assert_reports("agree", || socketio_packet(&renamed, b"2[\"a\"]"));
    // One that accepts what the reassembler refuses.
    let lenient = Codec {
        sio_decode: |_, _| Ok(socketio::Packet::new(socketio::PacketType::Connect, "/")),
        ..OURS
    };
    assert_reports("the packet decoder gave", || {
        socketio_packet(&lenient, b"9")
    });
    // One that refuses with another error.
    let other_error = Codec {
        sio_decode: |t, l| socketio::decode(t, l).map_err(|_| SocketError::InvalidJson),
        ..OURS
    };
    let report = report_of(|| socketio_packet(&other_error, b"9"));
    assert!(report.contains("left: Packet("), "{report}");
    // A binary header whose attachment count differs from the reassembler's (its encoder
    // consistent with it, so that the packet round trip holds).
    let recount = Codec {
        sio_decode: |t, l| {
            let mut p = socketio::decode(t, l)?;
            p.attachments = p.attachments.map(|n| n + 1);
            Ok(p)
        },
        sio_encode: |p| {
            let mut p = p.clone();
            p.attachments = p.attachments.map(|n| n - 1);
            p.encode()
        },
        ..OURS
    };
    let report =
        report_of(|| socketio_packet(&recount, b"51-[\"a\",{\"_placeholder\":true,\"num\":0}]"));
    assert!(report.contains("r.missing()"), "{report}");
}

#[test]
fn engine_packet_fast_checks_what_it_decodes() {
    let empty_text = Codec {
        decode_text: |_, _| Ok(Packet::text(engineio::PacketType::Message, "")),
        ..OURS
    };
    assert_reports("no packet has empty text data", || {
        engine_packet_fast(&empty_text, b"4a")
    });
    let binary_ping = Codec {
        decode_text: |_, _| {
            Ok(Packet {
                kind: engineio::PacketType::Ping,
                data: Some(Data::Binary(vec![1])),
            })
        },
        ..OURS
    };
    assert_reports("left: Ping", || engine_packet_fast(&binary_ping, b"4a"));
    let short = Codec {
        decode_binary: |b, _| Ok(Packet::binary(&b[1..])),
        ..OURS
    };
    assert_reports("b.len() == input.len()", || {
        engine_packet_fast(&short, &[1, 2])
    });
    let text_frame = Codec {
        v3_decode_binary_frame: |_, _| Ok(Packet::text(engineio::PacketType::Message, "x")),
        ..OURS
    };
    assert_reports("Some(Data::Binary(_))", || {
        engine_packet_fast(&text_frame, &[4, 1])
    });
    let wrong_error = Codec {
        v3_decode_binary_frame: |_, _| Err(EngineError::Empty),
        ..OURS
    };
    assert_reports("only the type byte can be wrong", || {
        engine_packet_fast(&wrong_error, &[4, 1])
    });
    engine_packet_fast(&OURS, b"4a");
    engine_packet_fast(&OURS, &[9, 1]);
}

// Reassembly.

const HEADER_AND_ATTACHMENT: &[u8] = b"51-[\"m\",{\"_placeholder\":true,\"num\":0}]\x00\x01\xff";

/// An encoder that forgets the attachments of a message.
fn without_attachments(m: &Message) -> Encoded {
    let mut e = m.encode();
    e.attachments.clear();
    e
}

#[test]
fn a_message_encoder_that_loses_attachments_is_reported() {
    let codec = Codec {
        encode_message: without_attachments,
        ..OURS
    };
    assert_reports("reassemble(encode(m)) == m", || {
        reassembler(&codec, HEADER_AND_ATTACHMENT)
    });
    // 0x00 splits frames and 0x01 marks a binary one: read otherwise, the message never
    // completes and nothing is re-encoded.
    reassembler(&OURS, HEADER_AND_ATTACHMENT);
}

#[test]
fn a_message_encoder_that_adds_an_attachment_is_reported() {
    let codec = Codec {
        encode_message: |m| {
            let mut e = m.encode();
            e.attachments.push(vec![1]);
            e
        },
        ..OURS
    };
    assert_reports("attachments still expected", || {
        reassembler(&codec, HEADER_AND_ATTACHMENT)
    });
    assert_reports("attachments still expected", || {
        reassembler(&codec, b"2[\"a\"]")
    });
}

fn header(count: u8, args: Vec<PlaceholderInput>) -> FrameInput {
    FrameInput::Header(HeaderInput {
        ack: false,
        count: super::structured::CountInput::Count(count),
        nsp: None,
        id: None,
        name: NameInput::Str("m".into()),
        args,
    })
}

fn reassembly(max_attachments: u8, frames: Vec<FrameInput>) -> ReassemblyInput {
    ReassemblyInput {
        max_attachments,
        frames,
    }
}

#[test]
fn the_reassembly_model_checks_every_step() {
    let two = reassembly(
        0,
        vec![
            header(
                2,
                vec![PlaceholderInput::Index(0), PlaceholderInput::Index(1)],
            ),
            FrameInput::Binary(vec![1]),
            FrameInput::Binary(vec![2]),
        ],
    );
    binary_reassembly(&OURS, &two);
    // The model's decoder reading one attachment fewer than the reassembler.
    let fewer = Codec {
        sio_decode: |t, l| {
            let mut p = socketio::decode(t, l)?;
            p.attachments = p.attachments.map(|n| n - 1);
            Ok(p)
        },
        ..OURS
    };
    assert_reports("", || binary_reassembly(&fewer, &two));
    // A completion that differs from the reassembler's.
    let complete = Codec {
        complete: |mut p, b| {
            p.nsp = "/x".into();
            reassembler::complete(p, b)
        },
        ..OURS
    };
    assert_reports("left: Ok(Some(", || binary_reassembly(&complete, &two));
    // The message round trip at the end.
    let lossy = Codec {
        encode_message: without_attachments,
        ..OURS
    };
    assert_reports("reassemble(encode(m)) == m", || {
        binary_reassembly(&lossy, &two)
    });
    // A model that takes a header for a complete message.
    let not_binary = Codec {
        sio_decode: |t, l| {
            let mut p = socketio::decode(t, l)?;
            if p.kind == socketio::PacketType::BinaryEvent {
                p.kind = socketio::PacketType::Event;
                p.attachments = None;
            }
            Ok(p)
        },
        ..OURS
    };
    assert_reports("a non-binary packet is a complete message", || {
        binary_reassembly(&not_binary, &two)
    });
}

#[test]
fn the_reassembly_model_uses_the_inputs_attachment_limit() {
    // The reassembler refuses 3 attachments over a limit of 2; a model decoder without the
    // limit expects a pending header. Were the input's limit not used, both would take it.
    let unlimited = Codec {
        sio_decode: |t, _| socketio::decode(t, &Limits::UNLIMITED),
        ..OURS
    };
    let three = reassembly(2, vec![header(3, vec![PlaceholderInput::Index(0)])]);
    binary_reassembly(&OURS, &three);
    assert_reports("a binary header waits for attachments", || {
        binary_reassembly(&unlimited, &three)
    });
    // 0 stands for Node's 10.
    let ten = reassembly(0, vec![header(10, vec![PlaceholderInput::Index(0)])]);
    binary_reassembly(&OURS, &ten);
    let eleven = reassembly(0, vec![header(11, vec![PlaceholderInput::Index(0)])]);
    binary_reassembly(&OURS, &eleven);
    assert_reports("a binary header waits for attachments", || {
        binary_reassembly(&unlimited, &eleven)
    });
}

#[test]
fn the_reassembly_model_follows_text_and_stray_binary() {
    let frames = reassembly(
        0,
        vec![
            FrameInput::Binary(vec![1]),
            header(2, vec![PlaceholderInput::Index(0)]),
            FrameInput::Text("2[\"a\"]".into()),
            FrameInput::Text("2[\"a\"]".into()),
        ],
    );
    binary_reassembly(&OURS, &frames);
    let lossy = Codec {
        sio_encode: |p| {
            let mut p = p.clone();
            p.nsp = "/x".into();
            p.encode()
        },
        ..OURS
    };
    assert_reports("reassemble(encode(m)) == m", || {
        binary_reassembly(&lossy, &frames)
    });
}

// Round trips of built inputs.

fn engine(kind: u8, data: EngineDataInput) -> EnginePacketInput {
    EnginePacketInput { kind, data }
}

fn roundtrip_input() -> RoundtripInput {
    RoundtripInput {
        engine: vec![
            engine(4, EngineDataInput::Text("hi".into())),
            engine(4, EngineDataInput::Binary(vec![1, 2])),
            engine(2, EngineDataInput::None),
        ],
        socket: SocketPacketInput {
            kind: 2,
            nsp: Some("chat".into()),
            id: Some(7),
            attachments: 0,
            name: NameInput::Str("ev".into()),
            data: Some(JsonInput::Array(vec![JsonInput::Int(1)])),
        },
        message: MessageInput {
            ack: false,
            nsp: None,
            id: None,
            name: NameInput::Str("m".into()),
            args: vec![
                JsonInput::Binary(vec![1]),
                JsonInput::Object(vec![(
                    "k".into(),
                    JsonInput::Array(vec![JsonInput::Binary(vec![2])]),
                )]),
            ],
        },
    }
}

#[test]
fn roundtrip_checks_every_encoder() {
    let input = roundtrip_input();
    roundtrip(&OURS, &input);
    let broken: [(Codec, &str); 12] = [
        (
            Codec {
                encode_polling: |p| p.encode_polling() + "x",
                ..OURS
            },
            "left: Ok(",
        ),
        (
            Codec {
                encode_ws: |p| Frame::Text(p.encode_polling() + "x"),
                ..OURS
            },
            "WebSocket frame of",
        ),
        (
            Codec {
                encode_payload: |ps| ps.iter().map(Packet::encode_polling).collect(),
                ..OURS
            },
            "left: [",
        ),
        (
            Codec {
                encode_payload: |ps| engineio::encode_payload(ps) + "\u{1e}9",
                ..OURS
            },
            "left: Some(",
        ),
        (
            Codec {
                v3_encode_packet: |p| v3::encode_packet(p) + "x",
                ..OURS
            },
            "left: Ok(",
        ),
        (
            Codec {
                v3_encode_ws: |p| Frame::Text(v3::encode_packet(p) + "x"),
                ..OURS
            },
            "v3 WebSocket frame of",
        ),
        (
            Codec {
                v3_encode_payload: |ps| v3::encode_payload(ps) + "x",
                ..OURS
            },
            "left: Some(",
        ),
        (
            Codec {
                v3_encode_payload: |ps| v3::encode_payload(&ps[1..]),
                ..OURS
            },
            "left: [",
        ),
        (
            Codec {
                v3_encode_binary_payload: |ps| v3::encode_binary_payload(&ps[1..]),
                ..OURS
            },
            "left: [",
        ),
        (
            Codec {
                v3_encode_binary_payload: |ps| {
                    let mut b = v3::encode_binary_payload(ps);
                    b.push(9);
                    b
                },
                ..OURS
            },
            "left: Some(",
        ),
        (
            Codec {
                sio_encode: |p| {
                    let mut p = p.clone();
                    p.id = None;
                    p.encode()
                },
                ..OURS
            },
            "decode(encode(p)) == p",
        ),
        (
            Codec {
                encode_message: |m| {
                    let mut e = m.encode();
                    e.attachments.pop();
                    e.packet.attachments = e.packet.attachments.map(|n| n - 1);
                    e
                },
                ..OURS
            },
            "one attachment per binary leaf",
        ),
    ];
    for (i, (codec, expected)) in broken.into_iter().enumerate() {
        let report = report_of(|| roundtrip(&codec, &input));
        assert!(report.contains(expected), "codec {i}: {report}");
    }
}

#[test]
fn roundtrip_checks_the_message_header_and_view() {
    let input = roundtrip_input();
    // Binary leaves must make a binary packet.
    let plain = Codec {
        encode_message: |m| {
            let mut e = m.encode();
            e.packet.kind = socketio::PacketType::Event;
            e
        },
        ..OURS
    };
    assert_reports("left: false", || roundtrip(&plain, &input));
    // A header whose wire text does not decode to it.
    let header = Codec {
        sio_encode: |p| {
            let mut p = p.clone();
            if p.kind.is_binary() {
                p.nsp = "/x".into();
            }
            p.encode()
        },
        ..OURS
    };
    assert_reports("the header decodes", || roundtrip(&header, &input));
    // Attachments in the wrong order: the view changes.
    let swapped = Codec {
        encode_message: |m| {
            let mut e = m.encode();
            e.attachments.reverse();
            e
        },
        ..OURS
    };
    assert_reports("message view preserved", || roundtrip(&swapped, &input));
    // A payload whose value changes on the way (a socket.io packet's data dropped).
    let dropped = Codec {
        sio_decode: |t, l| {
            let mut p = socketio::decode(t, l)?;
            if p.kind == socketio::PacketType::Event && p.nsp == "/chat" {
                p.data = Some(socketio::RawJson::from_value(&serde_json::json!(["ev", 2])));
            }
            Ok(p)
        },
        ..OURS
    };
    assert_reports("decode(encode(p)) == p", || roundtrip(&dropped, &input));
}

#[test]
fn a_roundtrip_of_no_engine_packet_skips_the_v4_payload() {
    // engine.io-parser has no empty v4 payload to round-trip; v3's empty payload is "".
    let input = RoundtripInput {
        engine: Vec::new(),
        ..roundtrip_input()
    };
    let codec = Codec {
        encode_payload: |_| "9".into(),
        ..OURS
    };
    roundtrip(&codec, &input);
}

// Fuzzer bytes.

#[test]
fn fuzzer_bytes_reach_the_bodies() {
    let bytes = [7u8; 64];
    let parsed = parse::<RoundtripInput>(&bytes).expect("bytes make a roundtrip input");
    assert!(!parsed.engine.is_empty() || parsed.socket.kind < 7);
    let broken = Codec {
        sio_encode: |p| p.encode() + "x",
        ..OURS
    };
    assert_reports("", || roundtrip_bytes(&broken, &bytes));
    roundtrip_bytes(&OURS, &bytes);
    // Text frames of U+0001, which no decoder takes for a packet.
    let frames = [1u8; 32];
    let parsed = parse::<ReassemblyInput>(&frames).expect("bytes make a reassembly input");
    assert!(!parsed.frames.is_empty(), "{parsed:?}");
    let renamed = Codec {
        sio_decode: |_, _| Err(SocketError::InvalidJson),
        ..OURS
    };
    assert_reports("", || binary_reassembly_bytes(&renamed, &frames));
    binary_reassembly_bytes(&OURS, &frames);
}

/// A decoder written from scratch (not wrapping ours) that finds no packet at all.
#[test]
fn a_hand_built_payload_decoder_is_checked_like_ours() {
    let empty = Codec {
        decode_payload: |_, _| DecodedPayload {
            packets: Vec::new(),
            error: None,
        },
        ..OURS
    };
    assert_reports("one packet per record", || engine_payload(&empty, b"4a"));
}
