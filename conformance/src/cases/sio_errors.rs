//! Socket.IO protocol violations over WebSocket that close the whole connection: EVENT before
//! CONNECT, reserved event names, a second CONNECT, a client CONNECT_ERROR, payload shapes.

use super::support::*;
use crate::case::{Case, NOTES};
use crate::config::Server;
use crate::context::Ctx;
use crate::failure::CaseResult;

async fn closes(cx: &mut Ctx, connect_first: bool, frame: &str) -> CaseResult {
    let mut ws = if connect_first {
        sio_ws(cx).await?
    } else {
        open_ws(cx).await?.0
    };
    ws.send(frame).await?;
    let bound = cx.step();
    expect_ws_closed(cx, &mut ws, &format!("close after {frame}"), bound).await
}

async fn event_before_connect(cx: &mut Ctx) -> CaseResult {
    closes(cx, false, r#"42["message","x"]"#).await
}

async fn reserved_disconnect(cx: &mut Ctx) -> CaseResult {
    closes(cx, true, r#"42["disconnect"]"#).await
}

async fn reserved_connect(cx: &mut Ctx) -> CaseResult {
    closes(cx, true, r#"42["connect"]"#).await
}

async fn second_connect(cx: &mut Ctx) -> CaseResult {
    closes(cx, true, "40").await
}

async fn client_connect_error(cx: &mut Ctx) -> CaseResult {
    closes(cx, true, r#"44{"message":"x"}"#).await
}

async fn connect_payload_string(cx: &mut Ctx) -> CaseResult {
    closes(cx, false, r#"40"str""#).await
}

async fn connect_payload_array(cx: &mut Ctx) -> CaseResult {
    closes(cx, false, "40[]").await
}

async fn event_infinity(cx: &mut Ctx) -> CaseResult {
    closes(cx, true, r#"42["message",Infinity]"#).await
}

/// The error cases.
pub fn cases() -> Vec<Case> {
    let case = |id, title, body, section: &'static str| {
        Case::new(id, title, body)
            .spec(NOTES, section)
            .should()
            .server(Server::SioMain)
            .tags(&["websocket", "errors"])
    };
    vec![
        case(
            "sio.errors.event-before-connect",
            "An EVENT for a namespace not joined closes the connection",
            crate::body!(event_before_connect),
            "§4 #29; §2.4",
        ),
        case(
            "sio.errors.reserved-event-disconnect",
            "An EVENT named `disconnect` (reserved) closes the connection",
            crate::body!(reserved_disconnect),
            "§4 #30; §2.1 RESERVED_EVENTS",
        ),
        case(
            "sio.errors.reserved-event-connect",
            "An EVENT named `connect` (reserved) closes the connection",
            crate::body!(reserved_connect),
            "§4 #30; §2.1 RESERVED_EVENTS",
        ),
        case(
            "sio.errors.second-connect",
            "A second CONNECT to a namespace already joined closes the connection",
            crate::body!(second_connect),
            "§4 #31; §2.4",
        ),
        case(
            "sio.errors.client-connect-error",
            "A CONNECT_ERROR sent by the client closes the connection",
            crate::body!(client_connect_error),
            "§4 #32; §2.4",
        ),
        case(
            "sio.errors.connect-payload-string",
            "A CONNECT whose payload is a string (`40\"str\"`) closes the connection",
            crate::body!(connect_payload_string),
            "§4 #33; §2.5",
        ),
        case(
            "sio.errors.connect-payload-array",
            "A CONNECT whose payload is an array (`40[]`) closes the connection",
            crate::body!(connect_payload_array),
            "§4 #33; §2.5",
        ),
        case(
            "sio.errors.event-invalid-json",
            "An EVENT whose payload is not JSON (`Infinity`) closes the connection",
            crate::body!(event_infinity),
            "§4 #33; §2.3 rule 5",
        ),
    ]
}
