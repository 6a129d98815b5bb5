//! The polling → WebSocket upgrade: `2probe`/`3probe`, the pending GET released with a noop,
//! `5`, what the server had queued for polling carried over to the WebSocket, then the old
//! transport refused and a second WebSocket with the same sid refused.

use super::support::*;
use crate::case::{Case, NOTES};
use crate::context::{Ctx, Ws};
use crate::driver::WsConnect;
use crate::failure::{CaseResult, Failure};

/// Upgrades a fresh polling session; returns the WebSocket and the sid. The upgrade is known
/// to be complete when the liveness probe answers over the WebSocket.
async fn upgraded(cx: &mut Ctx) -> Result<(Ws, String), Failure> {
    let sid = open_polling(cx).await?;
    let mut ws = cx.ws(&wsq(&sid)).await?;
    ws.send("2probe").await?;
    ws.expect("probe reply", t("3probe")).await?;
    ws.send("5").await?;
    probe_first(cx, &mut ws).await?;
    Ok((ws, sid))
}

/// A fresh polling session with a GET held, probed over a WebSocket: `3probe`, and the held
/// GET released with a noop. The upgrade waits for `5`; returns the WebSocket and the sid.
async fn probed_with_held_get(cx: &mut Ctx) -> Result<(Ws, String), Failure> {
    let sid = open_polling(cx).await?;
    let pending = cx.spawn_get(&q(&sid));
    let mut ws = cx.ws(&wsq(&sid)).await?;
    ws.send("2probe").await?;
    ws.expect("probe reply", t("3probe")).await?;
    let released = pending.response().await?;
    expect_noop_release(cx, &sid, "pending GET during the upgrade", released).await?;
    Ok((ws, sid))
}

async fn success(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = probed_with_held_get(cx).await?;
    ws.send("5").await?;
    probe_first(cx, &mut ws).await
}

async fn same_sid_http(cx: &mut Ctx) -> CaseResult {
    let (mut ws, sid) = upgraded(cx).await?;
    let r = cx.get(&q(&sid)).await?;
    crate::context::expect_status("polling GET after the upgrade", &r, 400)?;
    let body = crate::context::expect_body(
        "polling GET after the upgrade",
        &r,
        &crate::expect::Want::json("", r#"{"code":3,"message":"Bad request"}"#),
    )
    .map(|_| ());
    cx.soft(body);
    probe_again(cx, &mut ws).await
}

async fn same_sid_websocket(cx: &mut Ctx) -> CaseResult {
    let (mut ws, sid) = upgraded(cx).await?;
    let step = "second WebSocket with the same sid";
    match cx.ws_attempt(&wsq(&sid)).await? {
        WsConnect::Refused { status, .. } => {
            cx.observe_close(format!("second upgrade refused {status}"))
        }
        WsConnect::Failed(e) => cx.observe_close(format!("second upgrade failed: {e}")),
        WsConnect::Open(mut second) => {
            let code = second.expect_close(step, cx.step()).await?;
            cx.observe_close(format!("second upgrade: 101, then websocket close {code}"));
        }
    }
    probe_again(cx, &mut ws).await
}

async fn noop_after_probe(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    let mut ws = cx.ws(&wsq(&sid)).await?;
    ws.send("2probe").await?;
    ws.expect("probe reply", t("3probe")).await?;
    // The GET arrives after the probe: it is released with a noop all the same.
    let r = cx.get(&q(&sid)).await?;
    expect_noop_release(cx, &sid, "GET after the probe", r).await?;
    ws.send("5").await?;
    probe_first(cx, &mut ws).await
}

/// The echoes of these messages wait in the session's buffer across the upgrade.
const QUEUED: [&str; 3] = ["4one", "4two", "4three"];

async fn buffered_packets(cx: &mut Ctx) -> CaseResult {
    // Once the held GET is released the polling transport is not writable: nothing is polled
    // from here on, so the echoes of the POST below can only wait in the session's buffer.
    let (mut ws, sid) = probed_with_held_get(cx).await?;
    post_ok(cx, &sid, &QUEUED.join(RS)).await?;
    // `5` and the marker go out back to back: the server switches and flushes its buffer on
    // `5` before it reads the marker, so whatever the buffer held arrives before the marker's
    // echo, and a packet sent twice (or lost) shows as a wrong frame, not as a wait.
    ws.send("5").await?;
    ws.send("4marker").await?;
    for (i, want) in QUEUED.iter().enumerate() {
        ws.expect(
            &format!(
                "queued echo {} of {} over the WebSocket",
                i + 1,
                QUEUED.len()
            ),
            t(want),
        )
        .await?;
    }
    ws.expect(
        "next frame is the marker's echo (each queued echo came exactly once)",
        t("4marker"),
    )
    .await?;
    Ok(())
}

/// The upgrade cases.
pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(crate::engine_pair!(
        "upgrade.success",
        "2probe → 3probe, the pending GET gets a noop `6`, `5` completes the upgrade and the WebSocket carries the session",
        success, "Upgrade", ["upgrade", "websocket", "polling"],
        Some("upgrade › successfully upgrades from HTTP long-polling to WebSocket"),
        Some("Engine.IO protocol › upgrade › should successfully upgrade from HTTP long-polling to WebSocket")
    ));
    v.extend(crate::engine_pair!(
        "upgrade.same-sid-http",
        "After the upgrade a polling request with the same sid is refused with 400 (body: error code 3)",
        same_sid_http, "Upgrade; notes §1.7", ["upgrade", "polling", "errors"],
        Some("upgrade › ignores HTTP requests with same sid after upgrade"),
        Some("Engine.IO protocol › upgrade › should ignore HTTP requests with same sid after upgrade")
    ));
    v.extend(crate::engine_pair!(
        "upgrade.same-sid-websocket",
        "After the upgrade a second WebSocket with the same sid is refused or closed; the first lives on",
        same_sid_websocket, "Upgrade; notes §1.7", ["upgrade", "websocket", "errors"],
        Some("upgrade › ignores WebSocket connection with same sid after upgrade"),
        Some("Engine.IO protocol › upgrade › should ignore WebSocket connection with same sid after upgrade")
    ));
    v.push(
        Case::new(
            "eio.upgrade.noop-after-probe",
            "A GET that arrives after the probe is released with a noop `6` (the server checks every ~100 ms)",
            crate::body!(noop_after_probe),
        )
        .spec(NOTES, "§4 #17; §1.7")
        .tags(&["upgrade", "polling"])
        .near_only(
            "it holds no GET while it opens the WebSocket and probes (that is the point: the GET \
             comes after the probe), so far away a ping due meanwhile is answered late",
        ),
    );
    v.push(
        Case::new(
            "eio.upgrade.buffered-packets",
            "Packets queued while no GET is held during the upgrade go out over the WebSocket after `5`, once each, in order",
            crate::body!(buffered_packets),
        )
        .spec(NOTES, "§1.7 step 4")
        .tags(&["upgrade", "polling", "websocket"]),
    );
    v
}
