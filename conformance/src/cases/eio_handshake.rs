//! Engine.IO handshake: the open packet over polling and WebSocket, and the refusals of invalid
//! handshakes (EIO, transport, method; unknown sid; websocket without an upgrade).

use super::support::*;
use crate::case::{Case, NOTES};
use crate::context::{Ctx, expect_body, expect_response, expect_status};
use crate::driver::WsConnect;
use crate::expect::Want;
use crate::failure::{CaseResult, Failure};

async fn polling_open(cx: &mut Ctx) -> CaseResult {
    let r = cx.get(POLLING).await?;
    expect_response("polling handshake", &r, 200, &cx.handshake(&["websocket"]))?;
    Ok(())
}

/// A 400 (MUST) whose JSON body is Node's error object (SHOULD).
async fn refused(cx: &mut Ctx, method: &str, query: &str, body_json: &str) -> CaseResult {
    let target = cx.url(query);
    let step = format!("{method} {target}");
    let r = cx.request(method, target, &[], b"").await?;
    let r = cx.must_respond(&step, r)?;
    expect_status(&step, &r, 400)?;
    let body = expect_body(&step, &r, &Want::json("", body_json)).map(|_| ());
    cx.soft(body);
    Ok(())
}

const CODE5: &str = r#"{"code":5,"message":"Unsupported protocol version"}"#;
const CODE0: &str = r#"{"code":0,"message":"Transport unknown"}"#;
const CODE2: &str = r#"{"code":2,"message":"Bad handshake method"}"#;

async fn polling_invalid_eio(cx: &mut Ctx) -> CaseResult {
    refused(cx, "GET", "transport=polling", CODE5).await?;
    refused(cx, "GET", "EIO=abc&transport=polling", CODE5).await
}

async fn polling_invalid_transport(cx: &mut Ctx) -> CaseResult {
    refused(cx, "GET", "EIO=4", CODE0).await?;
    refused(cx, "GET", "EIO=4&transport=abc", CODE0).await
}

async fn polling_invalid_method(cx: &mut Ctx) -> CaseResult {
    refused(cx, "POST", POLLING, CODE2).await?;
    refused(cx, "PUT", POLLING, CODE2).await
}

async fn polling_eio3_refused(cx: &mut Ctx) -> CaseResult {
    refused(cx, "GET", "EIO=3&transport=polling", CODE5).await
}

async fn ws_open(cx: &mut Ctx) -> CaseResult {
    open_ws(cx).await.map(|_| ())
}

/// The upgrade must not open a session: refused, or closed before any open packet.
async fn ws_no_session(cx: &mut Ctx, query: &str) -> CaseResult {
    let step = format!("WebSocket upgrade {}", cx.url(query));
    match cx.ws_attempt(query).await? {
        WsConnect::Refused { status, .. } => {
            cx.observe_close(format!("upgrade refused {status}"));
            Ok(())
        }
        WsConnect::Failed(e) => {
            cx.observe_close(format!("upgrade failed: {e}"));
            Ok(())
        }
        WsConnect::Open(mut ws) => {
            let code = ws
                .expect_close(
                    &format!("{step}: no session, the connection closes"),
                    cx.step(),
                )
                .await?;
            cx.observe_close(format!("101, then websocket close {code}"));
            Ok(())
        }
    }
}

async fn ws_invalid_eio(cx: &mut Ctx) -> CaseResult {
    ws_no_session(cx, "transport=websocket").await?;
    ws_no_session(cx, "EIO=abc&transport=websocket").await
}

async fn ws_invalid_transport(cx: &mut Ctx) -> CaseResult {
    ws_no_session(cx, "EIO=4").await?;
    ws_no_session(cx, "EIO=4&transport=abc").await
}

async fn polling_unknown_sid(cx: &mut Ctx) -> CaseResult {
    refused(
        cx,
        "GET",
        &q("abc"),
        r#"{"code":1,"message":"Session ID unknown"}"#,
    )
    .await
}

async fn ws_unknown_sid(cx: &mut Ctx) -> CaseResult {
    let query = wsq("abc");
    let step = format!("WebSocket upgrade {}", cx.url(&query));
    match cx.ws_attempt(&query).await? {
        WsConnect::Refused { status, body } => {
            cx.observe_close(format!("upgrade refused {status}"));
            let got = format!("refused {status} {}", String::from_utf8_lossy(&body));
            if status != 400 || body != b"Session ID unknown" {
                cx.soft(Err(Failure::assertion(
                    step,
                    "refused 400 Session ID unknown",
                    got,
                )));
            }
            Ok(())
        }
        WsConnect::Failed(e) => Err(Failure::assertion(
            step,
            "refused 400 Session ID unknown",
            format!("upgrade failed: {e}"),
        )),
        WsConnect::Open(mut ws) => {
            cx.soft(Err(Failure::assertion(
                &step,
                "refused 400 Session ID unknown",
                "101 Switching Protocols",
            )));
            ws.expect_close(
                &format!("{step}: no session, the connection closes"),
                cx.step(),
            )
            .await?;
            Ok(())
        }
    }
}

async fn websocket_without_upgrade(cx: &mut Ctx) -> CaseResult {
    refused(
        cx,
        "GET",
        WEBSOCKET,
        r#"{"code":3,"message":"Bad request"}"#,
    )
    .await
}

