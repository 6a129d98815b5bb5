use serde_json::json;

use super::*;
use crate::error::SocketError as E;

const L: Limits = Limits::NODE;

fn ok(s: &str) -> serde_json::Value {
    match decode(s, &L) {
        Ok(p) => p.node_view(),
        Err(e) => panic!("{s:?} rejected: {e:?}"),
    }
}

fn err(s: &str) -> E {
    match decode(s, &L) {
        Ok(p) => panic!("{s:?} accepted: {p:?}"),
        Err(e) => e,
    }
}

/// Each input and outcome below was observed with node 20 + socket.io-parser 4.2.7
/// (`new Decoder().add(s)`), the shape being `{type, nsp, id, data}`.
#[test]
fn accepted_as_node_accepts() {
    let cases = [
        // Number("") and Number(" ") are 0: CONNECT.
        ("", json!({"type":0,"nsp":"/"})),
        (" ", json!({"type":0,"nsp":"/"})),
        (" {}", json!({"type":0,"nsp":"/","data":{}})),
        ("\u{3000}{}", json!({"type":0,"nsp":"/","data":{}})),
        // No payload at all is not validated.
        ("2", json!({"type":2,"nsp":"/"})),
        ("3", json!({"type":3,"nsp":"/"})),
        ("0", json!({"type":0,"nsp":"/"})),
        ("1", json!({"type":1,"nsp":"/"})),
        ("1/a,", json!({"type":1,"nsp":"/a"})),
        // Event names: a number or a non-reserved string.
        ("2[1]", json!({"type":2,"nsp":"/","data":[1]})),
        ("2[\"1\"]", json!({"type":2,"nsp":"/","data":["1"]})),
        (
            "2[\"__proto__\"]",
            json!({"type":2,"nsp":"/","data":["__proto__"]}),
        ),
        ("0{}", json!({"type":0,"nsp":"/","data":{}})),
        ("4\"x\"", json!({"type":4,"nsp":"/","data":"x"})),
        ("4{}", json!({"type":4,"nsp":"/","data":{}})),
        ("3[]", json!({"type":3,"nsp":"/","data":[]})),
        // Ack ids: Number() of the run of digits and whitespace.
        (
            "2007[\"a\"]",
            json!({"type":2,"nsp":"/","id":7,"data":["a"]}),
        ),
        ("2 [\"a\"]", json!({"type":2,"nsp":"/","id":0,"data":["a"]})),
        (
            "2 5[\"a\"]",
            json!({"type":2,"nsp":"/","id":5,"data":["a"]}),
        ),
        (
            "25 [\"a\"]",
            json!({"type":2,"nsp":"/","id":5,"data":["a"]}),
        ),
        (
            "2/a,1 [\"a\"]",
            json!({"type":2,"nsp":"/a","id":1,"data":["a"]}),
        ),
        ("21", json!({"type":2,"nsp":"/","id":1})),
        ("21 ", json!({"type":2,"nsp":"/","id":1})),
        (
            "29007199254740991[\"a\"]",
            json!({"type":2,"nsp":"/","id":9_007_199_254_740_991_u64,"data":["a"]}),
        ),
        // Namespaces run to the first comma or the end.
        (
            "2/admin,[\"a,b\"]",
            json!({"type":2,"nsp":"/admin","data":["a,b"]}),
        ),
        ("0/custom", json!({"type":0,"nsp":"/custom"})),
        ("0/custom,", json!({"type":0,"nsp":"/custom"})),
        ("2/", json!({"type":2,"nsp":"/"})),
        ("2/,[\"a\"]", json!({"type":2,"nsp":"/","data":["a"]})),
        ("2/a,1", json!({"type":2,"nsp":"/a","id":1})),
        ("2//a,[\"a\"]", json!({"type":2,"nsp":"//a","data":["a"]})),
        ("2/admin[\"a\"]", json!({"type":2,"nsp":"/admin[\"a\"]"})),
        // JSON.parse allows surrounding JSON whitespace; duplicate keys keep the last value.
        ("2[\"a\"] ", json!({"type":2,"nsp":"/","data":["a"]})),
        (
            "2 [\"a\"] ",
            json!({"type":2,"nsp":"/","id":0,"data":["a"]}),
        ),
        (
            "2[\"a\",{\"a\":1,\"a\":2}]",
            json!({"type":2,"nsp":"/","data":["a",{"a":2}]}),
        ),
    ];
    for (input, want) in cases {
        assert_eq!(ok(input), want, "input {input:?}");
    }
}

