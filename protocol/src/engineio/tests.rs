use super::*;

const L: Limits = Limits::NODE;

#[test]
fn decode_text_rules_match_engine_io_parser() {
    // Verified with node + engine.io-parser 5.2.3 decodePacket.
    assert_eq!(decode_text("", &L), Err(EngineError::Empty));
    assert_eq!(decode_text("4", &L), Ok(Packet::new(PacketType::Message)));
    assert_eq!(decode_text("4hello", &L), Ok(Packet::message("hello")));
    assert_eq!(
        decode_text("2probe", &L),
        Ok(Packet::text(PacketType::Ping, "probe"))
    );
    assert_eq!(decode_text("6", &L), Ok(Packet::new(PacketType::Noop)));
    assert_eq!(decode_text("7", &L), Err(EngineError::UnknownType('7')));
    assert_eq!(decode_text("abc", &L), Err(EngineError::UnknownType('a')));
    assert_eq!(decode_text(" 4", &L), Err(EngineError::UnknownType(' ')));
    assert_eq!(decode_text("bAQID", &L), Ok(Packet::binary([1, 2, 3])));
    assert_eq!(decode_text("b", &L), Ok(Packet::binary([])));
    assert_eq!(
        decode_text("abc", &L).unwrap_err().node_message(),
        "parser error"
    );
}

#[test]
fn binary_frames_are_always_messages() {
    assert_eq!(decode_binary(&[0, 1, 2], &L), Ok(Packet::binary([0, 1, 2])));
    assert_eq!(decode_binary(&[], &L), Ok(Packet::binary([])));
}

#[test]
fn max_payload_is_a_distinct_error() {
    let small = Limits {
        max_payload: 4,
        ..Limits::NODE
    };
    // Exactly the limit is accepted, as in Node ("contentLength > maxHttpBufferSize" in
    // engine.io's polling.js, "> this._maxPayload" in ws's receiver.js).
    assert!(decode_text("4abc", &small).is_ok());
    assert_eq!(decode_binary(&[0; 4], &small), Ok(Packet::binary([0; 4])));
    assert_eq!(
        decode_payload(b"4abc", &small).packets,
        vec![Packet::message("abc")]
    );
    assert_eq!(
        decode_text("4abcd", &small),
        Err(EngineError::TooLarge { len: 5, max: 4 })
    );
    assert_eq!(
        decode_binary(&[0; 5], &small),
        Err(EngineError::TooLarge { len: 5, max: 4 })
    );
    let d = decode_payload(b"4abcd", &small);
    assert_eq!(d.packets, vec![]);
    assert_eq!(
        d.error,
        Some(PayloadError {
            index: 0,
            error: EngineError::TooLarge { len: 5, max: 4 }
        })
    );
    // The limit counts bytes, not characters.
    assert!(decode_text("4€", &small).is_ok());
    assert!(decode_text("4€€", &small).is_err());
}

#[test]
fn encoding_for_websocket_and_polling() {
    assert_eq!(
        Packet::message("hello").encode_ws(),
        Frame::Text("4hello".into())
    );
    assert_eq!(
        Packet::binary([1, 2, 3, 4]).encode_ws(),
        Frame::Binary(vec![1, 2, 3, 4])
    );
    assert_eq!(Packet::binary([1, 2, 3, 4]).encode_polling(), "bAQIDBA==");
    assert_eq!(Packet::new(PacketType::Ping).encode_polling(), "2");
    // Node: PACKET_TYPES[type] + (data || ""): empty text is written as nothing.
    assert_eq!(Packet::message("").encode_polling(), "4");
    // Invalid packets can be built and encoded.
    assert_eq!(
        Packet::text(PacketType::Unknown('9'), "x").encode_polling(),
        "9x"
    );
}

#[test]
fn payloads_round_trip() {
    let packets = vec![Packet::message("hello"), Packet::binary([1, 2, 3, 4])];
    assert_eq!(encode_payload(&packets), "4hello\u{1e}bAQIDBA==");
    assert_eq!(
        decode_payload(b"4hello\x1ebAQIDBA==", &L).into_result(),
        Ok(packets)
    );
    let three = "4test1\u{1e}4test2\u{1e}4test3";
    assert_eq!(
        encode_payload(&decode_payload(three.as_bytes(), &L).into_result().unwrap()),
        three
    );
    assert_eq!(
        decode_payload(b"6\x1e1", &L).packets,
        vec![
            Packet::new(PacketType::Noop),
            Packet::new(PacketType::Close)
        ]
    );
}

#[test]
fn payload_errors_keep_the_packets_before_them() {
    // engine.io-parser decodePayload: packets are pushed until the first error packet.
    let d = decode_payload(b"4a\x1e4b\x1eabc\x1e4c", &L);
    assert_eq!(d.packets, vec![Packet::message("a"), Packet::message("b")]);
    assert_eq!(
        d.error,
        Some(PayloadError {
            index: 2,
            error: EngineError::UnknownType('a')
        })
    );
    // An empty body and an empty record are errors.
    assert_eq!(
        decode_payload(b"", &L).error,
        Some(PayloadError {
            index: 0,
            error: EngineError::Empty
        })
    );
    let d = decode_payload(b"4a\x1e", &L);
    assert_eq!((d.packets.len(), d.error.map(|e| e.index)), (1, Some(1)));
    // Invalid UTF-8 becomes U+FFFD, as Node's string decoding of the body.
    assert_eq!(
        decode_payload(b"4\xff", &L).into_result(),
        Ok(vec![Packet::message("\u{fffd}")])
    );
}

#[test]
fn handshake_keeps_node_key_order() {
    let text = r#"{"sid":"Ctnd-x74WAF7rzm5AAAA","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;
    let frame = format!("0{text}");
    let p = decode_text(&frame, &L).unwrap();
    let h = Handshake::from_json(p.text_data().unwrap()).unwrap();
    assert_eq!(h.max_payload, Some(1_000_000));
    assert_eq!(Packet::open(&h).encode_polling(), frame);
    // Lenient about key order and unknown keys; maxPayload optional (v3).
    let h3 = Handshake::from_json(
        r#"{"pingTimeout":5000,"sid":"x","pingInterval":25000,"upgrades":[],"extra":1}"#,
    )
    .unwrap();
    assert_eq!(h3.max_payload, None);
    assert_eq!(
        h3.to_json(),
        r#"{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":5000}"#
    );
}