async fn cors_preflight(cx: &mut Ctx) -> CaseResult {
    let target = cx.url(POLLING);
    let step = format!("OPTIONS {target}");
    let r = cx
        .request(
            "OPTIONS",
            target,
            &[
                ("origin", "http://example.com"),
                ("access-control-request-method", "POST"),
            ],
            b"",
        )
        .await?;
    let r = cx.must_respond(&step, r)?;
    expect_status(&step, &r, 204)?;
    match r.header("access-control-allow-origin") {
        Some("*") => Ok(()),
        other => Err(Failure::assertion(
            step,
            "access-control-allow-origin: *",
            format!(
                "access-control-allow-origin: {}",
                other.unwrap_or("(absent)")
            ),
        )),
    }
}

/// The handshake cases.
pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(crate::engine_pair!(
        "handshake.polling.open",
        "A polling handshake answers 200 with the open packet (sid, upgrades [\"websocket\"], the contract timings)",
        polling_open, "Handshake", ["polling", "handshake"],
        Some("handshake › HTTP long-polling › successfully opens a session"),
        Some("Engine.IO protocol › handshake › HTTP long-polling › should successfully open a session")
    ));
    v.extend(crate::engine_pair!(
        "handshake.polling.invalid-eio",
        "A polling handshake without EIO or with EIO=abc is refused with 400 (body: error code 5)",
        polling_invalid_eio, "Handshake (EIO query parameter); notes §1.4", ["polling", "handshake", "errors"],
        Some("handshake › HTTP long-polling › fails with an invalid 'EIO' query parameter"),
        Some("Engine.IO protocol › handshake › HTTP long-polling › should fail with an invalid 'EIO' query parameter")
    ));
    v.extend(crate::engine_pair!(
        "handshake.polling.invalid-transport",
        "A polling handshake without transport or with transport=abc is refused with 400 (body: error code 0)",
        polling_invalid_transport, "Handshake (transport query parameter); notes §1.4", ["polling", "handshake", "errors"],
        Some("handshake › HTTP long-polling › fails with an invalid 'transport' query parameter"),
        Some("Engine.IO protocol › handshake › HTTP long-polling › should fail with an invalid 'transport' query parameter")
    ));
    v.extend(crate::engine_pair!(
        "handshake.polling.invalid-method",
        "A POST or PUT without a sid is refused with 400 (body: error code 2)",
        polling_invalid_method, "Handshake; notes §1.4", ["polling", "handshake", "errors"],
        Some("handshake › HTTP long-polling › fails with an invalid request method"),
        Some("Engine.IO protocol › handshake › HTTP long-polling › should fail with an invalid request method")
    ));
    v.extend(crate::engine_pair!(
        "handshake.websocket.open",
        "A WebSocket handshake's first frame is the open packet with upgrades []",
        ws_open,
        "Handshake",
        ["websocket", "handshake"],
        Some("handshake › WebSocket › successfully opens a session"),
        Some("Engine.IO protocol › handshake › WebSocket › should successfully open a session")
    ));
    v.extend(crate::engine_pair!(
        "handshake.websocket.invalid-eio",
        "A WebSocket handshake without EIO or with EIO=abc opens no session (refused, or closed before any frame)",
        ws_invalid_eio, "Handshake (EIO query parameter); suites caveat §3.4 (close now awaited)", ["websocket", "handshake", "errors"],
        Some("handshake › WebSocket › fails with an invalid 'EIO' query parameter"),
        Some("Engine.IO protocol › handshake › WebSocket › should fail with an invalid 'EIO' query parameter")
    ));
    v.extend(crate::engine_pair!(
        "handshake.websocket.invalid-transport",
        "A WebSocket handshake without transport or with transport=abc opens no session",
        ws_invalid_transport, "Handshake (transport query parameter); suites caveat §3.4 (close now awaited)", ["websocket", "handshake", "errors"],
        Some("handshake › WebSocket › fails with an invalid 'transport' query parameter"),
        Some("Engine.IO protocol › handshake › WebSocket › should fail with an invalid 'transport' query parameter")
    ));
    v.push(
        Case::new(
            "eio.handshake.polling.eio3-refused",
            "EIO=3 is refused with 400 and error code 5 by a server that does not allow EIO3",
            crate::body!(polling_eio3_refused),
        )
        .spec(NOTES, "§4 #3")
        .should()
        .tags(&["polling", "handshake", "errors", "eio3"]),
    );
    v.push(
        Case::new(
            "eio.polling.unknown-sid",
            "A polling GET with an unknown sid is refused with 400 (body: error code 1)",
            crate::body!(polling_unknown_sid),
        )
        .spec(NOTES, "§4 #6")
        .tags(&["polling", "errors"]),
    );
    v.push(
        Case::new(
            "eio.websocket.unknown-sid",
            "A WebSocket upgrade with an unknown sid is refused (Node: raw 400 `Session ID unknown`)",
            crate::body!(ws_unknown_sid),
        )
        .spec(NOTES, "§4 #7")
        .tags(&["websocket", "errors"]),
    );
    v.push(
        Case::new(
            "eio.handshake.websocket-without-upgrade",
            "A plain GET with transport=websocket is refused with 400 (body: error code 3)",
            crate::body!(websocket_without_upgrade),
        )
        .spec(NOTES, "§4 #8")
        .tags(&["polling", "handshake", "errors"]),
    );
    v.push(
        Case::new(
            "eio.polling.cors-preflight",
            "A CORS preflight is answered 204 with access-control-allow-origin: * (contract: cors origin *)",
            crate::body!(cors_preflight),
        )
        .spec(NOTES, "§4 #9; CONTRACT §3 (CORS)")
        .should()
        .tags(&["polling", "cors"]),
    );
    v
}
