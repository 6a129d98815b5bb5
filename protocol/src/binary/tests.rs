use serde_json::json;

use super::*;
use crate::error::SocketError;
use crate::socketio::Message;

fn ph(n: serde_json::Value) -> serde_json::Value {
    json!({"_placeholder": true, "num": n})
}

#[test]
fn deconstruct_numbers_depth_first_in_document_order() {
    let v = Value::Array(vec![
        Value::String("m".into()),
        Value::Object(vec![
            ("x".into(), Value::Binary(vec![1])),
            ("y".into(), Value::Array(vec![Value::Binary(vec![2])])),
        ]),
        Value::Binary(vec![3]),
    ]);
    let (d, bufs) = deconstruct(&v);
    assert_eq!(
        d.to_view(),
        json!(["m", {"x": ph(json!(0)), "y": [ph(json!(1))]}, ph(json!(2))])
    );
    assert_eq!(bufs, vec![vec![1], vec![2], vec![3]]);
    assert!(v.has_binary() && !d.has_binary());
}

#[test]
fn renumbering_as_node_echoes() {
    // observed Node behaviour §4 #16: `452-["message",{"x":{ph1}},{ph0}]` + bins 01, 02
    // is echoed as `452-["message-back",{"x":{ph0}},{ph1}]` + bins 02, 01.
    let mut r = Reassembler::new(Limits::NODE);
    let header =
        r#"52-["message",{"x":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]"#;
    assert_eq!(r.push_text(header), Ok(None));
    assert_eq!(r.missing(), 2);
    assert_eq!(r.push_binary(&[1]), Ok(None));
    let m = r.push_binary(&[2]).unwrap().unwrap();
    assert_eq!(m.kind, PacketType::Event);
    assert_eq!(
        m.node_view(),
        json!({"type":2,"nsp":"/","data":["message",{"x":{"$binary":"02"}},{"$binary":"01"}]})
    );
    let Some(Value::Array(mut args)) = m.data else {
        panic!()
    };
    args[0] = Value::String("message-back".into());
    let echo = Message::event("/", "message-back", args.into_iter().skip(1)).encode();
    assert_eq!(
        echo.packet.encode(),
        r#"52-["message-back",{"x":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(echo.attachments, vec![vec![2], vec![1]]);
}

#[test]
fn binary_ack_nested() {
    // observed Node behaviour §4 #15: `451-1["message-with-ack",{"a":[{ph0}]}]` + bin 07 → ack `461-1[{"a":[{ph0}]}]`.
    let mut r = Reassembler::default();
    assert_eq!(
        r.push_text(r#"51-1["message-with-ack",{"a":[{"_placeholder":true,"num":0}]}]"#),
        Ok(None)
    );
    let m = r.push_binary(&[7]).unwrap().unwrap();
    assert_eq!(m.id, Some(1));
    let Some(Value::Array(args)) = m.data else {
        panic!()
    };
    let ack = Message {
        kind: PacketType::Ack,
        nsp: "/".into(),
        id: Some(1),
        data: Some(Value::Array(args[1..].to_vec())),
    };
    let e = ack.encode();
    assert_eq!(
        e.packet.encode(),
        r#"61-1[{"a":[{"_placeholder":true,"num":0}]}]"#
    );
    assert_eq!(e.attachments, vec![vec![7]]);
}

#[test]
fn placeholder_validation() {
    let one = [vec![1u8]];
    let two = [vec![1u8], vec![2u8]];
    // Node 4.2.7 "illegal attachments": not a number, negative, out of range, missing.
    for (num, bufs) in [
        (json!(1), &one[..]),
        (json!(1.5), &one[..]),
        (json!("0"), &one[..]),
        (json!(-1), &one[..]),
        (json!(1e300), &one[..]),
        (json!(null), &one[..]),
        (json!({"__proto__": 0}), &one[..]),
        (json!(0), &[][..]),
    ] {
        let e = reconstruct(&json!(["a", ph(num.clone())]), bufs).unwrap_err();
        assert!(
            matches!(e, BinaryError::IllegalPlaceholder(_)),
            "num {num}: {e:?}"
        );
        assert_eq!(e.node_message(), "illegal attachments");
    }
    let e = reconstruct(&json!(["a", {"_placeholder": true}]), &one).unwrap_err();
    assert_eq!(e, BinaryError::IllegalPlaceholder("undefined".into()));
    // Node: buffers[0.5] is undefined (no error): null in an array, left out of an object, as a
    // re-emitted value is written by JSON.stringify (transcript sio.binary.placeholder-fractional-index).
    let undefined = reconstruct(
        &json!(["a", ph(json!(0.5)), {"k": ph(json!(1.5)), "j": 1}]),
        &two,
    );
    assert_eq!(
        undefined.map(|v| v.to_json()),
        Ok(r#"["a",null,{"j":1}]"#.to_owned())
    );
    // Accepted as by Node: integral spellings, extra keys dropped, key order free, duplicates.
    for data in [
        json!(["a", ph(json!(0.0))]),
        json!(["a", {"_placeholder": true, "num": 0, "x": 1}]),
        json!(["a", {"num": 0, "_placeholder": true}]),
    ] {
        assert_eq!(
            reconstruct(&data, &one).unwrap().to_view(),
            json!(["a", {"$binary": "01"}])
        );
    }
    let dup = reconstruct(&json!(["a", ph(json!(0)), ph(json!(0))]), &two).unwrap();
    assert_eq!(
        dup.to_view(),
        json!(["a", {"$binary": "01"}, {"$binary": "01"}])
    );
    // Not placeholders: `_placeholder` must be exactly true.
    let not = json!(["a", {"_placeholder": 1, "num": 0}]);
    assert_eq!(reconstruct(&not, &one).unwrap().to_view(), not);
    // A `__proto__` key is an ordinary key.
    let proto = reconstruct(&json!(["a", {"__proto__": ph(json!(0))}]), &one).unwrap();
    assert_eq!(
        proto.to_view(),
        json!(["a", {"__proto__": {"$binary": "01"}}])
    );
}

#[test]
fn reassembler_errors_match_node_messages() {
    let mut r = Reassembler::default();
    let e = r.push_binary(&[1]).unwrap_err();
    assert_eq!(
        e.node_message(),
        "got binary data when not reconstructing a packet"
    );
    r.push_text(r#"51-["a",{"_placeholder":true,"num":0}]"#)
        .unwrap();
    assert!(r.is_reconstructing());
    let e = r.push_text(r#"2["x"]"#).unwrap_err();
    assert_eq!(
        e.node_message(),
        "got plaintext data when reconstructing a packet"
    );
    assert!(!r.is_reconstructing());
    let e = r.push_text(r#"511-["a"]"#).unwrap_err();
    assert_eq!(
        e,
        BinaryError::Packet(SocketError::TooManyAttachments {
            count: "11".into(),
            max: 10
        })
    );
    assert_eq!(e.node_message(), "too many attachments");
    // Engine `4abc` carries the Socket.IO text `abc`.
    assert_eq!(
        r.push_text("abc").unwrap_err().node_message(),
        "unknown packet type NaN"
    );
    r.push_text(r#"51-["a",{"_placeholder":true,"num":1}]"#)
        .unwrap();
    assert_eq!(
        r.push_binary(&[1]).unwrap_err().node_message(),
        "illegal attachments"
    );
    // Plain packets pass straight through, with data converted.
    let m = r.push_text(r#"2["a",{"b":1,"1":2}]"#).unwrap().unwrap();
    assert_eq!(m.data.unwrap().to_json(), r#"["a",{"1":2,"b":1}]"#);
    // A BINARY_ACK with no payload completes with no data.
    r.push_text("61-").unwrap();
    let m = r.push_binary(&[1]).unwrap().unwrap();
    assert_eq!((m.kind, m.data), (PacketType::Ack, None));
}

#[test]
fn reassembly_round_trips() {
    let frames = [
        r#"52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        r#"61-1[{"a":[{"_placeholder":true,"num":0}]}]"#,
    ];
    for f in frames {
        let mut r = Reassembler::default();
        assert_eq!(r.push_text(f), Ok(None));
        let mut out = Ok(None);
        for i in 0..r.missing() {
            out = r.push_binary(&[i as u8]);
        }
        let m = out.unwrap().unwrap();
        let e = m.encode();
        assert_eq!(e.packet.encode(), f, "server frame re-encodes exactly");
        assert_eq!(e.attachments.len(), e.packet.attachments.unwrap());
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| Value::Number(f64::from(n))),
            (-1e300f64..1e300).prop_map(Value::Number),
            "[a-z\"\\\\\u{0}-\u{1f}é😀]{0,6}".prop_map(Value::String),
            proptest::collection::vec(any::<u8>(), 0..4).prop_map(Value::Binary),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                // Keys that are not array indices keep insertion order in JavaScript.
                proptest::collection::vec(("k[a-z]{0,3}", inner), 0..4).prop_map(|kv| {
                    let mut seen = std::collections::HashSet::new();
                    Value::Object(
                        kv.into_iter()
                            .filter(|(k, _)| seen.insert(k.clone()))
                            .collect(),
                    )
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn message_encode_then_reassemble_is_identity(
            name in "[a-z]{1,5}",
            args in proptest::collection::vec(value(), 0..4),
            id in proptest::option::of(0u64..=crate::socketio::MAX_ACK_ID),
            nsp in prop_oneof![Just("/".to_owned()), "/[a-z]{1,4}"],
        ) {
            let mut m = Message::event(nsp, &name, args);
            m.id = id;
            let e = m.encode();
            prop_assume!(e.attachments.len() <= 10);
            let mut r = Reassembler::default();
            let mut out = r.push_text(&e.packet.encode());
            for a in &e.attachments {
                prop_assert_eq!(&out, &Ok(None));
                out = r.push_binary(a);
            }
            prop_assert_eq!(out, Ok(Some(m)));
        }

        #[test]
        fn socket_packet_decoder_never_panics_and_is_stable(s in "[0-9 /,a-z\\-\\[\\]{}\":.]{0,24}") {
            crate::fuzzing::socket_packet(&s);
        }

        #[test]
        fn engine_payload_decoder_is_stable(s in proptest::collection::vec(any::<u8>(), 0..32)) {
            crate::fuzzing::engine_payload(&s);
            crate::fuzzing::v3_binary_payload(&s);
            crate::fuzzing::reassembler(&s);
        }

        #[test]
        fn v3_payload_decoder_is_stable(s in "[0-9:b4a€😀]{0,16}") {
            crate::fuzzing::v3_payload(&s);
        }
    }
}