#[test]
fn binary_headers_as_node() {
    // Node leaves these pending (waiting for attachments): the count is Number(text) and valid.
    for (input, n) in [
        ("51-[\"a\"]", 1),
        ("510-[\"a\"]", 10),
        ("5 1-[\"a\"]", 1),
        ("5+1-[\"a\"]", 1),
        ("51.0-[\"a\"]", 1),
        ("50x1-[\"a\"]", 1),
        ("51e0-[\"a\"]", 1),
        ("5001-[\"a\"]", 1),
        ("51-", 1),
        ("61-[]", 1),
        ("51-/a,2[\"a\"]", 1),
    ] {
        let p = decode(input, &L).unwrap_or_else(|e| panic!("{input:?}: {e:?}"));
        assert_eq!(p.attachments, Some(n), "{input:?}");
    }
    let p = decode("51-/a,2[\"a\"]", &L).unwrap();
    assert_eq!((p.nsp.as_str(), p.id), ("/a", Some(2)));
}

#[test]
fn rejected_as_node_rejects() {
    let cases: &[(&str, E, &str)] = &[
        ("7", E::UnknownType('7'), "unknown packet type 7"),
        ("9[]", E::UnknownType('9'), "unknown packet type 9"),
        ("abc", E::UnknownType('a'), "unknown packet type NaN"),
        ("😀", E::UnknownType('😀'), "unknown packet type NaN"),
        // Attachment counts (advisory: unbounded counts, junk around the count).
        (
            "5-[\"a\"]",
            E::AttachmentsNotPositiveInteger(String::new()),
            "Illegal attachments",
        ),
        (
            "50-[\"a\"]",
            E::AttachmentsNotPositiveInteger("0".into()),
            "Illegal attachments",
        ),
        (
            "5-1-[\"a\"]",
            E::AttachmentsNotPositiveInteger(String::new()),
            "Illegal attachments",
        ),
        (
            "51.5-[\"a\"]",
            E::AttachmentsNotPositiveInteger("1.5".into()),
            "Illegal attachments",
        ),
        (
            "5 -[\"a\"]",
            E::AttachmentsNotPositiveInteger(" ".into()),
            "Illegal attachments",
        ),
        (
            "5Infinity-[]",
            E::AttachmentsNotPositiveInteger("Infinity".into()),
            "Illegal attachments",
        ),
        (
            "5x1-[\"a\"]",
            E::AttachmentsNotANumber("x1".into()),
            "Illegal attachments",
        ),
        (
            "51x-[\"a\"]",
            E::AttachmentsNotANumber("1x".into()),
            "Illegal attachments",
        ),
        ("51", E::AttachmentsUnterminated, "Illegal attachments"),
        (
            "51[\"a\"]",
            E::AttachmentsNotANumber("1[\"a\"]".into()),
            "Illegal attachments",
        ),
        (
            "511-[\"a\"]",
            E::TooManyAttachments {
                count: "11".into(),
                max: 10,
            },
            "too many attachments",
        ),
        (
            "51000000-[\"a\"]",
            E::TooManyAttachments {
                count: "1000000".into(),
                max: 10,
            },
            "too many attachments",
        ),
        // Payload shapes.
        ("2[]", E::InvalidEventName, "invalid payload"),
        ("2[{}]", E::InvalidEventName, "invalid payload"),
        ("2[null]", E::InvalidEventName, "invalid payload"),
        ("2[[1]]", E::InvalidEventName, "invalid payload"),
        ("2[true]", E::InvalidEventName, "invalid payload"),
        ("2{}", E::PayloadNotArray, "invalid payload"),
        ("2{\"0\":\"a\"}", E::PayloadNotArray, "invalid payload"),
        (
            "2[\"connect\"]",
            E::ReservedEventName("connect".into()),
            "invalid payload",
        ),
        (
            "2[\"newListener\"]",
            E::ReservedEventName("newListener".into()),
            "invalid payload",
        ),
        ("2[\"message\",Infinity]", E::InvalidJson, "invalid payload"),
        ("2[\"a\"]x", E::InvalidJson, "invalid payload"),
        (
            "2abc[\"message-with-ack\",1]",
            E::InvalidJson,
            "invalid payload",
        ),
        ("2/admin[\"a,b\"]", E::InvalidJson, "invalid payload"),
        ("2/a,b,[\"x\"]", E::InvalidJson, "invalid payload"),
        ("0null", E::ConnectPayloadNotObject, "invalid payload"),
        ("0[]", E::ConnectPayloadNotObject, "invalid payload"),
        ("0\"s\"", E::ConnectPayloadNotObject, "invalid payload"),
        ("\t[1]", E::ConnectPayloadNotObject, "invalid payload"),
        ("1{}", E::DisconnectWithPayload, "invalid payload"),
        ("4[]", E::ConnectErrorPayloadInvalid, "invalid payload"),
        ("4null", E::ConnectErrorPayloadInvalid, "invalid payload"),
        ("3{}", E::PayloadNotArray, "invalid payload"),
        ("61-{}", E::PayloadNotArray, "invalid payload"),
        (
            "51-[{\"_placeholder\":true,\"num\":0}]",
            E::InvalidEventName,
            "invalid payload",
        ),
    ];
    for (input, want, node) in cases {
        let e = err(input);
        assert_eq!(&e, want, "input {input:?}");
        assert_eq!(e.node_message(), *node, "input {input:?}");
        assert!(e.node_rejects());
    }
}

