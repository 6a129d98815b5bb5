//! Building and encoding the packets the server sends. A packet is encoded once into shared
//! engine messages (the text packet, then one binary message per attachment, placeholders
//! numbered depth first) that every recipient's engine connection writes as they are.
//!
//! ```text
//! CONNECT        0[nsp,]{"sid":…[,"pid":…]}        over EIO3 (Socket.IO v4): 0[nsp,]
//! CONNECT_ERROR  4[nsp,]{"message":…[,"data":…]}   over EIO3: 4[nsp,]<err.data || err.message>
//! EVENT          2[nsp,][id][name,…args]      5<n>-[nsp,][id][…]  + n binary messages
//! ACK            3[nsp,]id[…args]             6<n>-[nsp,]id[…]    + n binary messages
//! DISCONNECT     1[nsp,]
//! ```

use sio_protocol::binary::Value;
use sio_protocol::socketio::{Message, PacketType};

use super::types::ConnectError;
use crate::session::SharedMessage;

/// Encodes `msg` as socket.io-parser's `Encoder#encode` does, into shared engine messages.
pub(crate) fn encode(msg: &Message) -> Vec<SharedMessage> {
    let encoded = msg.encode();
    let mut out = Vec::with_capacity(1 + encoded.attachments.len());
    out.push(SharedMessage::text(&encoded.packet.encode()));
    out.extend(encoded.attachments.into_iter().map(SharedMessage::binary));
    out
}

/// [`encode`], with a BINARY_EVENT sent as BINARY_ACK (fault `binary-emit-ack-as-binary-ack`).
pub(crate) fn encode_as_binary_ack(msg: &Message) -> Vec<SharedMessage> {
    let mut encoded = msg.encode();
    if encoded.packet.kind == PacketType::BinaryEvent {
        encoded.packet.kind = PacketType::BinaryAck;
    }
    let mut out = vec![SharedMessage::text(&encoded.packet.encode())];
    out.extend(encoded.attachments.into_iter().map(SharedMessage::binary));
    out
}

/// An EVENT `[event, …args]`.
pub(crate) fn event(nsp: &str, event: &str, args: Vec<Value>) -> Message {
    Message::event(nsp, event, args)
}

/// An ACK for `id`.
pub(crate) fn ack(nsp: &str, id: u64, args: Vec<Value>) -> Message {
    Message {
        id: Some(id),
        data: Some(Value::Array(args)),
        ..Message::new(PacketType::Ack, nsp)
    }
}

/// The CONNECT reply: `{"sid":…}`, plus `"pid"` with connection state recovery.
pub(crate) fn connect(nsp: &str, sid: &str, pid: Option<&str>) -> Message {
    let mut fields = vec![("sid".to_owned(), Value::String(sid.to_owned()))];
    if let Some(pid) = pid {
        fields.push(("pid".to_owned(), Value::String(pid.to_owned())));
    }
    Message {
        data: Some(Value::Object(fields)),
        ..Message::new(PacketType::Connect, nsp)
    }
}

/// A CONNECT_ERROR `{"message":…,"data":…}` (`data` left out when absent).
pub(crate) fn connect_error(nsp: &str, err: &ConnectError) -> Message {
    let mut fields = vec![("message".to_owned(), Value::String(err.message.clone()))];
    if let Some(data) = &err.data {
        fields.push(("data".to_owned(), Value::from(data)));
    }
    Message {
        data: Some(Value::Object(fields)),
        ..Message::new(PacketType::ConnectError, nsp)
    }
}

/// The Socket.IO v4 (EIO3) CONNECT reply: no payload (`_onconnect` under `protocol === 3`).
pub(crate) fn connect_v3(nsp: &str) -> Message {
    Message::new(PacketType::Connect, nsp)
}

/// The Socket.IO v4 (EIO3) CONNECT_ERROR of a middleware refusal: `err.data || err.message`
/// (JavaScript truthiness), so an object, or the message as a JSON string.
pub(crate) fn connect_error_v3(nsp: &str, err: &ConnectError) -> Message {
    let data = match &err.data {
        Some(d) if truthy(d) => Value::from(d),
        _ => Value::String(err.message.clone()),
    };
    Message {
        data: Some(data),
        ..Message::new(PacketType::ConnectError, nsp)
    }
}

fn truthy(v: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match v {
        J::Null => false,
        J::Bool(b) => *b,
        J::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        J::String(s) => !s.is_empty(),
        J::Array(_) | J::Object(_) => true,
    }
}

/// A DISCONNECT.
pub(crate) fn disconnect(nsp: &str) -> Message {
    Message::new(PacketType::Disconnect, nsp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(msg: &Message) -> Vec<String> {
        encode(msg)
            .iter()
            .map(|m| m.polling_record().into_owned())
            .collect()
    }

    #[test]
    fn shapes_on_the_wire() {
        assert_eq!(texts(&connect("/", "abc", None)), [r#"40{"sid":"abc"}"#]);
        assert_eq!(
            texts(&connect("/admin", "abc", Some("p"))),
            [r#"40/admin,{"sid":"abc","pid":"p"}"#]
        );
        let refusal = ConnectError::new("Not authorized")
            .with_data(serde_json::json!({"reason": "no token"}));
        assert_eq!(
            texts(&connect_error("/admin", &refusal)),
            [r#"44/admin,{"message":"Not authorized","data":{"reason":"no token"}}"#]
        );
        assert_eq!(
            texts(&connect_error("/", &ConnectError::new("nope"))),
            [r#"44{"message":"nope"}"#]
        );
        assert_eq!(texts(&disconnect("/custom")), ["41/custom,"]);
        // sio.eio3.*: the v4 shapes.
        assert_eq!(texts(&connect_v3("/")), ["40"]);
        assert_eq!(texts(&connect_v3("/admin")), ["40/admin,"]);
        assert_eq!(
            texts(&connect_error_v3("/admin", &refusal)),
            [r#"44/admin,{"reason":"no token"}"#]
        );
        assert_eq!(
            texts(&connect_error_v3("/plain", &ConnectError::new("nope"))),
            [r#"44/plain,"nope""#]
        );
        let falsy = ConnectError::new("m").with_data(serde_json::json!(0));
        assert_eq!(texts(&connect_error_v3("/", &falsy)), [r#"44"m""#]);
        let bin = ack("/", 7, vec![Value::Binary(vec![1, 2, 3])]);
        assert_eq!(
            texts(&bin),
            [r#"461-7[{"_placeholder":true,"num":0}]"#, "bAQID"]
        );
    }
}
