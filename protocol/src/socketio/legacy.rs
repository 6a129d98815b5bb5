//! Socket.IO protocol v4 over Engine.IO v3 (Node serves it only with `allowEIO3: true`): the few
//! places where it differs from v5, as helpers. The packet grammar and the decoder are v5's
//! ([`super::decode`]); these build and read the v4-specific shapes.
//!
//! ```text
//! main namespace   the server joins "/" by itself and sends a bare "0" (a client "0" for "/" closes)
//! CONNECT reply    "0" / "0/admin," with no {"sid":…} payload
//! CONNECT_ERROR    "4/admin,\"Not authorized\""  (a plain JSON string)
//! namespace query  "0/admin?token=x,"            (the query travels inside the nsp)
//! ```

use super::{Packet, PacketType, RawJson};

/// The Socket.IO protocol revision spoken over EIO3.
pub const PROTOCOL: u8 = 4;

/// The CONNECT the server sends for `/` on its own as soon as the engine connection opens.
pub fn implicit_main_connect() -> Packet {
    Packet::new(PacketType::Connect, "/")
}

/// A v4 CONNECT reply for `nsp`: no payload (v5 carries `{"sid":…}`).
pub fn connect_reply(nsp: &str) -> Packet {
    Packet::new(PacketType::Connect, nsp)
}

/// A v4 CONNECT_ERROR: the payload is the message as a plain JSON string.
pub fn connect_error(nsp: &str, message: &str) -> Packet {
    let data = RawJson::from_value(&serde_json::Value::String(message.to_owned()));
    Packet {
        data: Some(data),
        ..Packet::new(PacketType::ConnectError, nsp)
    }
}

/// Splits a v4 namespace into its path and query: `/admin?token=x` → (`/admin`, `Some("token=x")`).
pub fn split_namespace_query(nsp: &str) -> (&str, Option<&str>) {
    match nsp.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (nsp, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    #[test]
    fn v4_shapes() {
        assert_eq!(implicit_main_connect().encode(), "0");
        assert_eq!(connect_reply("/admin").encode(), "0/admin,");
        assert_eq!(
            connect_error("/admin", "Not authorized").encode(),
            "4/admin,\"Not authorized\""
        );
        // The v5 decoder reads all of these.
        let p = super::super::decode("0/admin?token=x,", &Limits::NODE).unwrap();
        assert_eq!(split_namespace_query(&p.nsp), ("/admin", Some("token=x")));
        assert_eq!(split_namespace_query("/"), ("/", None));
        let e = super::super::decode("4/admin,\"Not authorized\"", &Limits::NODE).unwrap();
        assert_eq!(e.data_value(), Some(serde_json::json!("Not authorized")));
    }
}