#[test]
fn documented_divergences() {
    // Node: id NaN ("1 2"), or a rounded number above 2^53 (12345678901234567000). We reject.
    for input in [
        "21 2[\"a\"]",
        "212345678901234567890[\"a\"]",
        // 2^53: exact in Node, but not a safe integer (MAX_ACK_ID is 2^53 − 1).
        "29007199254740992[\"a\"]",
        "29007199254740993[\"a\"]",
    ] {
        let e = err(input);
        assert!(matches!(e, E::AckIdNotSafeInteger(_)), "{input:?}: {e:?}");
        assert!(!e.node_rejects());
    }
    // Node: 1e400 parses as Infinity. serde_json cannot hold it.
    let e = err("2[\"message\",1e400]");
    assert!(
        matches!(e, E::UnsupportedJson(_)) && !e.node_rejects(),
        "{e:?}"
    );
    let deep = format!("2[\"a\",{}{}]", "[".repeat(200), "]".repeat(200));
    assert!(matches!(err(&deep), E::UnsupportedJson(_)));
    // Node keeps a lone surrogate escape in the string.
    assert!(matches!(err("2[\"a\",\"\\ud800\"]"), E::UnsupportedJson(_)));
}

#[test]
fn max_attachments_is_configurable() {
    let tight = Limits {
        max_attachments: 1,
        ..Limits::NODE
    };
    assert!(decode("51-[\"a\"]", &tight).is_ok());
    assert!(matches!(
        decode("52-[\"a\"]", &tight),
        Err(E::TooManyAttachments { .. })
    ));
}

