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
//!
//! Engine.IO v3 turns the direction around (engine.io 6.6.12 `resetPingTimeout` with
//! `protocol === 3`):
//!
//! ```text
//! open         → no ping ever; deadline at now + pingInterval + pingTimeout
//! client ping  → deadline moved to now + pingInterval + pingTimeout (`pingTimeoutTimer.refresh()`;
//!                nothing once an upgrade has cleared the timer, as in Node); the caller pongs
//! other packet → nothing
//! deadline     → close "ping timeout"
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
    /// Engine.IO v3: the client pings, the server only watches the deadline.
    client_pings: bool,
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
            client_pings: false,
        }
    }

    /// The v3 heartbeat, started at `onOpen`: the session dies `interval + timeout` after the
    /// last client ping (or the open).
    pub(crate) fn start_v3(now: Instant, interval: Duration, timeout: Duration) -> Heartbeat {
        let window = interval + timeout;
        Heartbeat {
            interval: window,
            timeout: window,
            next_ping: None,
            pong_deadline: Some(now + window),
            refreshed: false,
            client_pings: true,
        }
    }

    /// A v3 client ping: `pingTimeoutTimer?.refresh()` restarts the deadline with its full
    /// duration, unless it was cleared (an upgrade clears it for good in Node).
    pub(crate) fn on_client_ping(&mut self, now: Instant) {
        if let Some(deadline) = &mut self.pong_deadline {
            *deadline = now + self.timeout;
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
        // "protocol !== 3 && …": v3 deadlines move only on client pings.
        if self.client_pings {
            return;
        }
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
