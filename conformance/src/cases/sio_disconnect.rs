//! Socket.IO DISCONNECT from the client: no reply, the engine connection stays, other
//! namespaces keep working; an event to a namespace just left closes the connection. And from
//! the server (the contract's `server-disconnect`): `41` alone, or `41` per namespace then the
//! close.

use super::support::*;
use crate::case::{CONTRACT, Case, NOTES, SIO_SPEC};
use crate::config::{Capability, Server};
use crate::context::Ctx;
use crate::failure::CaseResult;
use std::time::Duration;

async fn main(cx: &mut Ctx) -> CaseResult {
    // Pings are answered while joining (a server may ping before the CONNECT reply: the
    // first-ping case judges that), then left for the case to see.
    let (mut ws, _) = open_ws(cx).await?;
    sio_init(&mut ws).await?;
    ws.auto_pong(false);
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

async fn server(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send(r#"42["server-disconnect",{"close":false}]"#)
        .await?;
    ws.expect("the server's DISCONNECT", t("41")).await?;
    // The engine connection stays: / can be joined again, as a new socket.
    sio_init(&mut ws).await?;
    probe_again(cx, &mut ws).await
}

async fn server_close(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    join(&mut ws, "/custom").await?;
    ws.send(r#"40/admin,{"token":"secret"}"#).await?;
    ws.expect("CONNECT reply", p(r#"40/admin,{"sid":"<sid>"}"#))
        .await?;
    ws.expect("auth event", t(r#"42/admin,["auth",{"token":"secret"}]"#))
        .await?;
    ws.send(r#"42["server-disconnect",{"close":true}]"#).await?;
    // One DISCONNECT per namespace, / first (the socket that was asked), then the others in
    // the order they were joined; then the engine connection closes.
    ws.expect("DISCONNECT of /", t("41")).await?;
    ws.expect("DISCONNECT of /custom", t("41/custom,")).await?;
    ws.expect("DISCONNECT of /admin", t("41/admin,")).await?;
    let bound = cx.step();
    expect_ws_closed(cx, &mut ws, "the engine connection closes", bound).await
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
        .tags(&["websocket", "disconnect", "heartbeat"])
        .official(SIO_SUITE, "Socket.IO protocol › disconnect › should disconnect from the main namespace"),
        Case::new(
            "sio.disconnect.custom",
            "After joining and leaving /custom, the main namespace still answers events",
            crate::body!(custom),
        )
        .spec(SIO_SPEC, "Disconnection from a namespace")
        .server(Server::SioMain)
        .tags(&["websocket", "disconnect"])
        .official(SIO_SUITE, "Socket.IO protocol › disconnect › should connect then disconnect from a custom namespace")
        .requires(Capability::SioHandlers),
        Case::new(
            "sio.disconnect.then-event",
            "An EVENT to a namespace the client has just left closes the connection",
            crate::body!(then_event),
        )
        .spec(NOTES, "§4 #40; §2.4")
        .should()
        .server(Server::SioMain)
        .tags(&["websocket", "disconnect", "errors"])
        .requires(Capability::ContractExtensions),
        Case::new(
            "sio.disconnect.server",
            "server-disconnect {close:false}: the server sends `41`, the engine connection stays and / can be joined again",
            crate::body!(server),
        )
        .spec(CONTRACT, "§4 control events (server-disconnect)")
        .server(Server::SioMain)
        .requires(Capability::ContractExtensions)
        .tags(&["websocket", "disconnect", "contract"]),
        Case::new(
            "sio.disconnect.server-close",
            "server-disconnect {close:true}: `41` per namespace in join order (/, /custom, /admin), then the close",
            crate::body!(server_close),
        )
        .spec(CONTRACT, "§4 control events (server-disconnect)")
        .server(Server::SioMain)
        .requires(Capability::ContractExtensions)
        .tags(&["websocket", "disconnect", "contract"]),
    ]
}
