//! Between the server's values and the adapter's wire values: a Socket.IO packet as
//! socket.io-parser's object in msgpack (`{type, data, nsp}`), arguments as msgpack values, and
//! the JSON of the JSON-encoded requests (where a Buffer is `{"type":"Buffer","data":[…]}`, as
//! `JSON.stringify` writes it).
//!
//! ```text
//! Message{kind: Event, nsp, data}  <->  {"type": 2, "data": [event, …args], "nsp": "/"}
//! Value::Binary(b)                 <->  msgpack bin           (broadcasts)
//! Value::Binary(b)                  ->  {"type":"Buffer","data":[…]}   (JSON requests)
//! ```

use sio_protocol::adapter::Value as Wire;
use sio_protocol::binary::Value;
use sio_protocol::socketio::{Message, PacketType};

/// An argument as a msgpack value.
pub(crate) fn to_wire(value: &Value) -> Wire {
    match value {
        Value::Null => Wire::Nil,
        Value::Bool(b) => Wire::Bool(*b),
        Value::Number(n) => Wire::Number(*n),
        Value::String(s) => Wire::Str(s.clone()),
        Value::Array(items) => Wire::Array(items.iter().map(to_wire).collect()),
        Value::Object(entries) => Wire::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_wire(v)))
                .collect(),
        ),
        Value::Binary(bytes) => Wire::Bin(bytes.clone()),
    }
}

/// A msgpack value as an argument (`undefined` and timestamps become `null`, as they would
/// once JSON-encoded for a client).
pub(crate) fn from_wire(value: &Wire) -> Value {
    match value {
        Wire::Nil | Wire::Undefined | Wire::Timestamp(_) => Value::Null,
        Wire::Bool(b) => Value::Bool(*b),
        Wire::Number(n) => Value::Number(*n),
        Wire::Str(s) => Value::String(s.clone()),
        Wire::Bin(bytes) => Value::Binary(bytes.clone()),
        Wire::Array(items) => Value::Array(items.iter().map(from_wire).collect()),
        Wire::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), from_wire(v)))
                .collect(),
        ),
    }
}

/// socket.io-parser's packet object for `msg`: `{type, data, nsp}` (plus `id` when set). An
/// event with binary arguments stays type 2, as Node's broadcast operator builds it (the
/// parser only picks BINARY_EVENT when it encodes for a client).
pub(crate) fn packet_object(msg: &Message) -> Wire {
    let kind = match msg.kind {
        PacketType::BinaryEvent => PacketType::Event,
        PacketType::BinaryAck => PacketType::Ack,
        other => other,
    };
    let mut entries = vec![(
        "type".to_owned(),
        Wire::Number(f64::from(kind.code().unwrap_or(2))),
    )];
    if let Some(data) = &msg.data {
        entries.push(("data".to_owned(), to_wire(data)));
    }
    entries.push(("nsp".to_owned(), Wire::Str(msg.nsp.clone())));
    if let Some(id) = msg.id {
        entries.push(("id".to_owned(), Wire::Number(id as f64)));
    }
    Wire::Map(entries)
}

/// The message of a packet object, for namespace `nsp` when the object names none (the
/// adapter takes a missing `nsp` as `/`, and the caller has checked it already).
pub(crate) fn message_of(packet: &Wire, nsp: &str) -> Option<Message> {
    let code = match packet.get("type") {
        Some(Wire::Number(n)) if n.fract() == 0.0 && (0.0..=6.0).contains(n) => *n as u8,
        _ => return None,
    };
    let mut msg = Message::new(PacketType::from_code(code)?, nsp);
    msg.data = packet.get("data").map(from_wire);
    if let Some(Wire::Number(id)) = packet.get("id")
        && id.fract() == 0.0
        && *id >= 0.0
    {
        msg.id = Some(*id as u64);
    }
    Some(msg)
}

/// An argument as `JSON.stringify` writes it: a Buffer is `{"type":"Buffer","data":[…]}`.
pub(crate) fn to_json(value: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Value::Binary(bytes) => serde_json::json!({ "type": "Buffer", "data": bytes }),
        Value::Array(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Object(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        other => sio_reference_server::socketio::to_json(other),
    }
}

/// A JSON value as an argument (a serialised Buffer stays the object it is, as in Node).
pub(crate) fn from_json(value: &serde_json::Value) -> Value {
    Value::from(value)
}

/// Applies `f` to every number of `wire`, in place (the fault that truncates integers).
pub(crate) fn map_numbers(wire: &mut Wire, f: fn(f64) -> f64) {
    match wire {
        Wire::Number(n) => *n = f(*n),
        Wire::Array(items) => items.iter_mut().for_each(|w| map_numbers(w, f)),
        Wire::Map(entries) => entries.iter_mut().for_each(|(_, w)| map_numbers(w, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_event_travels_as_type_2_and_comes_back_whole() {
        let msg = Message::event(
            "/",
            "bin",
            [Value::Binary(vec![1, 2]), Value::Number(300.0)],
        );
        let object = packet_object(&msg);
        assert_eq!(object.get("type"), Some(&Wire::Number(2.0)));
        assert_eq!(object.get("nsp"), Some(&Wire::Str("/".into())));
        let back = message_of(&object, "/").unwrap();
        assert_eq!(back.data, msg.data);
        assert_eq!(back.kind, PacketType::Event);
    }

    #[test]
    fn json_writes_buffers_as_node_does() {
        let json = to_json(&Value::Array(vec![
            Value::String("e".into()),
            Value::Binary(vec![1, 2]),
        ]));
        assert_eq!(json.to_string(), r#"["e",{"type":"Buffer","data":[1,2]}]"#);
    }
}
