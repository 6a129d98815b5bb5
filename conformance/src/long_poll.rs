//! A polling client's long poll: one GET kept pending on a session, as every real client keeps
//! one, with the server's pings answered the moment they arrive.
//!
//! A case that polls step by step (POST, then GET, then POST…) leaves the session without a
//! pending GET between its requests. A ping the server queues then waits for the case's next
//! GET, and far from the server (an 80 ms round trip against the contract's 200 ms pingTimeout)
//! the pong comes too late: the server closes a session that did nothing wrong. Cases that are
//! not about the GET cycle itself hand the session to a [`LongPoll`]
//! ([`crate::context::Ctx::keep_polling`]); the polling helpers then read records from it
//! instead of issuing GETs of their own.
//!
//! Even a long poll leaves a gap of one round trip after each response, until its next GET
//! arrives: a ping queued then reaches the server's pingTimeout after two round trips at worst.
//! Beyond that distance no polling client is safe, and the runner does not judge polling cases
//! ([`crate::config::Settings::too_far_for_polling`]).

use crate::context::{Http, TEXT_PLAIN};
use crate::driver::HttpResponse;
use crate::failure::Failure;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// The Engine.IO polling record separator.
const RS: char = '\u{1e}';

/// What one response to the pending GET brought.
#[derive(Debug)]
pub enum Polled {
    /// A 200 response's records, pings removed (never empty). The long poll ends after a
    /// payload with a close `1` or a noop `6` (a close or an upgrade released the GET).
    Records(Vec<String>),
    /// A response other than 200: the session is over; the long poll has ended.
    Refused(HttpResponse),
    /// No response at all (a reset, or nothing within the GET's bound); the long poll has ended.
    Lost(Failure),
}

/// A GET kept pending on one polling session by a background task.
pub struct LongPoll {
    events: mpsc::UnboundedReceiver<Polled>,
    task: JoinHandle<()>,
    over: bool,
    /// When the last ping reached the client.
    last_ping: watch::Receiver<Option<Instant>>,
}

impl LongPoll {
    /// Starts polling `target` (the session's polling URL) at once.
    pub fn start(http: Http, target: String) -> LongPoll {
        let (tx, events) = mpsc::unbounded_channel();
        let (pinged, last_ping) = watch::channel(None);
        LongPoll {
            events,
            task: tokio::spawn(keep_polling(http, target, tx, pinged)),
            over: false,
            last_ping,
        }
    }

    /// Whether a ping reached the client after `sent`, when the case sent a request. Then the
    /// server sent that ping at most half a round trip before the request arrived, or after:
    /// the request may have found the session between two GETs (the one the ping released and
    /// the next, still on its way), so what it did to "the pending GET" cannot be judged.
    pub fn pinged_since(&self, sent: Instant) -> bool {
        self.last_ping.borrow().is_some_and(|at| at >= sent)
    }

    /// Waits for the next ping to reach the client (and be answered), at most `bound`: a
    /// request sent just after it has a whole pingInterval before the next one falls due.
    pub async fn next_ping(&mut self, step: &str, bound: Duration) -> Result<(), Failure> {
        self.last_ping.mark_unchanged();
        match tokio::time::timeout(bound, self.last_ping.changed()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Failure::harness(step, "the long poll ended before a ping")),
            Err(_) => Err(Failure::assertion(
                step,
                "a ping `2` within pingInterval",
                format!("no ping within {} ms", bound.as_millis()),
            )),
        }
    }

    /// Whether the long poll has ended (a close, an upgrade, a refusal or a lost GET was read).
    pub fn is_over(&self) -> bool {
        self.over
    }

    /// The next thing the pending GET brought, waiting at most `bound`; nothing by then is an
    /// assertion failure of `step`.
    pub async fn next(&mut self, step: &str, bound: Duration) -> Result<Polled, Failure> {
        match tokio::time::timeout(bound, self.events.recv()).await {
            Ok(Some(polled)) => {
                self.over |= match &polled {
                    Polled::Records(records) => records.iter().any(|r| r == "1" || r == "6"),
                    Polled::Refused(_) | Polled::Lost(_) => true,
                };
                Ok(polled)
            }
            Ok(None) => Err(Failure::harness(
                step,
                "the long poll has ended (read after its last response)",
            )),
            Err(_) => Err(Failure::assertion(
                step,
                "a response to the pending GET",
                format!("nothing within {} ms", bound.as_millis()),
            )),
        }
    }
}

impl Drop for LongPoll {
    fn drop(&mut self) {
        // The case is over: nothing is left to read the session, and its GET may go.
        self.task.abort();
    }
}

/// The background loop: GET, answer pings (the pong is POSTed while the next GET is already on
/// its way, as a client does), pass on the other records; stop at the session's end.
async fn keep_polling(
    http: Http,
    target: String,
    tx: mpsc::UnboundedSender<Polled>,
    pinged: watch::Sender<Option<Instant>>,
) {
    loop {
        let step = format!("GET {target} (long poll)");
        let response = match http.request("GET", target.clone(), &[], b"").await {
            Err(failure) => {
                let _ = tx.send(Polled::Lost(failure));
                return;
            }
            Ok(Err(error)) => {
                let failure = Failure::assertion(step, "an HTTP response", error.to_string());
                let _ = tx.send(Polled::Lost(failure));
                return;
            }
            Ok(Ok(response)) => response,
        };
        if response.status != 200 {
            let _ = tx.send(Polled::Refused(response));
            return;
        }
        let text = response.text();
        let (pings, records): (Vec<&str>, Vec<&str>) = text.split(RS).partition(|r| *r == "2");
        if !pings.is_empty() {
            pinged.send_replace(Some(Instant::now()));
        }
        for _ in pings {
            let (http, target) = (http.clone(), target.clone());
            tokio::spawn(async move {
                // A pong the server refuses shows on the next GET; nothing to report here.
                let _ = http
                    .request("POST", target, &[("content-type", TEXT_PLAIN)], b"3")
                    .await;
            });
        }
        let ends = records.iter().any(|r| *r == "1" || *r == "6");
        if !records.is_empty() {
            let records = records.into_iter().map(str::to_string).collect();
            if tx.send(Polled::Records(records)).is_err() {
                return;
            }
        }
        if ends {
            return;
        }
    }
}
