//! Decoded views as `serde_json::Value`s, shaped like what Node's parsers produce, so a test can
//! compare our decoding of a transcript frame with what Node decoded:
//!
//! ```text
//! engine packet    {"type":"message","data":"hello"}   {"type":"ping"}   {"type":"message","data":{"$binary":"010203"}}
//! socket.io packet {"type":2,"nsp":"/","id":1,"data":["message",{"$binary":"07"}]}
//! ```
//!
//! Numbers: JavaScript has only doubles, so compare views with [`js_eq`], which compares numbers
//! as `f64` (`12345678901234567890` and `12345678901234567000` are the same double).

use crate::engineio;

/// The engine packet view: `{"type":"<name>"}` plus `"data"` when there is data.
pub fn engine_packet(p: &engineio::Packet) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("type".into(), p.kind.name().into());
    match &p.data {
        Some(engineio::Data::Text(t)) => {
            m.insert("data".into(), t.clone().into());
        }
        Some(engineio::Data::Binary(b)) => {
            m.insert("data".into(), binary(b));
        }
        None => {}
    }
    serde_json::Value::Object(m)
}

/// A binary leaf: `{"$binary":"<lowercase hex>"}`.
pub fn binary(b: &[u8]) -> serde_json::Value {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    serde_json::json!({ "$binary": hex })
}

/// A JavaScript number as `JSON.stringify` would let a reader see it: integral values of
/// magnitude up to 2^53 as integers, other finite values as floats, non-finite as `null`.
pub fn number(n: f64) -> serde_json::Value {
    const SAFE: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() <= SAFE {
        // Exact conversions: |n| ≤ 2^53 and integral (`-0` becomes 0, as JSON.stringify writes it).
        if n < 0.0 {
            (n as i64).into()
        } else {
            (n as u64).into()
        }
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// Equality of two JSON values as JavaScript would see them after `JSON.parse`: numbers compared
/// as doubles, objects compared as maps (JavaScript moves integer-like keys first, so key order
/// is not part of the comparison).
pub fn js_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => x.as_f64() == y.as_f64(),
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| js_eq(a, b))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, va)| y.get(k).is_some_and(|vb| js_eq(va, vb)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn engine_views() {
        assert_eq!(
            engine_packet(&engineio::Packet::message("hi")),
            json!({"type":"message","data":"hi"})
        );
        assert_eq!(
            engine_packet(&engineio::Packet::new(engineio::PacketType::Ping)),
            json!({"type":"ping"})
        );
        assert_eq!(
            engine_packet(&engineio::Packet::binary([1, 2])),
            json!({"type":"message","data":{"$binary":"0102"}})
        );
    }

    #[test]
    fn numbers_compare_as_doubles() {
        let ours = json!([number(12345678901234567890.0)]);
        let node: serde_json::Value = serde_json::from_str("[12345678901234567000]").unwrap();
        assert!(js_eq(&ours, &node));
        assert!(js_eq(&json!([1.0]), &json!([1])));
        assert!(js_eq(&json!({"a":1,"b":2}), &json!({"b":2,"a":1})));
        assert!(!js_eq(&json!({"a":1}), &json!({"a":1,"b":2})));
        assert!(!js_eq(&json!(["1"]), &json!([1])));
        assert_eq!(number(-0.0), json!(0));
        assert_eq!(number(1.5), json!(1.5));
    }

    /// node 20: `util.isDeepStrictEqual(JSON.parse(a), JSON.parse(b))` for each pair, the
    /// comparison `js_eq` stands for. Both orders are checked: `js_eq` must be symmetric.
    #[test]
    fn js_eq_agrees_with_nodes_deep_equality() {
        let pairs: &[(&str, &str, bool)] = &[
            (r#"{"a":1}"#, r#"{"a":2}"#, false),
            (r#"{"a":1}"#, r#"{"b":1}"#, false),
            (r#"{"a":1.0}"#, r#"{"a":1}"#, true),
            (r#"{"a":{"x":[1]}}"#, r#"{"a":{"x":[1.0]}}"#, true),
            (r#"{"a":1,"b":2}"#, r#"{"a":1}"#, false),
            ("{}", "{}", true),
            ("{}", "[]", false),
            ("[1,2]", "[1]", false),
            ("[1,2]", "[2,1]", false),
            (
                r#"{"a":12345678901234567890}"#,
                r#"{"a":12345678901234567000}"#,
                true,
            ),
            (r#""1""#, "1", false),
            ("null", "null", true),
        ];
        for (a, b, node) in pairs {
            let (x, y): (serde_json::Value, serde_json::Value) = (
                serde_json::from_str(a).unwrap(),
                serde_json::from_str(b).unwrap(),
            );
            assert_eq!(js_eq(&x, &y), *node, "{a} vs {b}");
            assert_eq!(js_eq(&y, &x), *node, "{b} vs {a}");
        }
    }

    /// `JSON.stringify` (node 20) writes integral doubles up to 2^53 without a fraction and
    /// anything else as its shortest spelling; the view keeps integers as integers on both
    /// sides of zero and at the edge, and non-finite numbers as `null`.
    #[test]
    fn number_view_edges() {
        assert_eq!(number(-3.0), json!(-3));
        assert_eq!(
            number(9_007_199_254_740_992.0),
            json!(9_007_199_254_740_992u64)
        );
        assert_eq!(
            number(-9_007_199_254_740_992.0),
            json!(-9_007_199_254_740_992i64)
        );
        assert!(number(18_014_398_509_481_984.0).is_f64());
        assert_eq!(number(f64::NAN), serde_json::Value::Null);
        assert_eq!(number(f64::INFINITY), serde_json::Value::Null);
        assert_eq!(binary(&[0, 0xab]), json!({"$binary":"00ab"}));
    }
}
