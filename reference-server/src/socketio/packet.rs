//! Building and encoding the packets the server sends. A packet is encoded once into shared
//! engine messages (the text packet, then one binary message per attachment, placeholders
//! numbered depth first) that every recipient's engine connection writes as they are.
//!
//! ```text
//! CONNECT        0[nsp,]{"sid":…[,"pid":…]}
//! CONNECT_ERROR  4[nsp,]{"message":…[,"data":…]}
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
        let bin = ack("/", 7, vec![Value::Binary(vec![1, 2, 3])]);
        assert_eq!(
            texts(&bin),
            [r#"461-7[{"_placeholder":true,"num":0}]"#, "bAQID"]
        );
    }
}
