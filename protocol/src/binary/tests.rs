use serde_json::json;

use super::*;

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

/// socket.io-parser 4.2.7 `hasBinary` (node 20): `{a: Buffer}` and `{a: {b: [Buffer]}}` are
/// binary, `{a: 1, b: "x"}` and `[{}]` are not; `new Encoder().encode` of
/// `["m", {a: Buffer}]` makes a BINARY_EVENT with one attachment.
#[test]
fn has_binary_looks_inside_objects() {
    let in_object = Value::Object(vec![("a".into(), Value::Binary(vec![1]))]);
    assert!(in_object.has_binary());
    let deep = Value::Object(vec![(
        "a".into(),
        Value::Object(vec![(
            "b".into(),
            Value::Array(vec![Value::Binary(vec![1])]),
        )]),
    )]);
    assert!(deep.has_binary());
    let plain = Value::Object(vec![
        ("a".into(), Value::Number(1.0)),
        ("b".into(), Value::String("x".into())),
    ]);
    assert!(!plain.has_binary());
    assert!(!Value::Array(vec![Value::Object(vec![])]).has_binary());
    assert!(!Value::Null.has_binary() && !Value::String("\u{0}".into()).has_binary());
}

/// node 20: `JSON.stringify({a:NaN,b:Infinity,c:[-Infinity,1e21,1e-7,-0]})` is
/// `{"a":null,"b":null,"c":[null,1e+21,1e-7,0]}`; the Encoder writes the same for event data.
#[test]
fn to_json_writes_non_finite_numbers_as_null() {
    let v = Value::Object(vec![
        ("a".into(), Value::Number(f64::NAN)),
        ("b".into(), Value::Number(f64::INFINITY)),
        (
            "c".into(),
            Value::Array(vec![
                Value::Number(f64::NEG_INFINITY),
                Value::Number(1e21),
                Value::Number(1e-7),
                Value::Number(-0.0),
            ]),
        ),
    ]);
    assert_eq!(
        v.to_json(),
        r#"{"a":null,"b":null,"c":[null,1e+21,1e-7,0]}"#
    );
    assert_eq!(
        Value::Array(vec![Value::Bool(true), Value::Bool(false), Value::Null]).to_json(),
        "[true,false,null]"
    );
}

/// node 20: `Object.keys(JSON.parse('{"b":1,"01":2,"1":3,"4294967295":4,"4294967294":5,"0":6}'))`
/// is `["0","1","4294967294","b","01","4294967295"]`: array indices (canonical integers below
/// 2^32 − 1) first and ascending, then the other keys as written; "01" and 2^32 − 1 are not
/// indices.
#[test]
fn parsed_objects_take_javascripts_key_order() {
    let parsed: serde_json::Value =
        serde_json::from_str(r#"{"b":1,"01":2,"1":3,"4294967295":4,"4294967294":5,"0":6}"#)
            .unwrap();
    let Value::Object(entries) = Value::from(&parsed) else {
        panic!("an object");
    };
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["0", "1", "4294967294", "b", "01", "4294967295"]);
}

/// `JSON.parse('{"a":1,"b":2,"a":3}')`: the repeated key keeps its first place and takes its
/// last value.
#[test]
fn a_repeated_key_keeps_its_place_and_takes_its_last_value() {
    let obj = js_object(vec![
        ("a".into(), Value::Number(1.0)),
        ("b".into(), Value::Number(2.0)),
        ("a".into(), Value::Number(3.0)),
    ]);
    assert_eq!(
        obj,
        Value::Object(vec![
            ("a".into(), Value::Number(3.0)),
            ("b".into(), Value::Number(2.0)),
        ])
    );
}
