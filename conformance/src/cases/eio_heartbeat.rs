//! Engine.IO v4 heartbeat: the server pings every pingInterval, the client pongs; without a pong
//! the session ends after pingTimeout. On a Socket.IO server the session joins `/` first, so the
//! connectTimeout does not end it during the case.
//!
//! When the pings and the close come is judged by [`crate::timing`]: on time passes, late
//! within the margin is `non-strict`, later fails. Each case is at least as strict as its twin
//! in the official suites (which check the polling ping timeout to the millisecond).

use super::support::*;
use crate::catalogue::{
    CONNECT_TIMEOUT_CLOSES, CONNECT_TIMEOUT_ON_TIME, FIRST_PING_IN_TIME, FIRST_PING_NOT_EARLY,
    PING_ON_SCHEDULE, PING_TIMEOUT_CLOSES, PING_TIMEOUT_ON_TIME,
};
use crate::context::Ws;
use crate::context::{Ctx, expect_status};
use crate::failure::{CaseResult, Failure};
use crate::timing::{Deadline, Rounds, SAMPLES, STAGGER};
use std::time::{Duration, Instant};

async fn polling_ping_pong(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    join_if_socketio_polling(cx, &sid).await?;
    for i in 1..=3 {
        let r = cx.get(&q(&sid)).await?;
        let step = format!("GET ping #{i}");
        crate::context::expect_response(&step, &r, 200, &t("2"))?;
        let pong = cx.post(&q(&sid), "3").await?;
        expect_status(&format!("POST pong #{i}"), &pong, 200)?;
    }
    Ok(())
}

/// Opens [`SAMPLES`] WebSocket sessions that answer no ping, [`STAGGER`] apart, each with the
/// moment its open packet was received.
async fn open_ws_samples(cx: &mut Ctx, pong: bool) -> Result<Vec<(Ws, Instant)>, Failure> {
    let mut sessions = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        if i > 0 {
            stagger(cx).await;
        }
        let (ws, _) = if pong {
            open_ws(cx).await?
        } else {
            open_ws_no_pong(cx).await?
        };
        sessions.push((ws, Instant::now()));
    }
    Ok(sessions)
}

/// The pause between two sessions of a round.
pub(super) async fn stagger(cx: &Ctx) {
    cx.pause(
        STAGGER.as_millis() as u64,
        "staggered: the next timing sample",
    )
    .await;
}

/// What is left of `bound` counted from `since`.
fn left(bound: Duration, since: Instant) -> Duration {
    bound.saturating_sub(since.elapsed())
}

/// The official suites' check, then how late, over [`SAMPLES`] sessions: a GET sent exactly
/// pingInterval + pingTimeout after the handshake should find the session gone (400). One that
/// finds it still open (the buffered ping comes back) is followed by another when
/// [`crate::timing::EXACT`] has run out, and by a last one when the margin has: gone by the
/// second is on time, by the last late, still open then fails ([`crate::timing`]).
async fn polling_ping_timeout(cx: &mut Ctx) -> CaseResult {
    let tm = cx.timings();
    let due = Duration::from_millis(tm.ping_interval + tm.ping_timeout);
    let deadline = Deadline::new(
        cx,
        "GET after the ping timeout",
        format!(
            "the session gone pingInterval + pingTimeout = {} ms after the handshake",
            due.as_millis()
        ),
        due,
        due + cx.margin(),
    )
    .rules(PING_TIMEOUT_CLOSES, PING_TIMEOUT_ON_TIME);
    let mut rounds = Rounds::default();
    loop {
        let mut sessions = Vec::with_capacity(SAMPLES);
        for i in 0..SAMPLES {
            if i > 0 {
                stagger(cx).await;
            }
            let sid = open_polling(cx).await?;
            sessions.push((sid, Instant::now()));
        }
        let samples = probe_until_gone(cx, &deadline, &sessions).await?;
        expect_session_gone(cx, &sessions[0].0, "GET after the ping timeout").await?;
        if let Some(verdict) = rounds.settle(cx, &deadline, &samples) {
            return verdict;
        }
    }
}

