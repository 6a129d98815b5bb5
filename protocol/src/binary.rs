//! Binary attachments: a JSON value type with binary leaves and the placeholder
//! deconstruction/reconstruction of socket.io-parser 4.2.7 (`binary.ts`). A leaf of the crate:
//! it knows nothing of packets; the incremental reassembler that turns a BINARY_EVENT /
//! BINARY_ACK header plus its binary messages into one message is
//! [`crate::socketio::Reassembler`].
//!
//! ```text
//! placeholder  = {"_placeholder":true,"num":N}     N = index of the buffer, 0-based
//! numbering    = depth first, document order (array items in order, object keys in insertion order)
//! wire         = header text packet, then exactly <attachments> binary messages
//! ```
//!
//! Node renumbers on re-emission: the placeholders `[..,{"x":{num:1}},{num:0}]` it receives come
//! back as `{"x":{num:0}},{num:1}` with the buffers reordered; `reconstruct` then `deconstruct`
//! reproduces that.

use crate::error::BinaryError;
use crate::js;

/// A JSON value whose leaves may be binary. Numbers are JavaScript numbers (`f64`); objects keep
/// their keys in insertion order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, keys in insertion order.
    Object(Vec<(String, Value)>),
    /// Binary data (a Node `Buffer`).
    Binary(Vec<u8>),
}

impl Value {
    /// Whether the value holds binary data at any depth (socket.io-parser `hasBinary`).
    pub fn has_binary(&self) -> bool {
        match self {
            Value::Binary(_) => true,
            Value::Array(a) => a.iter().any(Value::has_binary),
            Value::Object(o) => o.iter().any(|(_, v)| v.has_binary()),
            _ => false,
        }
    }

    /// Writes the value as `JSON.stringify` would (JavaScript number spelling, `null` for
    /// non-finite numbers). A binary leaf is written as its placeholder-free hex view
    /// `{"$binary":"…"}`; call [`deconstruct`] first to get placeholders.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        write_json(self, &mut out);
        out
    }

    /// The comparison view: a `serde_json::Value` with binary leaves as `{"$binary":"<hex>"}` and
    /// integral numbers up to 2^53 as integers (as Node's `JSON.stringify` writes them).
    pub fn to_view(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => crate::view::number(*n),
            Value::String(s) => J::String(s.clone()),
            Value::Array(a) => J::Array(a.iter().map(Value::to_view).collect()),
            Value::Object(o) => {
                J::Object(o.iter().map(|(k, v)| (k.clone(), v.to_view())).collect())
            }
            Value::Binary(b) => crate::view::binary(b),
        }
    }
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => Value::String(s.clone()),
            J::Array(a) => Value::Array(a.iter().map(Value::from).collect()),
            J::Object(o) => Value::Object(
                js_key_order(o)
                    .into_iter()
                    .map(|(k, v)| (k.clone(), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        Value::from(&v)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

/// Bytes are binary (a Node `Buffer`), not an array of numbers.
impl From<Vec<u8>> for Value {
    fn from(bytes: Vec<u8>) -> Value {
        Value::Binary(bytes)
    }
}

impl From<&[u8]> for Value {
    fn from(bytes: &[u8]) -> Value {
        Value::Binary(bytes.to_vec())
    }
}

/// Numbers are JavaScript numbers: integers beyond 2^53 lose precision, as they would in Node.
macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(n as f64)
            }
        }
    )*};
}
number_from!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize, f32, f64);

/// The entries of a parsed object in JavaScript's property order: array-index keys first,
/// ascending, then the other keys in insertion order (verified with node:
/// `JSON.parse('{"b":1,"1":2}')` → `{"1":2,"b":1}`).
fn js_key_order(
    o: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(&String, &serde_json::Value)> {
    let mut index_keys: Vec<(u32, &String, &serde_json::Value)> = o
        .iter()
        .filter_map(|(k, v)| array_index(k).map(|i| (i, k, v)))
        .collect();
    index_keys.sort_by_key(|(i, _, _)| *i);
    let others = o.iter().filter(|(k, _)| array_index(k).is_none());
    index_keys
        .into_iter()
        .map(|(_, k, v)| (k, v))
        .chain(others)
        .collect()
}

/// An object built from `entries` as JavaScript would build it: a repeated key keeps its first
/// place and takes its last value, array-index keys come first in ascending order.
pub fn js_object(entries: Vec<(String, Value)>) -> Value {
    let mut unique: Vec<(String, Value)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        match unique.iter_mut().find(|(seen, _)| *seen == k) {
            Some(slot) => slot.1 = v,
            None => unique.push((k, v)),
        }
    }
    let (mut index, others): (Vec<_>, Vec<_>) = unique
        .into_iter()
        .partition(|(k, _)| array_index(k).is_some());
    index.sort_by_key(|(k, _)| array_index(k));
    index.extend(others);
    Value::Object(index)
}

