//! The differential check's own parts: the cases a fuzz input stands for, the request sent to
//! `fuzz-diff.mjs`, our side's Node-shaped answer, and the verdict. A slip here would make the
//! check ask Node the wrong question or call a difference the same.

use serde_json::json;

use super::*;
use crate::error::{BinaryError, SocketError};

fn text(t: &str) -> Frame {
    Frame::Text(t.to_owned())
}

fn kinds(cases: &[Case]) -> Vec<(Kind, bool)> {
    cases
        .iter()
        .map(|c| (c.kind, matches!(c.frames[..], [Frame::Text(_)])))
        .collect()
}

#[test]
fn kinds_have_the_names_fuzz_diff_mjs_reads() {
    let names: Vec<&str> = [
        Kind::Eio4Packet,
        Kind::Eio3Packet,
        Kind::Eio4Payload,
        Kind::Eio3Payload,
        Kind::Sio,
    ]
    .into_iter()
    .map(Kind::name)
    .collect();
    assert_eq!(
        names,
        [
            "eio4-packet",
            "eio3-packet",
            "eio4-payload",
            "eio3-payload",
            "sio"
        ]
    );
}

#[test]
fn a_request_carries_the_kind_and_hex_frames() {
    let case = Case {
        kind: Kind::Sio,
        frames: vec![text("4a"), Frame::Binary(vec![0, 0xff, 0x10])],
    };
    assert_eq!(
        case.request(),
        json!({"kind": "sio", "frames": [{"text": "3461"}, {"binary": "00ff10"}]})
    );
    assert_eq!(case.describe(), r#"sio "4a" + <00ff10>"#);
}

#[test]
fn a_long_description_is_cut_at_300_bytes_on_a_char_boundary() {
    // `eio4-packet "` is 13 bytes, the closing quote 1.
    let exact = Case::one(Kind::Eio4Packet, text(&"a".repeat(286)));
    let d = exact.describe();
    assert_eq!(d.len(), 300);
    assert!(!d.ends_with('…'));
    let over = Case::one(Kind::Eio4Packet, text(&"a".repeat(287)));
    let d = over.describe();
    assert_eq!(d.len(), 300 + '…'.len_utf8());
    assert!(d.ends_with("aaa…"), "{d}");
    // Two-byte characters from byte 13: byte 300 falls inside one, so the cut moves back.
    let wide = Case::one(Kind::Eio4Packet, text(&"é".repeat(200)));
    let d = wide.describe();
    assert_eq!(d.len(), 299 + '…'.len_utf8(), "{d}");
    assert!(d.ends_with("é…"));
}

#[test]
fn a_raw_input_stands_for_the_decoders_its_target_tries() {
    use Kind::*;
    assert_eq!(
        kinds(&cases("engine_packet", b"4a")),
        [
            (Eio4Packet, true),
            (Eio3Packet, true),
            (Eio4Packet, false),
            (Eio3Packet, false)
        ]
    );
    assert_eq!(
        kinds(&cases("engine_packet", &[0xff])),
        [(Eio4Packet, false), (Eio3Packet, false)]
    );
    assert_eq!(
        kinds(&cases("engine_payload_v4", &[0xff])),
        [(Eio4Payload, true)]
    );
    assert_eq!(
        cases("engine_payload_v4", &[0xff])[0].frames,
        [text("\u{fffd}")]
    );
    assert_eq!(
        kinds(&cases("engine_payload_v3", b"1:4")),
        [(Eio3Payload, true), (Eio3Payload, false)]
    );
    assert_eq!(
        kinds(&cases("engine_payload_v3", &[0, 1, 255, 0xc3])),
        [(Eio3Payload, false)]
    );
    assert_eq!(kinds(&cases("socketio_packet", b"2[1]")), [(Sio, true)]);
    assert_eq!(cases("socketio_packet", b"2[1]")[0].frames, [text("2[1]")]);
    assert!(cases("session", b"2[1]").is_empty());
}

#[test]
fn a_structured_reassembly_input_is_one_sio_case_at_nodes_limits() {
    // max_attachments 0 (Node's default), frames "2" and "" (see the bytes' meaning below).
    let default_limit = [0u8, 1, 0, 0, 0, 5, b'2', b'[', b'1', b']'];
    let parsed =
        crate::fuzzing::parse::<crate::fuzzing::ReassemblyInput>(&default_limit).expect("an input");
    assert_eq!(parsed.max_attachments, 0);
    let c = cases("binary_reassembly", &default_limit);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, Kind::Sio);
    assert_eq!(c[0].frames.len(), parsed.frames.len());
    assert!(!c[0].frames.is_empty());
    // max_attachments 1: not comparable with Node's decoder.
    assert!(cases("binary_reassembly", &[1u8; 32]).is_empty());
    // No frame: nothing to ask.
    assert!(cases("binary_reassembly", &[0u8; 32]).is_empty());
}

#[test]
fn a_structured_roundtrip_input_asks_node_about_everything_we_encode() {
    let bytes = [7u8; 64];
    let parsed = crate::fuzzing::parse::<crate::fuzzing::RoundtripInput>(&bytes).expect("an input");
    let n = parsed.engine.len();
    let c = cases("roundtrip", &bytes);
    let count = |k: Kind| c.iter().filter(|c| c.kind == k).count();
    assert_eq!(count(Kind::Eio4Packet), n);
    assert_eq!(count(Kind::Eio3Packet), n);
    let payloads = usize::from(n > 0);
    assert_eq!(count(Kind::Eio4Payload), payloads);
    assert_eq!(count(Kind::Eio3Payload), 1 + payloads);
    assert_eq!(count(Kind::Sio), 2);
    // No engine packet: the v3 string payload only (an empty one is valid there).
    let none = cases("roundtrip", &[0u8; 64]);
    let parsed =
        crate::fuzzing::parse::<crate::fuzzing::RoundtripInput>(&[0u8; 64]).expect("an input");
    assert!(parsed.engine.is_empty());
    assert_eq!(
        kinds(&none),
        [
            (Kind::Eio3Payload, true),
            (Kind::Sio, true),
            (Kind::Sio, true)
        ]
    );
}

