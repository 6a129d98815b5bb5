//! The vocabulary of the session state machine: ids for the requests and connections an adapter
//! holds, the outputs it must carry out, the events for the application, and close reasons.

use std::borrow::Cow;

use bytes::Bytes;
use sio_protocol::engineio::{Data, Frame, Packet};

/// One HTTP request (a polling GET or POST) the adapter is holding open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// One WebSocket connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WsId(pub u64);

/// A transport, named as in the `transport` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// `polling`: HTTP long-polling.
    Polling,
    /// `websocket`.
    WebSocket,
}

impl TransportKind {
    /// `polling` / `websocket`; anything else (including `webtransport`) is unknown here.
    pub fn from_name(name: &str) -> Option<TransportKind> {
        match name {
            "polling" => Some(TransportKind::Polling),
            "websocket" => Some(TransportKind::WebSocket),
            _ => None,
        }
    }

    /// The query-parameter name.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Polling => "polling",
            TransportKind::WebSocket => "websocket",
        }
    }
}

/// How a session frames packets: the Engine.IO revision of the handshake (`EIO`) and whether
/// the current transport may carry binary as binary (`b64` absent, as Node's
/// `supportsBinary = !req._query.b64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Framing {
    /// 4, or 3 (`allowEIO3`).
    pub protocol: u8,
    /// Binary goes out as binary (a WebSocket binary frame; under v3 also the XHR2 polling
    /// payload); otherwise as base64 text (`b…`).
    pub supports_binary: bool,
}

impl Framing {
    /// Engine.IO v4 with binary frames: what a v4 client without `b64` gets.
    pub const V4: Framing = Framing {
        protocol: 4,
        supports_binary: true,
    };

    /// The framing of a transport opened by a request whose `b64` query parameter is `b64`.
    /// JavaScript truthiness: a present but empty `b64` still allows binary.
    pub fn new(protocol: u8, b64: Option<&str>) -> Framing {
        Framing {
            protocol,
            supports_binary: b64.is_none_or(str::is_empty),
        }
    }

    /// Whether this is Engine.IO v3.
    pub fn is_v3(self) -> bool {
        self.protocol == 3
    }
}

/// Why a session closed: the `reason` of Node's `close` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// `"ping timeout"`: no pong within `pingTimeout`.
    PingTimeout,
    /// `"transport close"`: the client closed the transport (polling `1`, WS close or EOF).
    TransportClose,
    /// `"transport error"`: a transport-level fault (overlapping polls, a client ping, a WS
    /// protocol error, a dropped request, …).
    TransportError,
    /// `"parse error"`: a packet that does not decode.
    ParseError,
    /// `"forced close"`: the server closed the session.
    ForcedClose,
}

impl CloseReason {
    /// Node's reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::TransportClose => "transport close",
            CloseReason::TransportError => "transport error",
            CloseReason::ParseError => "parse error",
            CloseReason::ForcedClose => "forced close",
        }
    }
}

/// How the adapter answers a held HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpReply {
    /// 200 `text/plain; charset=UTF-8`, `cache-control: no-store`, this payload.
    Payload(String),
    /// 200 `application/octet-stream`, `cache-control: no-store`: an Engine.IO v3 XHR2 binary
    /// payload.
    BinaryPayload(Vec<u8>),
    /// 200 `text/html`, `cache-control: no-store`, body `ok` (a POST was taken).
    Ok,
    /// This status with an empty body (400, 413, 500).
    Status(u16),
    /// Tear the connection down without a complete response (Node: `req.destroy()`).
    Abort,
}

/// Something the application hears about a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A `message` packet arrived (text, or binary).
    Message(Data),
    /// The session moved to the WebSocket transport.
    Upgrade,
    /// The session closed; nothing follows.
    Close {
        /// Node's reason.
        reason: CloseReason,
        /// Node's error description, when there is one (`"invalid heartbeat direction"`, …).
        description: Option<&'static str>,
    },
}