/// Probes each session at the deadline, [`crate::timing::EXACT`] after it and at the limit;
/// returns when each was found gone.
async fn probe_until_gone(
    cx: &Ctx,
    deadline: &Deadline,
    sessions: &[(String, Instant)],
) -> Result<Vec<Duration>, Failure> {
    let probes = [
        (deadline.due, "pingInterval + pingTimeout without a pong"),
        (
            deadline.due + deadline.exact,
            "still open at the deadline: once more",
        ),
        (
            deadline.limit,
            "still open: once more when the margin has run out",
        ),
    ];
    let gone = futures_util::future::join_all(sessions.iter().map(|(sid, opened)| async move {
        for (at, why) in probes {
            cx.pause(left(at, *opened).as_millis() as u64, why).await;
            // Open, the session answers at once with the ping it buffered; a GET it holds for
            // the whole margin means it is still open then.
            match poll_within(cx, sid, cx.margin()).await? {
                Some(r) if r.status == 400 => return Ok(Some(at)),
                Some(_) => {}
                None => return Ok(None),
            }
        }
        Ok::<_, Failure>(None)
    }))
    .await;
    let mut samples = Vec::with_capacity(SAMPLES);
    for g in gone {
        match g? {
            // When the probe that found it gone was due: it was still open at the one before.
            Some(at) => samples.push(at),
            None => return Err(still_open(deadline)),
        }
    }
    Ok(samples)
}

/// A GET on `sid` that gives up after `bound` (`None`): the session held it.
async fn poll_within(
    cx: &Ctx,
    sid: &str,
    bound: Duration,
) -> Result<Option<crate::driver::HttpResponse>, Failure> {
    let target = cx.url(&q(sid));
    match cx
        .http()
        .request_within("GET", target, &[], b"", bound)
        .await?
    {
        Ok(r) => Ok(Some(r)),
        Err(crate::driver::HttpError::Timeout(_)) => Ok(None),
        Err(e) => Err(Failure::assertion(
            "GET after the ping timeout",
            "a response (400 once the session is gone)",
            e.to_string(),
        )),
    }
}

/// A session outlived the deadline and its margin.
fn still_open(deadline: &Deadline) -> Failure {
    Failure::assertion(
        deadline.step.clone(),
        format!("{} (status 400)", deadline.what),
        format!(
            "a session still open {} ms after its handshake",
            deadline.limit.as_millis()
        ),
    )
    .rule(PING_TIMEOUT_CLOSES)
}

/// Waits for the first ping of [`SAMPLES`] sessions without answering anything, and judges when
/// it came (measured from the open packet to the ping, both as received: the network's delay
/// cancels out). On time is pingInterval; a client gives up at pingInterval + pingTimeout, so
/// later fails.
async fn ws_first_ping(cx: &mut Ctx) -> CaseResult {
    let tm = cx.timings();
    let interval = Duration::from_millis(tm.ping_interval);
    let gives_up = Duration::from_millis(tm.ping_interval + tm.ping_timeout);
    let mut deadline = Deadline::new(
        cx,
        "first ping",
        format!(
            "the first ping pingInterval = {} ms after the open packet, before a client gives up \
             at pingInterval + pingTimeout = {} ms",
            interval.as_millis(),
            gives_up.as_millis()
        ),
        interval,
        gives_up,
    )
    .rules(FIRST_PING_IN_TIME, PING_ON_SCHEDULE)
    .early_rule(FIRST_PING_NOT_EARLY)
    .not_early();
    // The client's own deadline, with room for this machine's scheduling of the receipts.
    deadline.limit = gives_up + deadline.tolerance;
    let bound = deadline.wait_bound();
    let mut rounds = Rounds::default();
    loop {
        let mut sessions = open_ws_samples(cx, false).await?;
        let pinged =
            futures_util::future::join_all(sessions.iter_mut().map(|(ws, opened)| async {
                ws.expect_within("first ping", t("2"), left(bound, *opened))
                    .await
                    .map(|_| opened.elapsed())
            }))
            .await;
        let samples = pinged
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|f| f.rule(FIRST_PING_IN_TIME))?;
        if let Some(verdict) = rounds.settle(cx, &deadline, &samples) {
            return verdict;
        }
    }
}

