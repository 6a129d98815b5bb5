//! Socket.IO DISCONNECT from the client: no reply, the engine connection stays, other
//! namespaces keep working; an event to a namespace just left closes the connection.

use super::support::*;
use crate::case::{Case, NOTES, SIO_SPEC};
use crate::config::Server;
use crate::context::Ctx;
use crate::failure::CaseResult;
use std::time::Duration;

async fn main(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws_no_pong(cx).await?;
    sio_init(&mut ws).await?;
    ws.send("41").await?;
    // No reply to DISCONNECT and the engine connection stays: the next frame is the ping.
    let bound = Duration::from_millis(cx.timings().ping_interval) + cx.margin();
    ws.expect_within("next frame after 41", t("2"), bound)
        .await?;
    Ok(())
}

async fn custom(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send("40/custom").await?;
    ws.expect("CONNECT reply", p(r#"40/custom,{"sid":"<sid>"}"#))
        .await?;
    ws.expect("auth event", t(r#"42/custom,["auth",{}]"#))
        .await?;
    ws.send("41/custom").await?;
    ws.send(r#"42["message","message to main namespace"]"#)
        .await?;
    ws.expect(
        "the main namespace still answers",
        t(r#"42["message-back","message to main namespace"]"#),
    )
    .await?;
    Ok(())
}

async fn then_event(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send("40/custom,").await?;
    ws.expect("CONNECT reply", p(r#"40/custom,{"sid":"<sid>"}"#))
        .await?;
    ws.expect("auth event", t(r#"42/custom,["auth",{}]"#))
        .await?;
    ws.send("41").await?;
    // A round trip on /custom proves the DISCONNECT was handled (packets are handled in order;
    // an event sent in the same burst as `41` may still reach the leaving socket in Node).
    ws.send(r#"42/custom,["message","barrier"]"#).await?;
    ws.expect("barrier", t(r#"42/custom,["message-back","barrier"]"#))
        .await?;
    ws.send(r#"42["message","after"]"#).await?;
    let bound = cx.step();
    expect_ws_closed(
        cx,
        &mut ws,
        "close after an event to a namespace left",
        bound,
    )
    .await
}

/// The disconnect cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "sio.disconnect.main",
            "`41` is not answered and the engine connection stays (the next frame is a ping)",
            crate::body!(main),
        )
        .spec(SIO_SPEC, "Disconnection from a namespace")
        .server(Server::SioMain)
        .tags(&["websocket", "disconnect"])
        .official(SIO_SUITE, "Socket.IO protocol › disconnect › should disconnect from the main namespace"),
        Case::new(
            "sio.disconnect.custom",
            "After joining and leaving /custom, the main namespace still answers events",
            crate::body!(custom),
        )
        .spec(SIO_SPEC, "Disconnection from a namespace")
        .server(Server::SioMain)
        .tags(&["websocket", "disconnect"])
        .official(SIO_SUITE, "Socket.IO protocol › disconnect › should connect then disconnect from a custom namespace"),
        Case::new(
            "sio.disconnect.then-event",
            "An EVENT to a namespace the client has just left closes the connection",
            crate::body!(then_event),
        )
        .spec(NOTES, "§4 #40; §2.4")
        .should()
        .server(Server::SioMain)
        .tags(&["websocket", "disconnect", "errors"]),
    ]
}