/// What the adapter must do after an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Answer the held request `req`.
    Respond {
        /// The request.
        req: RequestId,
        /// The answer.
        reply: HttpReply,
    },
    /// Send one frame on WebSocket `ws`.
    WsSend {
        /// The connection.
        ws: WsId,
        /// The frame.
        frame: Frame,
    },
    /// Send one pre-encoded, shared `message` on WebSocket `ws` (its bytes are not copied).
    WsSendShared {
        /// The connection.
        ws: WsId,
        /// The message.
        message: SharedMessage,
    },
    /// Close WebSocket `ws` with a close frame that has no status code (the client sees 1005),
    /// as `ws.close()` with no arguments does.
    WsClose {
        /// The connection.
        ws: WsId,
    },
    /// Tell the application.
    Event(Event),
    /// The application must handle the events output so far before the session goes on: a
    /// polling POST carried messages, and Node hands them to the application synchronously
    /// before it answers `ok` (so replies are buffered before the client's next GET, and an
    /// application close comes before a parse error later in the payload). Call
    /// [`super::Session::application_done`] once it has, once per `AwaitApplication`.
    AwaitApplication,
}

/// A WebSocket message as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsMessage {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

/// How a WebSocket connection ended, as the adapter saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsEnd {
    /// A close frame or EOF: `ws` emits `close` → "transport close".
    Closed,
    /// A protocol violation (oversized or invalid frame): `ws` emits `error` → "transport error".
    Error,
}

/// How a POST body ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostBody {
    /// The whole body, within `maxHttpBufferSize`.
    Complete(Vec<u8>),
    /// More than `maxHttpBufferSize` bytes: answer 413, keep the session.
    TooLarge,
    /// The connection went away before the end of the body.
    Aborted,
}

/// An Engine.IO `message` encoded once and shared by every session it is sent to: cloning it
/// bumps a reference count, and the WebSocket adapter writes its bytes as they are. A broadcast
/// encodes its packet into one of these and hands the same bytes to every recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedMessage(Shared);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Shared {
    /// The whole text packet, `4` included (valid UTF-8 by construction).
    Text(Bytes),
    /// The raw binary data.
    Binary(Bytes),
}

impl SharedMessage {
    /// A text `message` whose data is `data`: encoded once as `4<data>`.
    pub fn text(data: &str) -> SharedMessage {
        let mut s = String::with_capacity(data.len() + 1);
        s.push('4');
        s.push_str(data);
        SharedMessage(Shared::Text(Bytes::from(s)))
    }

    /// A binary `message`.
    pub fn binary(data: impl Into<Bytes>) -> SharedMessage {
        SharedMessage(Shared::Binary(data.into()))
    }

    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self.0, Shared::Binary(_))
    }

    /// The bytes of the WebSocket frame: the text packet (`4…`), or the raw binary data.
    pub fn frame_bytes(&self) -> &Bytes {
        match &self.0 {
            Shared::Text(b) | Shared::Binary(b) => b,
        }
    }

    /// The record in a polling payload: the text packet, or `b` + base64.
    pub fn polling_record(&self) -> Cow<'_, str> {
        match &self.0 {
            // Built from a `String`, so the bytes are UTF-8.
            Shared::Text(b) => String::from_utf8_lossy(b),
            Shared::Binary(b) => Cow::Owned(Packet::binary(b.to_vec()).encode_polling()),
        }
    }
}

/// A packet in the session's write buffer: one the session built, or a shared message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// A packet encoded per session.
    Packet(Packet),
    /// A message encoded once for many sessions.
    Shared(SharedMessage),
}

impl Outgoing {
    /// The record in a polling payload.
    pub(crate) fn polling_record(&self) -> Cow<'_, str> {
        match self {
            Outgoing::Packet(p) => Cow::Owned(p.encode_polling()),
            Outgoing::Shared(m) => m.polling_record(),
        }
    }
}

impl From<Packet> for Outgoing {
    fn from(p: Packet) -> Outgoing {
        Outgoing::Packet(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_messages_share_their_bytes() {
        let m = SharedMessage::text(r#"2["news",1]"#);
        let copy = m.clone();
        // The same allocation: one encode, no copy per recipient.
        assert_eq!(m.frame_bytes().as_ptr(), copy.frame_bytes().as_ptr());
        assert_eq!(&m.frame_bytes()[..], br#"42["news",1]"#);
        assert_eq!(m.polling_record(), r#"42["news",1]"#);
        let b = SharedMessage::binary(vec![1, 2, 3]);
        assert!(b.is_binary());
        assert_eq!(b.polling_record(), "bAQID");
    }
}