/// Pings answered; the samples are the periods from a pong to the next ping (the pong re-arms
/// the server's ping timer), three per round. The first ping may come any time within the
/// interval: the session answered pings automatically while joining.
async fn ws_ping_pong(cx: &mut Ctx) -> CaseResult {
    // Pings are answered while joining (a server may ping before the CONNECT reply: judged by
    // the first-ping case, not here), then counted unanswered by the case itself.
    let (mut ws, _) = open_ws(cx).await?;
    join_if_socketio_ws(cx, &mut ws).await?;
    ws.auto_pong(false);
    let tm = cx.timings();
    let interval = Duration::from_millis(tm.ping_interval);
    let gives_up = Duration::from_millis(tm.ping_interval + tm.ping_timeout);
    // From the pong sent to the next ping received: the pong's way there and the ping's way
    // back add one round trip to the server's interval.
    let round_trip = cx.round_trip();
    let mut deadline = Deadline::new(
        cx,
        "pings",
        format!(
            "each ping pingInterval = {} ms after the pong to the previous one (+ the round trip, {} ms)",
            interval.as_millis(),
            round_trip.as_millis()
        ),
        interval + round_trip,
        gives_up + round_trip,
    )
    // Past what a client waits (pingInterval + pingTimeout) fails at the case's level: MUST.
    .should_rule(PING_ON_SCHEDULE)
    .not_early();
    deadline.limit = gives_up + round_trip + deadline.tolerance;
    let bound = deadline.wait_bound();
    let mut count = 0;
    ws.expect_within("ping #1", t("2"), bound).await?;
    ws.send("3").await?;
    let mut ponged = Instant::now();
    let mut rounds = Rounds::default();
    loop {
        let mut samples = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            count += 1;
            ws.expect_within(&format!("ping #{}", count + 1), t("2"), bound)
                .await?;
            samples.push(ponged.elapsed());
            ws.send("3").await?;
            ponged = Instant::now();
        }
        if let Some(verdict) = rounds.settle(cx, &deadline, &samples) {
            return verdict;
        }
    }
}

/// The ping of [`SAMPLES`] sessions, left unanswered; each close must come pingTimeout after
/// its ping (measured from the ping as received: the network's delay cancels out).
async fn ws_ping_timeout(cx: &mut Ctx) -> CaseResult {
    let tm = cx.timings();
    let timeout = Duration::from_millis(tm.ping_timeout);
    let deadline = Deadline::new(
        cx,
        "close after the unanswered ping",
        format!(
            "the close pingTimeout = {} ms after the ping",
            timeout.as_millis()
        ),
        timeout,
        timeout + cx.margin(),
    )
    .rules(PING_TIMEOUT_CLOSES, PING_TIMEOUT_ON_TIME)
    .not_early();
    // When the ping comes is the first-ping case's subject; here it only starts the clock.
    let ping_bound = Duration::from_millis(tm.ping_interval + tm.ping_timeout) + cx.margin();
    let close_bound = deadline.wait_bound();
    let mut rounds = Rounds::default();
    loop {
        let mut sessions = open_ws_samples(cx, false).await?;
        let closed =
            futures_util::future::join_all(sessions.iter_mut().map(|(ws, opened)| async {
                ws.expect_within("ping", t("2"), left(ping_bound, *opened))
                    .await?;
                let pinged = Instant::now();
                let code = ws
                    .expect_close("close after the unanswered ping", close_bound)
                    .await
                    .map_err(|f| f.rule(PING_TIMEOUT_CLOSES))?;
                Ok::<_, Failure>((pinged.elapsed(), code))
            }))
            .await;
        let samples = close_samples(cx, closed)?;
        if let Some(verdict) = rounds.settle(cx, &deadline, &samples) {
            return verdict;
        }
    }
}

/// The samples of a round whose sessions were each closed (when, close code), each close
/// observed; the first session that was not closed as expected fails the round.
fn close_samples(
    cx: &mut Ctx,
    closed: Vec<Result<(Duration, u16), Failure>>,
) -> Result<Vec<Duration>, Failure> {
    let mut samples = Vec::with_capacity(closed.len());
    for c in closed {
        let (took, code) = c?;
        cx.observe_close(format!("websocket close {code}"));
        samples.push(took);
    }
    Ok(samples)
}

