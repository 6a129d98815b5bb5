//! Closing an Engine.IO session from the client: a `1` packet over polling (a pending GET is
//! released with a noop) and over WebSocket.

use super::support::*;
use crate::case::{Case, NOTES};
use crate::context::{Ctx, expect_status};
use crate::failure::{CaseResult, Failure, visible};
use crate::long_poll::Polled;
use std::time::Instant;

async fn polling_forceful(cx: &mut Ctx) -> CaseResult {
    let step = "pending GET after the close";
    let mut attempt = 1;
    loop {
        let sid = open_long_polling(cx).await?;
        join_if_socketio_polling(cx, &sid).await?;
        let bound = cx.long_poll_bound();
        if attempt > 1 {
            // The sessions ping in the same phase: close right after a ping this time.
            let long_poll = cx.started_long_poll(&sid, step)?;
            long_poll.next_ping("a ping to close after", bound).await?;
        }
        cx.pause(
            50,
            "let the long poll's next GET be pending at the server before the close",
        )
        .await;
        let sent = Instant::now();
        let r = cx.post(&q(&sid), "1").await?;
        expect_status("POST 1 (close)", &r, 200)?;
        let long_poll = cx.started_long_poll(&sid, step)?;
        match long_poll.next(step, bound).await? {
            Polled::Records(records) if records == ["6"] => {
                return expect_session_gone(cx, &sid, "GET after the close").await;
            }
            Polled::Records(records) => {
                let got = records.join(RS);
                return Err(Failure::assertion(
                    step,
                    "status 200 body 6",
                    format!("status 200 body {} (pings removed)", visible(&got)),
                ));
            }
            Polled::Refused(r) if long_poll.pinged_since(sent) && attempt < ATTEMPTS => {
                cx.tolerate(format!(
                    "{step}: a ping released the pending GET as the close arrived (status {}); \
                     tried again on a new session",
                    r.status
                ));
            }
            Polled::Refused(r) => {
                return Err(Failure::assertion(
                    step,
                    "status 200 body 6",
                    format!("status {} body {}", r.status, visible(&r.text())),
                ));
            }
            Polled::Lost(f) => return Err(f),
        }
        attempt += 1;
    }
}

/// How many sessions [`polling_forceful`] opens before it judges a close that met no pending
/// GET: a ping may release the GET just as the close arrives, which says nothing of the server
/// (the later attempts close right after a ping).
const ATTEMPTS: u32 = 3;

async fn polling_close_no_pending(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    let r = cx.post(&q(&sid), "1").await?;
    expect_status("POST 1 (close)", &r, 200)?;
    expect_session_gone(cx, &sid, "GET after the close").await
}

async fn ws_forceful(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws_no_pong(cx).await?;
    ws.send("1").await?;
    // Node ignores `1` over WebSocket; the session then ends by ping timeout since nothing pongs.
    let bound = cx.heartbeat_deadline();
    let code = ws
        .expect_close_after_pings("close after `1` (pings not answered)", bound)
        .await?;
    cx.observe_close(format!("websocket close {code}"));
    Ok(())
}

async fn ws_close_immediate(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("1").await?;
    let bound = cx.margin();
    expect_ws_closed(cx, &mut ws, "close right after `1` (pings answered)", bound).await
}

/// The close cases.
pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(crate::engine_pair!(
        "close.polling.forceful",
        "POST `1` closes the session: a pending GET is released with a noop `6`, later GETs are refused",
        polling_forceful, "Packet types (close); notes §1.5", ["polling", "close"],
        Some("close › HTTP long-polling › forcefully closes the session"),
        Some("Engine.IO protocol › close › HTTP long-polling › should forcefully close the session")
    ));
    v.extend(crate::engine_pair!(
        "close.websocket.forceful",
        "After `1` over WebSocket (and no pongs) the connection closes within pingInterval + pingTimeout",
        ws_forceful, "Packet types (close); notes §1.6", ["websocket", "close", "heartbeat"],
        Some("close › WebSocket › forcefully closes the session"),
        Some("Engine.IO protocol › close › WebSocket › should forcefully close the session")
    ));
    v.push(
        Case::new(
            "eio.close.polling.no-pending-get",
            "POST `1` with no GET pending ends the session (the next GET is refused)",
            crate::body!(polling_close_no_pending),
        )
        .spec(NOTES, "§4 #26")
        .tags(&["polling", "close"]),
    );
    v.push(
        Case::new(
            "eio.close.websocket.immediate",
            "`1` over WebSocket closes the connection promptly, even while pongs are answered",
            crate::body!(ws_close_immediate),
        )
        .spec(NOTES, "§4 #27; §1.6")
        .should()
        .tags(&["websocket", "close"])
        .node_differs("engine.io ignores a client `1` over WebSocket (socket.ts#onPacket has no close case); the session lives until a ping timeout"),
    );
    v
}
