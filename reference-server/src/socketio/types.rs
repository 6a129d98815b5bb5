//! The Socket.IO layer's vocabulary: ids, disconnect reasons with Node's strings, and the
//! errors of middlewares, emits and acks, and the options of a broadcast (shared by the
//! broadcast operator, the adapter and the recovery store).

use indexmap::IndexSet;

use super::Value;
use crate::session::CloseReason;

/// A socket id (a fresh base64id per namespace join, not the engine sid).
pub type SocketId = String;

/// A room name. Every socket is in the room named after its id.
pub type Room = String;

/// Why a socket left its namespace: the `reason` of Node's `disconnecting`/`disconnect` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectReason {
    /// `"transport close"`: the client closed the transport.
    TransportClose,
    /// `"transport error"`: a transport fault.
    TransportError,
    /// `"ping timeout"`.
    PingTimeout,
    /// `"parse error"`: an Engine.IO packet that does not decode.
    ParseError,
    /// `"forced close"`: the engine connection was closed by the server (a Socket.IO decoding
    /// error, `socket.disconnect(true)`'s final close, …).
    ForcedClose,
    /// `"forced server close"`: the Socket.IO client closed the connection (a packet in an
    /// invalid state, the connect timeout).
    ForcedServerClose,
    /// `"server namespace disconnect"`: `socket.disconnect()`.
    ServerNamespaceDisconnect,
    /// `"client namespace disconnect"`: the client sent DISCONNECT.
    ClientNamespaceDisconnect,
    /// `"server shutting down"`.
    ServerShuttingDown,
}

impl DisconnectReason {
    /// Node's reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError => "parse error",
            DisconnectReason::ForcedClose => "forced close",
            DisconnectReason::ForcedServerClose => "forced server close",
            DisconnectReason::ServerNamespaceDisconnect => "server namespace disconnect",
            DisconnectReason::ClientNamespaceDisconnect => "client namespace disconnect",
            DisconnectReason::ServerShuttingDown => "server shutting down",
        }
    }

    /// Whether connection state recovery keeps the session (`RECOVERABLE_DISCONNECT_REASONS`).
    pub fn is_recoverable(self) -> bool {
        matches!(
            self,
            DisconnectReason::TransportError
                | DisconnectReason::TransportClose
                | DisconnectReason::ForcedClose
                | DisconnectReason::PingTimeout
                | DisconnectReason::ServerShuttingDown
                | DisconnectReason::ForcedServerClose
        )
    }
}

impl From<CloseReason> for DisconnectReason {
    fn from(r: CloseReason) -> DisconnectReason {
        match r {
            CloseReason::PingTimeout => DisconnectReason::PingTimeout,
            CloseReason::TransportClose => DisconnectReason::TransportClose,
            CloseReason::TransportError => DisconnectReason::TransportError,
            CloseReason::ParseError => DisconnectReason::ParseError,
            CloseReason::ForcedClose => DisconnectReason::ForcedClose,
        }
    }
}

/// A middleware's refusal: sent as `44<nsp,>{"message":…,"data":…}`, `data` left out when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    /// `err.message`.
    pub message: String,
    /// `err.data`.
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with a message and no data (`next(new Error(message))`).
    pub fn new(message: impl Into<String>) -> ConnectError {
        ConnectError {
            message: message.into(),
            data: None,
        }
    }

    /// Adds `err.data`.
    pub fn with_data(mut self, data: serde_json::Value) -> ConnectError {
        self.data = Some(data);
        self
    }
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

/// An emit that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// The event name is reserved (`connect`, `disconnect`, …); Node throws
    /// `"<name>" is a reserved event name`.
    #[error("\"{0}\" is a reserved event name")]
    Reserved(String),
    /// The data did not serialise (serde's message).
    #[error("the data does not serialise: {0}")]
    Serialize(String),
}

/// `data` as the one argument of an emit.
pub(crate) fn one_arg<T: serde::Serialize + ?Sized>(data: &T) -> Result<Vec<Value>, EmitError> {
    super::args::to_value(data)
        .map(|v| vec![v])
        .map_err(|e| EmitError::Serialize(e.to_string()))
}

/// Why an ack callback got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// No answer within the timeout: Node's `Error("operation has timed out")`.
    #[error("operation has timed out")]
    Timeout,
    /// The socket closed before an answer came. Only without a timeout: a timed callback still
    /// gets [`AckError::Timeout`] after a close, as in Node.
    #[error("socket closed before an answer")]
    Closed,
    /// The emit could not be made.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// The answer does not deserialise into the type asked for (serde's message).
    #[error("the answer does not fit the type asked for: {0}")]
    Answer(String),
}

/// Refuses reserved event names, as `socket.emit` does.
pub(crate) fn check_event(event: &str) -> Result<(), EmitError> {
    if sio_protocol::socketio::RESERVED_EVENTS.contains(&event) {
        Err(EmitError::Reserved(event.to_owned()))
    } else {
        Ok(())
    }
}

/// The options of a broadcast (Node's `BroadcastOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BroadcastOptions {
    /// Target rooms; empty means every socket of the namespace.
    pub rooms: IndexSet<Room>,
    /// Rooms whose sockets are left out.
    pub except: IndexSet<Room>,
    /// Flags.
    pub flags: BroadcastFlags,
}

/// Broadcast flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BroadcastFlags {
    /// The packet may be dropped when a recipient's transport is not writable.
    pub volatile: bool,
    /// Only the sockets of this server (`io.local`): a cluster adapter publishes nothing.
    pub local: bool,
    /// The ack timeout of a broadcast with acks (`.timeout(ms)`), which a cluster adapter
    /// publishes (`flags.timeout`) and uses to bound its wait for the other servers.
    pub timeout: Option<std::time::Duration>,
}