/// Without a CONNECT the engine connection is closed when connectTimeout runs out, measured in
/// [`SAMPLES`] sessions from the open packet as received (the network's delay cancels out).
/// For `sio.connect.no-handshake`; pings are answered, so only connectTimeout can end them.
pub(super) async fn connect_timeout_closes(cx: &mut Ctx) -> CaseResult {
    let due = Duration::from_millis(cx.timings().connect_timeout);
    let deadline = Deadline::new(
        cx,
        "close after connectTimeout without CONNECT",
        format!(
            "the close connectTimeout = {} ms after the open packet",
            due.as_millis()
        ),
        due,
        due + cx.margin(),
    )
    .rules(CONNECT_TIMEOUT_CLOSES, CONNECT_TIMEOUT_ON_TIME)
    .not_early();
    let bound = deadline.wait_bound();
    let mut rounds = Rounds::default();
    loop {
        let mut sessions = open_ws_samples(cx, true).await?;
        let closed =
            futures_util::future::join_all(sessions.iter_mut().map(|(ws, opened)| async {
                let code = ws
                    .expect_close(
                        "close after connectTimeout without CONNECT",
                        left(bound, *opened),
                    )
                    .await
                    .map_err(|f| f.rule(CONNECT_TIMEOUT_CLOSES))?;
                Ok::<_, Failure>((opened.elapsed(), code))
            }))
            .await;
        let samples = close_samples(cx, closed)?;
        if let Some(verdict) = rounds.settle(cx, &deadline, &samples) {
            return verdict;
        }
    }
}

/// The heartbeat cases.
pub fn cases() -> Vec<crate::case::Case> {
    let mut v = Vec::new();
    v.extend(crate::engine_pair!(
        "heartbeat.polling.ping-pong",
        "Over polling the server pings (`2`) every pingInterval and accepts pongs (`3`), three times",
        polling_ping_pong, "Heartbeat", ["polling", "heartbeat"],
        Some("heartbeat › HTTP long-polling › sends ping/pong packets"),
        Some("Engine.IO protocol › heartbeat › HTTP long-polling › should send ping/pong packets")
    ));
    v.extend(crate::engine_pair!(
        "heartbeat.polling.ping-timeout",
        "Over polling a session that never pongs is gone after pingInterval + pingTimeout",
        polling_ping_timeout, "Heartbeat", ["polling", "heartbeat"],
        Some("heartbeat › HTTP long-polling › closes the session upon ping timeout"),
        Some("Engine.IO protocol › heartbeat › HTTP long-polling › should close the session upon ping timeout")
    ));
    v.extend(crate::engine_pair!(
        "heartbeat.websocket.first-ping",
        "Over WebSocket the first ping comes pingInterval after the open packet: before a client gives up (pingInterval + pingTimeout), and not early",
        ws_first_ping, "Heartbeat", ["websocket", "heartbeat", "timing"],
        None,
        None
    ));
    v.extend(crate::engine_pair!(
        "heartbeat.websocket.ping-pong",
        "Over WebSocket the server pings (`2`) every pingInterval and accepts pongs (`3`), three times",
        ws_ping_pong, "Heartbeat", ["websocket", "heartbeat"],
        Some("heartbeat › WebSocket › sends ping/pong packets"),
        Some("Engine.IO protocol › heartbeat › WebSocket › should send ping/pong packets")
    ));
    v.extend(crate::engine_pair!(
        "heartbeat.websocket.ping-timeout",
        "Over WebSocket a session that never pongs is closed pingTimeout after the ping",
        ws_ping_timeout, "Heartbeat", ["websocket", "heartbeat"],
        Some("heartbeat › WebSocket › closes the session upon ping timeout"),
        Some("Engine.IO protocol › heartbeat › WebSocket › should close the session upon ping timeout")
    ));
    v.into_iter()
        .map(|c| match c.id {
            "sio.engine.heartbeat.polling.ping-pong" => c.near_only(JOINS_STEP_BY_STEP),
            _ => c,
        })
        .collect()
}

/// Why the Socket.IO twin of the polling ping-pong case needs the server near: it joins `/`
/// first (POST `40`, then GETs), with no GET pending meanwhile, so that the session outlives
/// connectTimeout; far away a ping that falls due during the join is answered late.
const JOINS_STEP_BY_STEP: &str = "it joins `/` by POST and GET with no GET pending in between, \
     then checks each GET brings a ping: far away a ping due during the join is answered after \
     the pingTimeout";