#[test]
fn variant_names_the_error_path() {
    assert_eq!(
        variant(r#"Packet(UnsupportedJson("x"))"#),
        "Packet::UnsupportedJson"
    );
    assert_eq!(variant("TooLarge { len: 3, max: 2 }"), "TooLarge");
    assert_eq!(variant("Empty"), "Empty");
    assert_eq!(variant("A(B x(C)"), "A::B");
    assert_eq!(variant("lower(Upper)"), "");
    assert_eq!(variant("Packet(7)"), "Packet");
    // Identifiers may hold underscores.
    assert_eq!(variant("Too_large(Is_it)"), "Too_large::Is_it");
}

#[test]
fn only_errors_node_does_not_raise_are_divergences() {
    assert_eq!(divergence(&EngineError::Empty, true), None);
    assert_eq!(
        divergence(&EngineError::V3InvalidBinaryType, false),
        Some(format!(
            "V3InvalidBinaryType: {}",
            EngineError::V3InvalidBinaryType
        ))
    );
}

fn entry(view: J) -> Entry {
    Entry {
        view,
        divergence: None,
    }
}

#[test]
fn our_side_answers_in_nodes_shape() {
    let one = |kind, frame| ours(&Case::one(kind, frame));
    let message = json!({"type": "message", "data": "a"});
    assert_eq!(one(Kind::Eio4Packet, text("4a")), [entry(message.clone())]);
    assert_eq!(
        one(Kind::Eio4Packet, Frame::Binary(vec![1])),
        [entry(json!({"type": "message", "data": {"$binary": "01"}}))]
    );
    assert_eq!(one(Kind::Eio3Packet, text("4a")), [entry(message.clone())]);
    assert_eq!(
        one(Kind::Eio3Packet, Frame::Binary(vec![4, 1])),
        [entry(json!({"type": "message", "data": {"$binary": "01"}}))]
    );
    let error = EngineError::UnknownType('9');
    assert_eq!(
        one(Kind::Eio4Packet, text("9")),
        [Entry {
            view: json!({"error": error.node_message()}),
            divergence: divergence(&error, error.node_rejects()),
        }]
    );
    let payload = one(Kind::Eio4Payload, text("4a\u{1e}9"));
    assert_eq!(payload.len(), 2);
    assert_eq!(payload[0], entry(message.clone()));
    assert_eq!(payload[1].view, json!({"error": error.node_message()}));
    assert_eq!(
        one(Kind::Eio4Payload, Frame::Binary(b"4a".to_vec())),
        [entry(message.clone())]
    );
    assert_eq!(
        one(Kind::Eio3Payload, text("2:4a")),
        [entry(message.clone())]
    );
    assert_eq!(
        one(
            Kind::Eio3Payload,
            Frame::Binary(vec![0, 2, 255, b'4', b'a'])
        ),
        [entry(message)]
    );
    assert!(
        ours(&Case {
            kind: Kind::Sio,
            frames: Vec::new()
        })
        .is_empty()
    );
}

#[test]
fn our_socket_io_side_follows_the_decoder_frame_by_frame() {
    let case = Case {
        kind: Kind::Sio,
        frames: vec![
            text(r#"51-["m",{"_placeholder":true,"num":0}]"#),
            Frame::Binary(vec![1]),
            text("9"),
        ],
    };
    let entries = ours(&case);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0], entry(json!({"pending": 1})));
    assert_eq!(
        entries[1].view,
        json!({"type": 2, "nsp": "/", "data": ["m", {"$binary": "01"}]})
    );
    let error = BinaryError::Packet(SocketError::UnknownType('9'));
    assert_eq!(
        entries[2],
        Entry {
            view: json!({"error": error.node_message()}),
            divergence: divergence(&error, error.node_rejects()),
        }
    );
}

#[test]
fn compare_finds_the_first_difference_and_knows_our_divergences() {
    let a = json!({"type": "message", "data": "a"});
    let b = json!({"type": "message", "data": "b"});
    assert_eq!(
        compare(&[entry(a.clone())], std::slice::from_ref(&a)),
        Verdict::Same
    );
    assert_eq!(compare(&[], &[]), Verdict::Same);
    assert_eq!(
        compare(
            &[entry(a.clone()), entry(a.clone())],
            &[a.clone(), b.clone()]
        ),
        Verdict::Differs {
            index: 1,
            ours: a.clone(),
            node: b.clone()
        }
    );
    assert_eq!(
        compare(&[], std::slice::from_ref(&a)),
        Verdict::Differs {
            index: 0,
            ours: J::Null,
            node: a.clone()
        }
    );
    let known = Entry {
        view: json!({"error": "x"}),
        divergence: Some("Why: we refuse it".into()),
    };
    assert_eq!(
        compare(&[known], &[]),
        Verdict::Known {
            index: 0,
            reason: "Why: we refuse it".into(),
            node: J::Null
        }
    );
}
