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
//! The ping may leave a little early (`slack`, `SessionConfig::ping_slack`) so that an adapter
//! can send the pings of many sessions in one wakeup. Only the ping moves: for everything that
//! can close the session the ping counts as sent at its due time (or when it really left, if
//! that was later, as a Node timer that fires late under load):
//!
//! ```text
//! ping due at P, sent at p ≥ P - slack → "2" now; counted as sent at A = max(p, P)
//!                                        pong deadline A + pingTimeout (Node's: P + pingTimeout)
//! other packet at t < A                → no refresh (in Node's timeline no ping is out yet)
//! other packet at t ≥ A                → refresh to t + pingTimeout, once, as in Node
//! ```
//!
//! So a client that never answers is closed at exactly `pingInterval + pingTimeout` after the
//! open or its last pong, never later (and never earlier) than Node closes it; the client sees
//! the ping up to `slack` early and has that much longer to answer it.
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
    /// How early the ping may leave (`SessionConfig::ping_slack`, at most a quarter of the
    /// interval).
    slack: Duration,
    /// When the next ping is due (Node's `pingIntervalTimer`; a one-shot timer that only a
    /// pong re-arms). It may leave from `slack` before.
    pub(crate) next_ping: Option<Instant>,
    /// When the last ping counts as sent: its due time, or when it left if that was later.
    pinged_at: Option<Instant>,
    /// When the session dies unless a pong arrives (Node's `pingTimeoutTimer`).
    pub(crate) pong_deadline: Option<Instant>,
    /// `hasRefreshedPingTimeout`.
    refreshed: bool,
    /// Engine.IO v3: the client pings, the server only watches the deadline.
    client_pings: bool,
}

impl Heartbeat {
    /// Started at `onOpen`: the first ping is one interval away. It may leave up to `slack`
    /// early (`SessionConfig::effective_ping_slack`, checked here again: a quarter of the
    /// interval at most).
    pub(crate) fn start(
        now: Instant,
        interval: Duration,
        timeout: Duration,
        slack: Duration,
    ) -> Heartbeat {
        Heartbeat {
            interval,
            timeout,
            slack: slack.min(interval / 4),
            next_ping: Some(now + interval),
            pinged_at: None,
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
            slack: Duration::ZERO,
            next_ping: None,
            pinged_at: None,
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

    /// Whether the ping may leave at `now` (it is due within `slack`). If so, arms the pong
    /// deadline from the ping's due time when the ping leaves within the slack of it, early or
    /// late, else from `now`; the caller sends the ping.
    ///
    /// Late within the slack: a loaded runtime that wakes the timer driver a few milliseconds
    /// late would otherwise push the close after a missed pong back by as much, which the
    /// official suites see (they expect the session gone exactly pingInterval + pingTimeout
    /// after the handshake); a client cannot tell a few milliseconds of pingTimeout. Later than
    /// that, the deadline counts from the ping, as Node's does, so a stalled server does not
    /// cut off a client that had no time to answer.
    pub(crate) fn ping_due(&mut self, now: Instant) -> bool {
        let Some(due) = self.next_ping.filter(|t| *t <= now + self.slack) else {
            return false;
        };
        let sent = if now <= due + self.slack { due } else { now };
        self.next_ping = None;
        self.refreshed = false;
        self.pinged_at = Some(sent);
        self.pong_deadline = Some(sent + self.timeout);
        true
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
        // A packet that came before the ping's due time came, in Node's timeline, before the
        // ping: it refreshes nothing (and leaves the one refresh for a packet after it).
        let after_ping = self.pinged_at.is_some_and(|sent| now >= sent);
        if self.pong_deadline.is_some() && !self.refreshed && after_ping {
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

    /// The earliest time at which [`Heartbeat::ping_due`] or [`Heartbeat::timed_out`] can
    /// hold: the ping's slack before its due time, or the pong deadline.
    pub(crate) fn next_earliest(&self) -> Option<Instant> {
        let ping = self
            .next_ping
            .map(|t| t.checked_sub(self.slack).unwrap_or(t));
        match (ping, self.pong_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_millis(300);
    const TIMEOUT: Duration = Duration::from_millis(200);

    #[test]
    fn a_heartbeat_caps_its_own_slack_at_a_quarter_of_the_interval() {
        // The session passes a capped slack already; the heartbeat does not rely on it.
        let t0 = Instant::now();
        let mut h = Heartbeat::start(t0, INTERVAL, TIMEOUT, Duration::from_millis(200));
        assert_eq!(h.next_earliest(), Some(t0 + Duration::from_millis(225)));
        assert!(!h.ping_due(t0 + Duration::from_millis(224)));
        assert!(h.ping_due(t0 + Duration::from_millis(225)));
    }

    #[test]
    fn stopping_clears_both_timers_as_nodes_on_close_does() {
        // engine.io 6.6.12 `onClose`: `clearTimeout(this.pingIntervalTimer)` and
        // `clearTimeout(this.pingTimeoutTimer)`.
        let t0 = Instant::now();
        let mut h = Heartbeat::start(t0, INTERVAL, TIMEOUT, Duration::ZERO);
        assert!(h.ping_due(t0 + INTERVAL));
        h.on_pong(t0 + INTERVAL);
        assert!(h.ping_due(t0 + 2 * INTERVAL));
        assert!(h.next_deadline().is_some());
        h.stop();
        assert_eq!(h.next_deadline(), None);
        assert_eq!(h.next_earliest(), None);
        let mut v3 = Heartbeat::start_v3(t0, INTERVAL, TIMEOUT);
        assert!(v3.next_deadline().is_some());
        v3.stop();
        assert_eq!(v3.next_deadline(), None);
    }
}
