//! Engine.IO v4 heartbeat: the server pings every pingInterval, the client pongs; without a pong
//! the session ends after pingTimeout. On a Socket.IO server the session joins `/` first, so the
//! connectTimeout does not end it during the case.

use super::support::*;
use crate::context::{Ctx, expect_status};
use crate::failure::CaseResult;
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

async fn ws_ping_pong(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws_no_pong(cx).await?;
    join_if_socketio_ws(cx, &mut ws).await?;
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
    v
}