/// An ECMAScript array index: the canonical decimal spelling of an integer below 2^32 − 1.
pub(crate) fn array_index(key: &str) -> Option<u32> {
    let n: u32 = key.parse().ok()?;
    (n != u32::MAX && n.to_string() == key).then_some(n)
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => out.push_str(&js::number_to_string(*n)),
        Value::Number(_) => out.push_str("null"),
        Value::String(s) => write_string(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, item)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
        Value::Binary(b) => out.push_str(&crate::view::binary(b).to_string()),
    }
}

/// `JSON.stringify` string quoting: `"` `\` and control characters escaped, nothing else.
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Replaces every binary leaf by `{"_placeholder":true,"num":N}`, N numbered depth first in
/// document order, and returns the buffers in that order (socket.io-parser `deconstructPacket`).
pub fn deconstruct(value: &Value) -> (Value, Vec<Vec<u8>>) {
    let mut buffers = Vec::new();
    let v = deconstruct_into(value, &mut buffers);
    (v, buffers)
}

fn deconstruct_into(value: &Value, buffers: &mut Vec<Vec<u8>>) -> Value {
    match value {
        Value::Binary(b) => {
            let num = buffers.len() as f64;
            buffers.push(b.clone());
            Value::Object(vec![
                ("_placeholder".into(), Value::Bool(true)),
                ("num".into(), Value::Number(num)),
            ])
        }
        Value::Array(a) => Value::Array(a.iter().map(|v| deconstruct_into(v, buffers)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), deconstruct_into(v, buffers)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Puts `buffers` back in place of the placeholders of `data` (socket.io-parser
/// `reconstructPacket`). An object whose `_placeholder` is `true` is a placeholder (other keys
/// are dropped); its `num` must be a number in `[0, buffers.len())`.
///
/// A `num` in range that is not an integer (`0.5`) is accepted, as Node does: `buffers[0.5]` is
/// `undefined` in JavaScript, which a handler re-emitting the value writes as `null` in an array
/// and leaves out of an object. We give exactly that value, so an echo matches Node's bytes.
pub fn reconstruct(data: &serde_json::Value, buffers: &[Vec<u8>]) -> Result<Value, BinaryError> {
    Ok(reconstruct_slot(data, buffers)?.unwrap_or(Value::Null))
}

/// [`reconstruct`] for one slot; `None` is JavaScript's `undefined`.
fn reconstruct_slot(
    data: &serde_json::Value,
    buffers: &[Vec<u8>],
) -> Result<Option<Value>, BinaryError> {
    use serde_json::Value as J;
    Ok(Some(match data {
        J::Object(o) if o.get("_placeholder") == Some(&J::Bool(true)) => {
            let num = o.get("num");
            // "typeof num === 'number' && num >= 0 && num < buffers.length" → else "illegal
            // attachments".
            let n = num.and_then(J::as_f64);
            let Some(n) = n.filter(|n| *n >= 0.0 && *n < buffers.len() as f64) else {
                let shown = num.map_or_else(|| "undefined".to_owned(), J::to_string);
                return Err(BinaryError::IllegalPlaceholder(shown));
            };
            if n.fract() != 0.0 {
                // "buffers[num]" with a fractional num is undefined.
                return Ok(None);
            }
            // `n` is a non-negative integer below buffers.len(), so the index is in range.
            Value::Binary(buffers.get(n as usize).cloned().unwrap_or_default())
        }
        J::Array(a) => Value::Array(
            a.iter()
                .map(|v| Ok(reconstruct_slot(v, buffers)?.unwrap_or(Value::Null)))
                .collect::<Result<_, BinaryError>>()?,
        ),
        J::Object(o) => {
            let mut out = Vec::with_capacity(o.len());
            // In JavaScript's property order, as for any parsed object (`Value::from`).
            for (k, v) in js_key_order(o) {
                // An `undefined` property is left out, as JSON.stringify leaves it out.
                if let Some(v) = reconstruct_slot(v, buffers)? {
                    out.push((k.clone(), v));
                }
            }
            Value::Object(out)
        }
        other => Value::from(other),
    }))
}

#[cfg(test)]
mod tests;
