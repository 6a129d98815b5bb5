//! [`Ws`]: an open WebSocket of a case with the step bound attached, and its expectation
//! helpers; and how a WebSocket upgrade attempt ([`WsConnect`]) is described in reports.

use crate::driver::ws::Next;
use crate::driver::{OutFrame, WsConn, WsConnect, WsEvent};
use crate::expect::{Captures, Want};
use crate::failure::{CaseResult, Failure};
use std::time::Duration;

/// An open WebSocket with the step bound attached, and expectation helpers.
pub struct Ws {
    pub(super) conn: WsConn,
    pub(super) step: Duration,
    pub(super) greets: bool,
}

impl Ws {
    /// Whether the server emits `auth` on every connection to `/` and `/custom` (the official
    /// suites' handlers); a server without application code emits nothing after a CONNECT.
    pub fn greets(&self) -> bool {
        self.greets
    }

    /// The bound on one step.
    pub fn step(&self) -> Duration {
        self.step
    }

    /// The connection label (`ws#1`).
    pub fn label(&self) -> &str {
        &self.conn.label
    }

    /// Turns automatic pongs on or off.
    pub fn auto_pong(&self, on: bool) {
        self.conn.set_auto_pong(on);
    }

    /// Sends a text frame.
    pub async fn send(&self, text: &str) -> CaseResult {
        self.conn.send_text(text).await.map_err(|e| {
            Failure::assertion(
                format!("send text {}", crate::failure::visible(text)),
                "the connection to accept the frame",
                e,
            )
        })
    }

    /// Sends a binary frame.
    pub async fn send_binary(&self, bytes: &[u8]) -> CaseResult {
        self.conn.send_binary(bytes).await.map_err(|e| {
            Failure::assertion("send binary frame", "the connection to accept the frame", e)
        })
    }

    /// Queues a frame to go out in one write with the next send (see [`WsConn::queue`]).
    pub async fn queue(&self, frame: OutFrame<'_>) -> CaseResult {
        self.conn
            .queue(frame)
            .await
            .map_err(|e| Failure::assertion("queue frame", "the connection to accept the frame", e))
    }

    /// Sends a close frame (1005 for `None`).
    pub async fn close(&self, code: Option<u16>) -> CaseResult {
        self.conn
            .close(code)
            .await
            .map_err(|e| Failure::assertion("send close", "the connection to accept the frame", e))
    }

    /// Drops the TCP connection without a close frame (a network drop, 1006 at the server).
    pub async fn drop_connection(self) {
        self.conn.drop_connection().await;
    }

    /// The next event within the step bound must match.
    pub async fn expect(&mut self, step: &str, want: Want) -> Result<Captures, Failure> {
        let bound = self.step;
        self.expect_within(step, want, bound).await
    }

    /// The next event within `bound` must match.
    pub async fn expect_within(
        &mut self,
        step: &str,
        want: Want,
        bound: Duration,
    ) -> Result<Captures, Failure> {
        match self.conn.next(bound).await {
            Next::Event(event) => match want.check_event(&event) {
                Some(c) => Ok(c),
                None => {
                    let mut received = vec![event.describe()];
                    received.extend(self.conn.drain().iter().map(WsEvent::describe));
                    Err(Failure::assertion(step, want.describe(), received))
                }
            },
            Next::Timeout => Err(Failure::assertion(
                step,
                want.describe(),
                format!("(nothing within {} ms)", bound.as_millis()),
            )),
            Next::Ended => Err(Failure::assertion(
                step,
                want.describe(),
                "(the connection had already closed)",
            )),
        }
    }

    /// The next event within `bound` must be the close; returns its code.
    ///
    /// An Engine.IO close packet `1` just before the close frame is the server saying why it
    /// closes (the protocol allows it; Node sends none): it is passed over.
    pub async fn expect_close(&mut self, step: &str, bound: Duration) -> Result<u16, Failure> {
        let deadline = tokio::time::Instant::now() + bound;
        let mut next = self.conn.next(bound).await;
        if matches!(&next, Next::Event(WsEvent::Text(t)) if t == "1") {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            next = self.conn.next(left).await;
        }
        match next {
            Next::Event(WsEvent::Close { code, .. }) => Ok(code),
            Next::Event(other) => {
                let mut received = vec![other.describe()];
                received.extend(self.conn.drain().iter().map(WsEvent::describe));
                Err(Failure::assertion(step, Want::Close.describe(), received))
            }
            Next::Timeout => Err(Failure::assertion(
                step,
                Want::Close.describe(),
                format!(
                    "(nothing within {} ms; the connection is still open)",
                    bound.as_millis()
                ),
            )),
            Next::Ended => Ok(1006),
        }
    }

    /// Waits up to `bound` for the close, passing over (unanswered) pings `2` and a close
    /// packet `1` on the way; returns the close code. For cases where the server may ping
    /// before it closes.
    pub async fn expect_close_after_pings(
        &mut self,
        step: &str,
        bound: Duration,
    ) -> Result<u16, Failure> {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.conn.next(left).await {
                Next::Event(WsEvent::Close { code, .. }) => return Ok(code),
                Next::Event(WsEvent::Text(t)) if t == "2" || t == "1" => continue,
                Next::Event(other) => {
                    let mut received = vec![other.describe()];
                    received.extend(self.conn.drain().iter().map(WsEvent::describe));
                    return Err(Failure::assertion(
                        step,
                        "close (pings `2` allowed before it)",
                        received,
                    ));
                }
                Next::Timeout => {
                    return Err(Failure::assertion(
                        step,
                        "close (pings `2` allowed before it)",
                        format!(
                            "(no close within {} ms; the connection is still open)",
                            bound.as_millis()
                        ),
                    ));
                }
                Next::Ended => return Ok(1006),
            }
        }
    }

    /// Nothing may arrive within `bound` (the server ignored what was sent).
    pub async fn expect_silence(&mut self, step: &str, bound: Duration) -> CaseResult {
        match self.conn.next(bound).await {
            Next::Timeout => Ok(()),
            Next::Event(e) => Err(Failure::assertion(
                step,
                format!("(nothing for {} ms)", bound.as_millis()),
                e.describe(),
            )),
            Next::Ended => Err(Failure::assertion(
                step,
                format!("(nothing for {} ms)", bound.as_millis()),
                "(the connection had already closed)",
            )),
        }
    }

    /// The next event, whatever it is, within the step bound.
    pub async fn next(&mut self) -> Next {
        self.conn.next(self.step).await
    }

    /// The next event within `bound`.
    pub async fn next_within(&mut self, bound: Duration) -> Next {
        self.conn.next(bound).await
    }

    /// Everything already buffered, without waiting.
    pub fn drain(&mut self) -> Vec<WsEvent> {
        self.conn.drain()
    }
}

impl<T> WsConnect<T> {
    /// A short description for failure reports.
    pub fn describe(&self) -> String {
        match self {
            WsConnect::Open(_) => "101 (open)".into(),
            WsConnect::Refused { status, body } => format!(
                "refused {status} {}",
                crate::failure::visible(&String::from_utf8_lossy(body))
            ),
            WsConnect::Failed(e) => format!("upgrade failed: {e}"),
        }
    }
}
