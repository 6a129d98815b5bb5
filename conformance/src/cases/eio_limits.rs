//! Limits and packets the server refuses or ignores: maxPayload over polling and WebSocket, a
//! binary POST content type, a client ping, noop/upgrade on the established transport.
//!
//! The maxPayload cases split their verdict: a message over the announced limit that is
//! accepted breaks a MUST ([`crate::catalogue::MAX_PAYLOAD_ENFORCED`]: the limit is what keeps
//! one client from exhausting the server's memory), while the form of the refusal (413, close
//! 1009, the session kept) is Node's and a SHOULD. They judge only the limit the server
//! announces, and only up to [`LARGEST_LIMIT_EXERCISED`] bytes sent.

use super::support::*;
use crate::case::{Case, NOTES};
use crate::catalogue;
use crate::context::{Ctx, expect_status};
use crate::driver::WsEvent;
use crate::driver::ws::Next;
use crate::failure::{CaseResult, Failure, visible};
use std::time::Duration;

/// The largest announced maxPayload the limit cases exceed: they send maxPayload + 1 bytes,
/// so a server announcing more (or a huge value) would have them send that much. Above it the
/// limit is not exercised (a tolerance says so); Node's default is 1e6.
const LARGEST_LIMIT_EXERCISED: u64 = 8 * 1024 * 1024;

/// The announced maxPayload when the case can exceed it within its byte bound; otherwise notes
/// the tolerance and gives `None`.
fn exercised_limit(cx: &mut Ctx) -> Option<usize> {
    let max = cx.timings().max_payload;
    if max > LARGEST_LIMIT_EXERCISED {
        cx.tolerate(format!(
            "the announced maxPayload {max} is over the {LARGEST_LIMIT_EXERCISED} bytes this case \
             sends at most: the limit is not exercised"
        ));
        return None;
    }
    Some(max as usize)
}

/// A POST body one byte over the announced maxPayload. MUST (rule
/// [`catalogue::MAX_PAYLOAD_ENFORCED`]): it is not accepted, since a limit that is only announced
/// lets one client make the server buffer bodies of any size (CVE-2020-36048, engine.io's
/// long-polling POST). SHOULD: the refusal is Node's, 413 with the session kept.
async fn polling_too_large(cx: &mut Ctx) -> CaseResult {
    let sid = open_long_polling(cx).await?;
    let Some(max) = exercised_limit(cx) else {
        return Ok(());
    };
    let body = format!("4{}", "a".repeat(max));
    let r = cx.post(&q(&sid), &body).await?;
    let step = format!("POST of {} bytes (maxPayload {max})", body.len());
    if (200..300).contains(&r.status) {
        return Err(Failure::assertion(
            step,
            "refused (Node: status 413)",
            format!("status {} body {} (accepted)", r.status, visible(&r.text())),
        )
        .rule(catalogue::MAX_PAYLOAD_ENFORCED));
    }
    if r.status != 413 {
        cx.soft(Err(Failure::assertion(
            step,
            "status 413",
            format!("status {} body {}", r.status, visible(&r.text())),
        )));
        return Ok(());
    }
    // Node keeps the session: an ordinary POST is still echoed, and nothing of the refused body
    // comes first.
    let after = async {
        let r = cx.post(&q(&sid), "4alive").await?;
        expect_status("POST after the refused one", &r, 200)?;
        expect_poll_body(cx, &sid, "the session survives", "4alive").await
    }
    .await;
    cx.soft(after);
    Ok(())
}

/// A WebSocket message one byte over the announced maxPayload. MUST (rule
/// [`catalogue::MAX_PAYLOAD_ENFORCED`]): it is not accepted (the echo server would send it back).
/// SHOULD: the refusal is Node's, close 1009 (RFC 6455 "message too big").
async fn ws_too_large(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    let Some(max) = exercised_limit(cx) else {
        return Ok(());
    };
    let frame = format!("4{}", "a".repeat(max));
    ws.send(&frame).await?;
    let step = format!("a message of {} bytes (maxPayload {max})", frame.len());
    let should = |received: String| {
        Failure::assertion(format!("{step}: the refusal"), "close 1009", received)
    };
    match ws.next_within(cx.step()).await {
        Next::Event(WsEvent::Close { code, .. }) => {
            cx.observe_close(format!("websocket close {code}"));
            if code != 1009 {
                cx.soft(Err(should(format!("close {code}"))));
            }
            Ok(())
        }
        Next::Ended => {
            cx.observe_close("websocket ended");
            cx.soft(Err(should("(the connection ended)".into())));
            Ok(())
        }
        Next::Timeout => {
            cx.soft(Err(should(format!(
                "(nothing within {} ms: not echoed, the connection still open)",
                cx.step().as_millis()
            ))));
            Ok(())
        }
        Next::Event(other) => Err(Failure::assertion(
            step,
            "not accepted (Node: close 1009)",
            format!("{} (accepted)", visible(&other.describe())),
        )
        .rule(catalogue::MAX_PAYLOAD_ENFORCED)),
    }
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
            "A POST one byte over maxPayload is not accepted (MUST); Node refuses it with 413 and keeps the session (SHOULD)",
            crate::body!(polling_too_large),
        )
        .spec(NOTES, "§4 #22; §1.9")
        .should()
        .tags(&["polling", "limits", "security"]),
        Case::new(
            "eio.limits.websocket.frame-too-large",
            "A WebSocket message one byte over maxPayload is not accepted (MUST); Node closes with 1009 (SHOULD)",
            crate::body!(ws_too_large),
        )
        .spec(NOTES, "§4 #23; §1.9")
        .should()
        .tags(&["websocket", "limits", "security"]),
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
