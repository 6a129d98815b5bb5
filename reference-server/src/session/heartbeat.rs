//! The v4 heartbeat of engine.io 6.6.12 as two deadlines.
//!
//! ```text
//! open        → ping at now + pingInterval
//! ping fires  → send "2"; pong deadline at now + pingTimeout; may refresh once again
//! pong ("3")  → no pong deadline; next ping at now + pingInterval (Node refreshes the interval
//!               timer on every pong, even one that answers nothing)
//! other packet while a pong is awaited → pong deadline at now + pingTimeout, once per ping
//! pong deadline passes → close "ping timeout"
//! ```

use std::time::{Duration, Instant};

/// The heartbeat timers of one session.
#[derive(Debug, Clone)]
pub(crate) struct Heartbeat {
    interval: Duration,
    timeout: Duration,
    /// When the next ping goes out (Node's `pingIntervalTimer`; a one-shot timer that only a
    /// pong re-arms).
    pub(crate) next_ping: Option<Instant>,
    /// When the session dies unless a pong arrives (Node's `pingTimeoutTimer`).
    pub(crate) pong_deadline: Option<Instant>,
    /// `hasRefreshedPingTimeout`.
    refreshed: bool,
}

impl Heartbeat {
    /// Started at `onOpen`: the first ping is one interval away.
    pub(crate) fn start(now: Instant, interval: Duration, timeout: Duration) -> Heartbeat {
        Heartbeat {
            interval,
            timeout,
            next_ping: Some(now + interval),
            pong_deadline: None,
            refreshed: false,
        }
    }

    /// Whether the ping timer has fired by `now`. If so, arms the pong deadline; the caller
    /// sends the ping.
    pub(crate) fn ping_due(&mut self, now: Instant) -> bool {
        if self.next_ping.is_some_and(|t| t <= now) {
            self.next_ping = None;
            self.refreshed = false;
            self.pong_deadline = Some(now + self.timeout);
            true
        } else {
            false
        }
    }

    /// Whether the pong deadline has passed.
    pub(crate) fn timed_out(&self, now: Instant) -> bool {
        self.pong_deadline.is_some_and(|t| t <= now)
    }

    /// A pong arrived.
    pub(crate) fn on_pong(&mut self, now: Instant) {
        self.pong_deadline = None;
        self.next_ping = Some(now + self.interval);
    }

    /// Any other packet reached the socket: "the first packet of any other type while waiting
    /// for a pong refreshes the ping-timeout timer once" (engine.io 6.6.12).
    pub(crate) fn on_other_packet(&mut self, now: Instant) {
        if self.pong_deadline.is_some() && !self.refreshed {
            self.pong_deadline = Some(now + self.timeout);
            self.refreshed = true;
        }
    }

    /// `clearTransport()` clears the ping-timeout timer (upgrade completion).
    pub(crate) fn clear_pong_deadline(&mut self) {
        self.pong_deadline = None;
    }

    /// The session closed: no more timers.
    pub(crate) fn stop(&mut self) {
        self.next_ping = None;
        self.pong_deadline = None;
    }

    /// The earliest heartbeat deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        match (self.next_ping, self.pong_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
