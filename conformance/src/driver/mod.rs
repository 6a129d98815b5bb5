//! Raw clients for the two Engine.IO transports, and the transcript they record into.
//!
//! Neither client knows the protocol: they move bytes and frames, malformed ones included, and
//! log every exchange with its time offset, so a report can show exactly what went on the wire.

pub mod endpoint;
pub mod frames;
pub mod http;
pub mod tls;
pub mod transcript;
pub mod ws;

pub use endpoint::Endpoint;
pub use http::{HttpError, HttpRequest, HttpResponse};
pub use tls::Trust;
pub use transcript::{Entry, Transcript};
pub use ws::{OutFrame, WsConn, WsConnect, WsEvent};
