//! Engine.IO v4 heartbeat: the server pings every pingInterval, the client pongs; without a pong
//! the session ends after pingTimeout. On a Socket.IO server the session joins `/` first, so the
//! connectTimeout does not end it during the case.

use super::support::*;
use crate::context::{Ctx, expect_status};
use crate::failure::{CaseResult, Failure};
use std::time::Duration;

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

async fn polling_ping_timeout(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    let tm = cx.timings();
    let wait = tm.ping_interval + tm.ping_timeout + cx.margin().as_millis() as u64;
    cx.pause(wait, "pingInterval + pingTimeout + margin without a pong")
        .await;
    expect_session_gone(cx, &sid, "GET after the ping timeout").await
}

/// Waits for the first ping without answering anything, and judges when it came (measured
/// from the open packet to the ping, both as received: the network's delay cancels out).
async fn ws_first_ping(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws_no_pong(cx).await?;
    let opened = std::time::Instant::now();
    let tm = cx.timings();
    let deadline = Duration::from_millis(tm.ping_interval + tm.ping_timeout);
    // What a client tolerates is the deadline itself (socket.io-client arms one timer for
    // pingInterval + pingTimeout); an eighth of the margin (50 ms by default) covers this
    // machine's scheduling of the two receipts, not the server's timer.
    let tight = deadline + cx.margin() / 8;
    ws.expect_within("first ping", t("2"), tight + cx.margin())
        .await
        .map_err(|f| f.rule(crate::catalogue::FIRST_PING_IN_TIME))?;
    let took = opened.elapsed();
    if took > tight {
        return Err(Failure::assertion(
            "first ping",
            format!(
                "a ping within pingInterval + pingTimeout = {} ms of the open packet (a client gives up then)",
                deadline.as_millis()
            ),
            format!("the first ping after {} ms", took.as_millis()),
        )
        .rule(crate::catalogue::FIRST_PING_IN_TIME));
    }
    let interval = Duration::from_millis(tm.ping_interval);
    let early = interval.saturating_sub((interval / 10).max(Duration::from_millis(25)));
    if took < early {
        cx.soft(Err(Failure::assertion(
            "first ping",
            format!(
                "the first ping about pingInterval = {} ms after the open packet",
                tm.ping_interval
            ),
            format!("the first ping after {} ms", took.as_millis()),
        )
        .rule(crate::catalogue::FIRST_PING_NOT_EARLY)));
    }
    Ok(())
}

async fn ws_ping_pong(cx: &mut Ctx) -> CaseResult {
    // Pings are answered while joining (a server may ping before the CONNECT reply: judged by
    // the first-ping case, not here), then counted unanswered by the case itself.
    let (mut ws, _) = open_ws(cx).await?;
    join_if_socketio_ws(cx, &mut ws).await?;
    ws.auto_pong(false);
    let bound = Duration::from_millis(cx.timings().ping_interval) + cx.margin();
    for i in 1..=3 {
        ws.expect_within(&format!("ping #{i}"), t("2"), bound)
            .await?;
        ws.send("3").await?;
    }
    Ok(())
}

async fn ws_ping_timeout(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws_no_pong(cx).await?;
    let tm = cx.timings();
    ws.expect_within(
        "ping",
        t("2"),
        Duration::from_millis(tm.ping_interval) + cx.margin(),
    )
    .await?;
    let bound = Duration::from_millis(tm.ping_timeout) + cx.margin();
    expect_ws_closed(cx, &mut ws, "close after the unanswered ping", bound).await
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
