//! Limits and packets the server refuses or ignores: maxPayload over polling and WebSocket, a
//! binary POST content type, a client ping, noop/upgrade on the established transport.

use super::support::*;
use crate::case::{Case, NOTES};
use crate::context::{Ctx, expect_status};
use crate::failure::{CaseResult, Failure, visible};
use std::time::Duration;

async fn polling_too_large(cx: &mut Ctx) -> CaseResult {
    let sid = open_long_polling(cx).await?;
    let size = cx.timings().max_payload as usize + 200;
    let body = format!("4{}", "a".repeat(size));
    let r = cx.post(&q(&sid), &body).await?;
    let step = format!(
        "POST of {} bytes (maxPayload {})",
        body.len(),
        cx.timings().max_payload
    );
    if r.status != 413 {
        return Err(Failure::assertion(
            step,
            "status 413",
            format!("status {} body {}", r.status, visible(&r.text())),
        ));
    }
    // Node keeps the session: an ordinary POST is still echoed.
    let r = cx.post(&q(&sid), "4alive").await?;
    expect_status("POST after the refused one", &r, 200)?;
    expect_poll_body(cx, &sid, "the session survives", "4alive").await
}

async fn ws_too_large(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    let frame = format!("4{}", "a".repeat(cx.timings().max_payload as usize));
    ws.send(&frame).await?;
    let code = ws
        .expect_close("close after a frame over maxPayload", cx.step())
        .await?;
    cx.observe_close(format!("websocket close {code}"));
    if code != 1009 {
        return Err(Failure::assertion(
            "close after a frame over maxPayload",
            "close 1009",
            format!("close {code}"),
        ));
    }
    Ok(())
}

async fn binary_content_type(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    let target = cx.url(&q(&sid));
    let step = "POST with content-type application/octet-stream";
    let r = cx
        .request(
            "POST",
            target,
            &[("content-type", "application/octet-stream")],
            &[4, 1, 2, 3],
        )
        .await?;
    let r = cx.must_respond(step, r)?;
    expect_status(step, &r, 400)?;
    expect_session_gone(cx, &sid, "GET after the binary POST").await
}

async fn client_ping_ws(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("2").await?;
    let bound = cx.step();
    expect_ws_closed(cx, &mut ws, "close after a client ping", bound).await
}

async fn noop_upgrade_ignored(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("6").await?;
    ws.send("5").await?;
    ws.expect_silence(
        "nothing in reply to `6` and `5`",
        Duration::from_millis(100),
    )
    .await?;
    ws.send("4hello").await?;
    ws.expect("the session lives on", t("4hello")).await?;
    Ok(())
}

/// The limits cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "eio.limits.polling.payload-too-large",
            "A POST over maxPayload is refused with 413 and the session survives",
            crate::body!(polling_too_large),
        )
        .spec(NOTES, "§4 #22; §1.9")
        .should()
        .tags(&["polling", "limits"]),
        Case::new(
            "eio.limits.websocket.frame-too-large",
            "A WebSocket frame over maxPayload closes the connection with 1009",
            crate::body!(ws_too_large),
        )
        .spec(NOTES, "§4 #23; §1.9")
        .should()
        .tags(&["websocket", "limits"]),
        Case::new(
            "eio.polling.binary-content-type",
            "A POST with content-type application/octet-stream is refused with 400 and ends the session",
            crate::body!(binary_content_type),
        )
        .spec(NOTES, "§4 #24; §1.4")
        .should()
        .tags(&["polling", "errors"]),
        Case::new(
            "eio.websocket.client-ping",
            "A client ping `2` on the established transport closes the session (v4: only the server pings)",
            crate::body!(client_ping_ws),
        )
        .spec(NOTES, "§4 #37; §1.8")
        .should()
        .tags(&["websocket", "heartbeat", "errors"]),
        Case::new(
            "eio.websocket.noop-and-upgrade-ignored",
            "`6` and `5` on the established transport are ignored",
            crate::body!(noop_upgrade_ignored),
        )
        .spec(NOTES, "§4 #38; §1.6")
        .should()
        .tags(&["websocket"]),
    ]
}
