//! The structured inputs as the fuzz bodies see them: the wire text a header renders to, the
//! canonical values and packets built from the parts (what the round trips are checked on).
//! The bodies themselves are checked against broken codecs in `fuzzing/harness_tests.rs`.

use serde_json::json;

use super::*;

fn placeholder(n: &str) -> String {
    format!(r#"{{"_placeholder":true,"num":{n}}}"#)
}

#[test]
fn namespaces_and_strings_render_as_on_the_wire() {
    assert_eq!(namespace(&None), "/");
    assert_eq!(namespace(&Some("a,b".into())), "/ab");
    assert_eq!(json_string("a\"b"), r#""a\"b""#);
}

#[test]
fn a_header_renders_every_part() {
    let h = HeaderInput {
        ack: false,
        count: CountInput::Count(2),
        nsp: Some("chat".into()),
        id: Some(7),
        name: NameInput::Str("m".into()),
        args: vec![PlaceholderInput::Index(0), PlaceholderInput::Missing],
    };
    assert_eq!(
        h.render(),
        format!(
            r#"52-/chat,7["m",{},{{"_placeholder":true}}]"#,
            placeholder("0")
        )
    );
    let ack = HeaderInput {
        ack: true,
        count: CountInput::Raw("1.5".into()),
        nsp: None,
        id: None,
        name: NameInput::Str("ignored".into()),
        args: vec![PlaceholderInput::Index(1)],
    };
    assert_eq!(ack.render(), format!("61.5-[{}]", placeholder("1")));
    let names = [
        (NameInput::Num(-3), "-3"),
        (NameInput::Raw("{}".into()), "{}"),
    ];
    for (name, wire) in names {
        let h = HeaderInput {
            name,
            args: Vec::new(),
            ..h.clone()
        };
        assert_eq!(h.render(), format!("52-/chat,7[{wire}]"));
    }
}

#[test]
fn placeholders_render_their_variants() {
    let r = |p: PlaceholderInput| p.render(0);
    assert_eq!(r(PlaceholderInput::Quarter(-6)), placeholder("-1.5"));
    assert_eq!(r(PlaceholderInput::Quarter(8)), placeholder("2"));
    assert_eq!(
        r(PlaceholderInput::RawNum("\"x\"".into())),
        placeholder("\"x\"")
    );
    assert_eq!(
        r(PlaceholderInput::NotTrue("1".into())),
        r#"{"_placeholder":1,"num":0}"#
    );
    assert_eq!(
        r(PlaceholderInput::Nested(vec![PlaceholderInput::Index(1)])),
        format!(r#"{{"k":[{}]}}"#, placeholder("1"))
    );
    assert_eq!(
        r(PlaceholderInput::Json(JsonInput::Array(vec![
            JsonInput::Null
        ]))),
        "[null]"
    );
}

#[test]
fn placeholder_nesting_is_cut_at_max_depth() {
    let mut p = PlaceholderInput::Index(0);
    for _ in 0..MAX_DEPTH + 2 {
        p = PlaceholderInput::Nested(vec![p]);
    }
    let text = p.render(0);
    assert_eq!(text.matches(r#"{"k":["#).count(), MAX_DEPTH);
    assert!(text.contains("[null]"), "{text}");
    assert!(!text.contains("_placeholder"), "{text}");
}

fn nested_arrays(levels: usize) -> JsonInput {
    let mut j = JsonInput::Int(1);
    for _ in 0..levels {
        j = JsonInput::Array(vec![j]);
    }
    j
}

#[test]
fn json_inputs_become_json() {
    assert_eq!(JsonInput::Float(f64::NAN).to_json(0), json!(null));
    assert_eq!(JsonInput::Float(1.5).to_json(0), json!(1.5));
    assert_eq!(JsonInput::Int(-2).to_json(0), json!(-2));
    assert_eq!(JsonInput::Binary(vec![0, 255]).to_json(0), json!("00ff"));
    let o = JsonInput::Object(vec![
        ("a".into(), JsonInput::Int(1)),
        ("b".into(), JsonInput::Bool(true)),
        ("a".into(), JsonInput::Int(2)),
    ]);
    assert_eq!(o.to_json(0), json!({"a": 1, "b": true}));
    // Depths 0 to MAX_DEPTH are kept; below that, null.
    let deep = nested_arrays(MAX_DEPTH + 3).to_json(0);
    let text = deep.to_string();
    assert_eq!(text.matches('[').count(), MAX_DEPTH + 1, "{text}");
    assert!(text.contains("[null]"), "{text}");
    let object = JsonInput::Object(vec![("k".into(), nested_arrays(MAX_DEPTH + 1))]);
    let text = object.to_json(0).to_string();
    assert_eq!(text.matches('[').count(), MAX_DEPTH, "{text}");
}

#[test]
fn json_inputs_become_canonical_values() {
    assert_eq!(JsonInput::Float(f64::INFINITY).to_value(0), Value::Null);
    assert_eq!(JsonInput::Float(1.5).to_value(0), Value::Number(1.5));
    assert_eq!(JsonInput::Int(3).to_value(0), Value::Number(3.0));
    assert_eq!(
        JsonInput::Binary(vec![1]).to_value(0),
        Value::Binary(vec![1])
    );
    let o = JsonInput::Object(vec![
        ("_placeholder".into(), JsonInput::Bool(true)),
        ("a".into(), JsonInput::Str("x".into())),
        ("a".into(), JsonInput::Null),
        ("num".into(), JsonInput::Int(0)),
    ]);
    assert_eq!(
        o.to_value(0),
        Value::Object(vec![
            ("_placeholder_".into(), Value::Bool(true)),
            ("a".into(), Value::String("x".into())),
            ("num".into(), Value::Number(0.0)),
        ])
    );
    let count = |v: &Value| format!("{v:?}").matches("Array").count();
    assert_eq!(
        count(&nested_arrays(MAX_DEPTH + 3).to_value(0)),
        MAX_DEPTH + 1
    );
    let object = JsonInput::Object(vec![("k".into(), nested_arrays(MAX_DEPTH + 1))]);
    assert_eq!(count(&object.to_value(0)), MAX_DEPTH);
}

#[test]
fn event_names_are_made_valid() {
    assert_eq!(
        NameInput::Str("connect".into()).canonical(),
        json!("connect!")
    );
    assert_eq!(
        NameInput::Raw("disconnecting".into()).canonical(),
        json!("disconnecting!")
    );
    assert_eq!(NameInput::Str("a".into()).canonical(), json!("a"));
    assert_eq!(NameInput::Num(3).canonical(), json!(3));
}

#[test]
fn engine_packets_are_built_canonical() {
    let p = |kind, data| EnginePacketInput { kind, data };
    // 9 is a ping (modulo 7).
    assert_eq!(
        p(9, EngineDataInput::None).packet(true),
        engineio::Packet::new(engineio::PacketType::Ping)
    );
    assert_eq!(
        p(4, EngineDataInput::Text("a\u{1e}b".into())).packet(true),
        engineio::Packet::text(engineio::PacketType::Message, "ab")
    );
    assert_eq!(
        p(4, EngineDataInput::Text("\u{1e}".into())).packet(true),
        engineio::Packet::new(engineio::PacketType::Message)
    );
    // v4: binary data is a message whatever the type; v3 keeps the type.
    let binary = p(2, EngineDataInput::Binary(vec![1]));
    assert_eq!(binary.packet(true), engineio::Packet::binary(vec![1]));
    assert_eq!(
        binary.packet(false),
        engineio::Packet {
            kind: engineio::PacketType::Ping,
            data: Some(Data::Binary(vec![1]))
        }
    );
}

fn socket(kind: u8, data: Option<JsonInput>) -> socketio::Packet {
    SocketPacketInput {
        kind,
        nsp: Some("n".into()),
        id: Some(socketio::MAX_ACK_ID + 6),
        attachments: 23,
        name: NameInput::Str("ev".into()),
        data,
    }
    .packet()
}

fn data(p: &socketio::Packet) -> Option<serde_json::Value> {
    p.data
        .as_ref()
        .map(|d| serde_json::from_str(d.as_str()).expect("JSON"))
}

#[test]
fn socket_io_packets_are_shaped_by_their_type() {
    let one = Some(JsonInput::Int(1));
    let list = Some(JsonInput::Array(vec![JsonInput::Int(1), JsonInput::Int(2)]));
    // 10 is an ACK (modulo 7); ids wrap at 2^53.
    let ack = socket(10, one.clone());
    assert_eq!(ack.kind, PacketType::Ack);
    assert_eq!(ack.id, Some(5));
    assert_eq!(ack.nsp, "/n");
    assert_eq!(ack.attachments, None);
    assert_eq!(data(&ack), Some(json!([1])));
    assert_eq!(data(&socket(3, list.clone())), Some(json!([1, 2])));
    assert_eq!(data(&socket(0, one.clone())), Some(json!({"v": 1})));
    let object = Some(JsonInput::Object(vec![("a".into(), JsonInput::Int(1))]));
    assert_eq!(data(&socket(0, object.clone())), Some(json!({"a": 1})));
    assert_eq!(data(&socket(1, one.clone())), None);
    assert_eq!(data(&socket(2, one.clone())), Some(json!(["ev", 1])));
    assert_eq!(data(&socket(2, list.clone())), Some(json!(["ev", 1, 2])));
    assert_eq!(data(&socket(4, one.clone())), Some(json!({"message": 1})));
    assert_eq!(data(&socket(4, object)), Some(json!({"a": 1})));
    let text = Some(JsonInput::Str("no".into()));
    assert_eq!(data(&socket(4, text)), Some(json!("no")));
    // Binary types carry 1 to 10 attachments.
    let binary = socket(5, one);
    assert_eq!(binary.kind, PacketType::BinaryEvent);
    assert_eq!(binary.attachments, Some(4));
    assert_eq!(socket(2, None).data, None);
}

#[test]
fn messages_are_events_or_acks_with_canonical_arguments() {
    let input = MessageInput {
        ack: false,
        nsp: None,
        id: Some(socketio::MAX_ACK_ID + 6),
        name: NameInput::Str("connect".into()),
        args: vec![JsonInput::Binary(vec![1]), JsonInput::Float(f64::NAN)],
    };
    let m = input.message();
    assert_eq!(m.kind, PacketType::Event);
    assert_eq!(m.nsp, "/");
    assert_eq!(m.id, Some(5));
    assert_eq!(
        m.data,
        Some(Value::Array(vec![
            Value::String("connect!".into()),
            Value::Binary(vec![1]),
            Value::Null,
        ]))
    );
    let ack = MessageInput { ack: true, ..input }.message();
    assert_eq!(ack.kind, PacketType::Ack);
    assert_eq!(
        ack.data,
        Some(Value::Array(vec![Value::Binary(vec![1]), Value::Null]))
    );
}

#[test]
fn binary_leaves_are_counted_everywhere() {
    let v = Value::Array(vec![
        Value::Binary(vec![1]),
        Value::Object(vec![("k".into(), Value::Binary(vec![2]))]),
        Value::Array(vec![Value::Binary(vec![3]), Value::Null]),
    ]);
    assert_eq!(count_binaries(Some(&v)), 3);
    assert_eq!(count_binaries(Some(&Value::Null)), 0);
    assert_eq!(count_binaries(None), 0);
}