#[test]
fn server_frames_re_encode_to_the_same_bytes() {
    // Server frames from behaviour tags §2.2 and §4 (the engine `4` prefix stripped).
    for frame in [
        "0",
        "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
        "0{\"sid\":\"Ctnd-x74WAF7rzm5AAAA\"}",
        "4{\"message\":\"Not authorized\"}",
        "4/admin,{\"message\":\"Not authorized\",\"data\":{\"reason\":\"no token\"}}",
        "4/nope,{\"message\":\"Invalid namespace\"}",
        "2[\"foo\"]",
        "2/admin,[\"bar\"]",
        "212[\"foo\"]",
        "3/admin,13[\"bar\"]",
        "31[1]",
        "3456[1,\"2\",{\"3\":[false]}]",
        "2[\"message-back\",1,\"2\",{\"3\":[true]}]",
        "2[\"hello\",1,\"Q8N3jh3\"]",
        "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]",
        "52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        "52-[\"message-back\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        "61-1[{\"a\":[{\"_placeholder\":true,\"num\":0}]}]",
        "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]",
        "62-789[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
        "1",
        "1/admin,",
        "2[\"x\",1.0,1e5,-0,{\"b\":1,\"1\":2}]",
    ] {
        let p = decode(frame, &L).unwrap_or_else(|e| panic!("{frame:?}: {e:?}"));
        assert_eq!(p.encode(), frame);
    }
}

#[test]
fn packets_round_trip_and_build_from_values() {
    let packets = [
        Packet::event("/", &json!(["message", 1, "2", {"3": [true]}])),
        Packet::event("/custom", &json!(["auth", {}])).with_id(0),
        Packet::ack("/", 456, &json!([1, "2", {"3": [false]}])),
        Packet::new(PacketType::Connect, "/custom"),
        Packet::with_value(PacketType::Connect, "/", &json!({"token": "123"})),
        Packet::new(PacketType::Disconnect, "/admin"),
        Packet::with_value(PacketType::ConnectError, "/", &json!("plain")),
        Packet {
            kind: PacketType::BinaryEvent,
            attachments: Some(2),
            ..Packet::event(
                "/a",
                &json!(["m", {"_placeholder": true, "num": 0}, {"_placeholder": true, "num": 1}]),
            )
        },
    ];
    for p in packets {
        let s = p.encode();
        assert_eq!(decode(&s, &L).as_ref(), Ok(&p), "{s}");
    }
    assert_eq!(Packet::ack("/", 456, &json!([1])).encode(), "3456[1]");
    assert_eq!(
        Packet {
            kind: PacketType::Unknown('x'),
            ..Packet::new(PacketType::Event, "/")
        }
        .encode(),
        "x"
    );
}

#[test]
fn messages_encode_as_node_encoder() {
    use crate::binary::Value as V;
    let m = Message::event(
        "/",
        "message-back",
        [V::Binary(vec![1, 2, 3]), V::Number(1.0), V::Binary(vec![4])],
    );
    let e = m.encode();
    assert_eq!(
        e.packet.encode(),
        "52-[\"message-back\",{\"_placeholder\":true,\"num\":0},1,{\"_placeholder\":true,\"num\":1}]"
    );
    assert_eq!(e.attachments, vec![vec![1, 2, 3], vec![4]]);
    let plain = Message::event(
        "/chat",
        "x",
        [V::Number(1e21), V::String("a\"\n\u{1}".into())],
    );
    assert_eq!(
        plain.encode().packet.encode(),
        "2/chat,[\"x\",1e+21,\"a\\\"\\n\\u0001\"]"
    );
    assert_eq!(
        plain.node_view(),
        json!({"type":2,"nsp":"/chat","data":["x",1e21,"a\"\n\u{1}"]})
    );
}

/// Found by the `roundtrip` fuzz target (10-minute campaign): with serde_json's `raw_value`
/// feature on, an object whose key is serde_json's private raw-value token was not an ordinary
/// key, so a payload Node accepts was rejected as invalid JSON. The feature is off now; the key
/// is an ordinary key, as for JSON.parse.
#[test]
fn regression_serde_json_raw_value_token_is_an_ordinary_key() {
    let text = r#"2["m",{"$serde_json::private::RawValue":{"a":[1]}}]"#;
    let packet = decode(text, &Limits::NODE).expect("Node accepts any object key");
    assert_eq!(packet.encode(), text);
    let text = r#"4{"message":[{"$serde_json::private::RawValue":null}]}"#;
    assert_eq!(
        decode(text, &Limits::NODE).map(|p| p.encode()),
        Ok(text.to_owned())
    );
}

/// Advisory (reserved event names): every name of socket.io-parser's `RESERVED_EVENTS` is
/// refused as an event, plain or binary, in any namespace and with an ack id; names that only
/// look like one are ordinary events.
#[test]
fn every_reserved_event_name_is_refused() {
    for name in RESERVED_EVENTS {
        for input in [
            format!("2[\"{name}\"]"),
            format!("2/admin,7[\"{name}\",1]"),
            format!("51-[\"{name}\",{{\"_placeholder\":true,\"num\":0}}]"),
        ] {
            assert_eq!(
                err(&input),
                E::ReservedEventName(name.to_owned()),
                "input {input:?}"
            );
        }
    }
    for name in [
        "Connect",
        "connect ",
        "connecting",
        "disconnected",
        "new_listener",
    ] {
        ok(&format!("2[\"{name}\"]"));
    }
}

/// A payload is kept as the exact text received, whitespace and number spelling included, so a
/// decoded frame re-encodes to the same bytes: Display is that text, Debug names the type around
/// it.
#[test]
fn raw_json_formats_as_its_exact_text() {
    let raw = RawJson::new(" [1, 2.50] ").unwrap();
    assert_eq!(raw.to_string(), " [1, 2.50] ");
    assert_eq!(format!("{raw:?}"), "RawJson( [1, 2.50] )");
    assert_eq!(raw.as_str(), " [1, 2.50] ");
    assert_eq!(raw.to_value(), json!([1, 2.5]));
    assert_eq!(
        RawJson::from_value(&json!({"a": [true]})).to_string(),
        r#"{"a":[true]}"#
    );
    assert_eq!(RawJson::new("[1,"), Err(E::InvalidJson));
}
