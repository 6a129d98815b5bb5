//! One property client's connection, whatever its transport: a WebSocket (opened directly or
//! reached by an upgrade, then with the packets the polling transport delivered before the
//! switch queued in front), or a polling session (possibly mid-upgrade). The executor reads
//! and sends through this, so the marker round trips and the model's predictions are the same
//! for every transport.

use super::polling::PollingConn;
use sio_conformance::driver::ws::Next;
use sio_conformance::driver::{WsConn, WsEvent};
use std::collections::VecDeque;
use std::time::Duration;

/// A client's connection.
pub enum Conn {
    /// A WebSocket; `rest` holds what the polling transport delivered before an upgrade.
    Ws {
        /// The WebSocket.
        ws: WsConn,
        /// Packets received over polling before the upgrade, not read yet (read first).
        rest: VecDeque<WsEvent>,
    },
    /// A polling session.
    Polling(Box<PollingConn>),
}

impl Conn {
    /// A WebSocket opened directly.
    pub fn ws(ws: WsConn) -> Conn {
        Conn::Ws {
            ws,
            rest: VecDeque::new(),
        }
    }

    /// The next packet (bounded wait).
    pub async fn next(&mut self, bound: Duration) -> Next {
        match self {
            Conn::Ws { ws, rest } => match rest.pop_front() {
                Some(e) => Next::Event(e),
                None => ws.next(bound).await,
            },
            Conn::Polling(p) => p.next(bound).await,
        }
    }

    /// Sends one packet (a text frame, or a POST).
    pub async fn send_text(&self, text: &str) -> Result<(), String> {
        match self {
            Conn::Ws { ws, .. } => ws.send_text(text).await,
            Conn::Polling(p) => p.send_text(text).await,
        }
    }

    /// The polling session, when the client is on polling.
    pub fn polling(&mut self) -> Option<&mut PollingConn> {
        match self {
            Conn::Polling(p) => Some(p),
            Conn::Ws { .. } => None,
        }
    }

    /// Completes an upgrade (`5`): the connection becomes the WebSocket.
    pub async fn finish_upgrade(self) -> Result<Conn, String> {
        match self {
            Conn::Polling(p) => {
                let (ws, rest) = p.finish().await?;
                Ok(Conn::Ws { ws, rest })
            }
            ws => Ok(ws),
        }
    }

    /// Ends the transport without a goodbye (TCP drop / aborted GET and probe).
    pub async fn drop_connection(self) {
        match self {
            Conn::Ws { ws, .. } => ws.drop_connection().await,
            Conn::Polling(mut p) => p.abort().await,
        }
    }

    /// Closes cleanly at the end of a case.
    pub async fn close(self) {
        match self {
            Conn::Ws { ws, .. } => {
                let _ = ws.close(None).await;
            }
            Conn::Polling(p) => p.close().await,
        }
    }
}
