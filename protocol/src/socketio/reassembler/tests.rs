use serde_json::json;

use super::*;
use crate::error::SocketError;

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
            crate::fuzzing::socket_packet(&crate::fuzzing::Codec::OURS, &s);
        }

        #[test]
        fn engine_payload_decoder_is_stable(s in proptest::collection::vec(any::<u8>(), 0..32)) {
            crate::fuzzing::engine_payload(&crate::fuzzing::Codec::OURS, &s);
            crate::fuzzing::v3_binary_payload(&crate::fuzzing::Codec::OURS, &s);
            crate::fuzzing::reassembler(&crate::fuzzing::Codec::OURS, &s);
        }

        #[test]
        fn v3_payload_decoder_is_stable(s in "[0-9:b4a€😀]{0,16}") {
            crate::fuzzing::v3_payload(&crate::fuzzing::Codec::OURS, &s);
        }
    }
}
