//! Engine.IO v3 and Socket.IO v4-over-EIO3 on `/socket.io-eio3/` (CONTRACT §6):
//! the v3 handshake, client ping → server pong (the server never pings),
//! `<length>:<packet>` polling payloads with lengths in UTF-16 code units, `b4<base64>` binary
//! over polling with `b64=1`, binary WebSocket frames prefixed with the type byte `04`, the
//! implicit main namespace (a bare `40` from the server), CONNECT replies without `{sid}` and
//! the v4 CONNECT_ERROR forms. Transcripts: fixtures/transcripts/eio3.*, sio.eio3.*.
//!
//! An EIO=3 session the client does not ping is closed after pingInterval + pingTimeout
//! (500 ms), so every case here is a short exchange.

use super::support::*;
use crate::case::{CONTRACT, Case, NOTES};
use crate::config::{Capability, Server};
use crate::context::{Ctx, Ws, expect_response, expect_status};
use crate::expect::Want;
use crate::failure::{CaseResult, Failure, visible};

const POLLING3: &str = "EIO=3&transport=polling";
const WEBSOCKET3: &str = "EIO=3&transport=websocket";

fn q3(sid: &str) -> String {
    format!("EIO=3&transport=polling&sid={sid}")
}

/// Splits a v3 text payload `<n>:<packet><n>:<packet>…`, checking each `n` counts UTF-16 code
/// units. A naive reader written for the runner (not the shared codec).
pub fn v3_records(payload: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let colon = rest
            .find(':')
            .ok_or_else(|| format!("no `:` after a length in {}", visible(rest)))?;
        let n: usize = rest[..colon]
            .parse()
            .map_err(|_| format!("length {:?} is not a number", &rest[..colon]))?;
        let body = &rest[colon + 1..];
        let mut units = 0;
        let mut end = None;
        for (i, ch) in body.char_indices() {
            if units == n {
                end = Some(i);
                break;
            }
            units += ch.len_utf16();
        }
        let end = match end {
            Some(e) => e,
            None if units == n => body.len(),
            None => return Err(format!("length {n} runs past the end of {}", visible(body))),
        };
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    Ok(out)
}

async fn open_polling3(cx: &mut Ctx, extra: &str) -> Result<String, Failure> {
    let r = cx.get(&format!("{POLLING3}{extra}")).await?;
    expect_status("EIO=3 polling handshake", &r, 200)?;
    let text = r.text();
    let records = v3_records(&text).map_err(|e| {
        Failure::assertion(
            "EIO=3 polling handshake",
            "one length-prefixed open packet",
            e,
        )
    })?;
    let want = cx.handshake(&["websocket"]);
    match records.as_slice() {
        [one] => match want.check_text(one) {
            Some(c) => Ok(c["sid"].clone()),
            None => Err(Failure::assertion(
                "EIO=3 polling handshake",
                format!("<length>:{}", want.describe()),
                visible(&text),
            )),
        },
        _ => Err(Failure::assertion(
            "EIO=3 polling handshake",
            "exactly one record",
            visible(&text),
        )),
    }
}

/// GET must answer exactly `body` (the server never pings under v3).
async fn get_exact(cx: &mut Ctx, query: &str, step: &str, body: &str) -> CaseResult {
    let r = cx.get(query).await?;
    expect_response(step, &r, 200, &t(body))?;
    Ok(())
}

/// The polling session's first GET: the implicit CONNECT to / and the auth event.
async fn implicit_connect_polling(cx: &mut Ctx, query: &str) -> CaseResult {
    get_exact(
        cx,
        query,
        "implicit CONNECT `40` (no sid) and the auth event, length-prefixed",
        r#"2:4013:42["auth",{}]"#,
    )
    .await
}

async fn open_ws3(cx: &mut Ctx) -> Result<(Ws, String), Failure> {
    let mut ws = cx.ws(WEBSOCKET3).await?;
    let c = ws.expect("open packet", cx.handshake(&[])).await?;
    ws.expect("implicit CONNECT to / (a bare 40, no sid)", t("40"))
        .await?;
    ws.expect("auth event", t(r#"42["auth",{}]"#)).await?;
    Ok((ws, c["sid"].clone()))
}

async fn handshake_polling(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling3(cx, "").await?;
    implicit_connect_polling(cx, &q3(&sid)).await
}

async fn handshake_websocket(cx: &mut Ctx) -> CaseResult {
    open_ws3(cx).await.map(|_| ())
}

async fn ping_polling(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling3(cx, "").await?;
    implicit_connect_polling(cx, &q3(&sid)).await?;
    let r = cx.post(&q3(&sid), "1:2").await?;
    expect_response("POST 1:2 (client ping)", &r, 200, &t("ok"))?;
    get_exact(cx, &q3(&sid), "the pong", "1:3").await
}

async fn ping_websocket(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws3(cx).await?;
    ws.send("2").await?;
    ws.expect("pong", t("3")).await?;
    ws.send("2probe").await?;
    ws.expect(
        "pong to 2probe on the established transport (no data)",
        t("3"),
    )
    .await?;
    marker(&mut ws, "/", "alive").await
}

async fn no_server_ping(cx: &mut Ctx) -> CaseResult {
    let mut ws = cx.ws_no_pong(WEBSOCKET3).await?;
    ws.expect("open packet", cx.handshake(&[])).await?;
    ws.expect("implicit CONNECT", t("40")).await?;
    ws.expect("auth event", t(r#"42["auth",{}]"#)).await?;
    // The server never pings under v3: without client pings the next event is the close,
    // after pingInterval + pingTimeout.
    let bound = cx.heartbeat_deadline();
    expect_ws_closed(cx, &mut ws, "close (no server ping before it)", bound).await
}

async fn utf16_lengths(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling3(cx, "").await?;
    implicit_connect_polling(cx, &q3(&sid)).await?;
    // `é` is 1 UTF-16 unit (2 bytes); `😀` is 2 units (4 bytes).
    let r = cx.post(&q3(&sid), "18:42[\"message\",\"hé\"]").await?;
    expect_response("POST 18:42[\"message\",\"hé\"]", &r, 200, &t("ok"))?;
    get_exact(
        cx,
        &q3(&sid),
        "echo, length in UTF-16 units",
        "23:42[\"message-back\",\"hé\"]",
    )
    .await?;
    let r = cx.post(&q3(&sid), "18:42[\"message\",\"😀\"]").await?;
    expect_response("POST with an astral character", &r, 200, &t("ok"))?;
    get_exact(
        cx,
        &q3(&sid),
        "echo, the astral character counts 2",
        "23:42[\"message-back\",\"😀\"]",
    )
    .await
}

async fn binary_b64(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling3(cx, "&b64=1").await?;
    let q = format!("{}&b64=1", q3(&sid));
    implicit_connect_polling(cx, &q).await?;
    let r = cx
        .post(
            &q,
            r#"45:451-["message",{"_placeholder":true,"num":0}]6:b4AQID"#,
        )
        .await?;
    expect_response("POST a binary event with a b4 record", &r, 200, &t("ok"))?;
    get_exact(
        cx,
        &q,
        "the echo's attachment as a b4<base64> record",
        r#"50:451-["message-back",{"_placeholder":true,"num":0}]6:b4AQID"#,
    )
    .await
}

async fn binary_websocket(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws3(cx).await?;
    ws.send(r#"451-["message",{"_placeholder":true,"num":0}]"#)
        .await?;
    ws.send_binary(&[4, 1, 2, 3]).await?;
    ws.expect(
        "header",
        t(r#"451-["message-back",{"_placeholder":true,"num":0}]"#),
    )
    .await?;
    ws.expect(
        "attachment with the leading 04 type byte",
        Want::binary(&[4, 1, 2, 3]),
    )
    .await?;
    marker(&mut ws, "/", "after").await
}

async fn implicit_main(cx: &mut Ctx) -> CaseResult {
    let (mut ws, eio_sid) = open_ws3(cx).await?;
    ws.send(r#"42["message","x"]"#).await?;
    ws.expect("echo on the implicit /", t(r#"42["message-back","x"]"#))
        .await?;
    ws.send(r#"421["message-with-ack",1]"#).await?;
    ws.expect("ack", t("431[1]")).await?;
    ws.send(r#"422["get-state"]"#).await?;
    ws.expect(
        "get-state: the socket id of / is the engine sid; eio 3",
        Want::json(
            "432",
            &format!(
                r#"[{{"id":"{eio_sid}","nsp":"/","auth":{{}},"query":{{"EIO":"3","transport":"websocket"}},"data":{{}},"rooms":["{eio_sid}"],"recovered":false,"eio":3,"transport":"websocket"}}]"#
            ),
        ),
    )
    .await?;
    Ok(())
}

async fn custom_namespace(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws3(cx).await?;
    ws.send(r#"40/custom,{"token":"ignored"}"#).await?;
    ws.expect("CONNECT reply without sid", t("40/custom,"))
        .await?;
    ws.expect(
        "auth from the query string, not the JSON payload",
        t(r#"42/custom,["auth",{}]"#),
    )
    .await?;
    ws.send(r#"42/custom,["message",1]"#).await?;
    ws.expect("echo on /custom", t(r#"42/custom,["message-back",1]"#))
        .await?;
    Ok(())
}

async fn namespace_query(cx: &mut Ctx) -> CaseResult {
    let (mut ws, eio_sid) = open_ws3(cx).await?;
    ws.send("40/admin?token=secret,").await?;
    ws.expect("CONNECT reply: the bare name, no sid", t("40/admin,"))
        .await?;
    ws.expect(
        "auth from the namespace's query string",
        t(r#"42/admin,["auth",{"token":"secret"}]"#),
    )
    .await?;
    ws.send(r#"42/admin,1["get-state"]"#).await?;
    ws.expect(
        "get-state: the middleware passed; socket id /admin#<engine sid>",
        Want::json(
            "43/admin,1",
            &format!(
                r#"[{{"id":"/admin#{eio_sid}","nsp":"/admin","auth":{{"token":"secret"}},"query":{{"EIO":"3","transport":"websocket"}},"data":{{"user":"admin"}},"rooms":["/admin#{eio_sid}"],"recovered":false,"eio":3,"transport":"websocket"}}]"#
            ),
        ),
    )
    .await?;
    Ok(())
}

async fn connect_errors(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws3(cx).await?;
    ws.send("40/admin,").await?;
    ws.expect(
        "refusal carries err.data",
        t(r#"44/admin,{"reason":"no token"}"#),
    )
    .await?;
    ws.send("40/plain,").await?;
    ws.expect(
        "refusal without data carries the message string",
        t(r#"44/plain,"nope""#),
    )
    .await?;
    ws.send("40/nope,").await?;
    ws.expect(
        "unknown namespace: still an object",
        t(r#"44/nope,{"message":"Invalid namespace"}"#),
    )
    .await?;
    marker(&mut ws, "/", "still here").await
}

async fn client_connect_main(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws3(cx).await?;
    ws.send("40").await?;
    let bound = cx.step();
    expect_ws_closed(
        cx,
        &mut ws,
        "close: / was already joined by the server",
        bound,
    )
    .await
}

/// Why the EIO=3 cases need the server near: in v3 the client pings, and these cases do not
/// (a background pinger would put pongs among the frames they check), so a case must end within
/// pingInterval + pingTimeout of the handshake, which a few far round trips exceed.
const NO_CLIENT_PINGS: &str = "an EIO=3 session lives pingInterval + pingTimeout without a \
     client ping and the case sends none: its exchanges fit in that time only near the server";

/// The EIO=3 cases.
pub fn cases() -> Vec<Case> {
    let eio3 = |id, title, body, tags: &[&'static str]| {
        Case::new(id, title, body)
            .spec(NOTES, "§1.10 EIO=3 differences; engine.io-protocol v3")
            .server(Server::SioEio3)
            .tags(&["eio3"])
            .tags(tags)
            .near_only(NO_CLIENT_PINGS)
    };
    let sio3 = |id, title, body| {
        Case::new(id, title, body)
            .spec(CONTRACT, "§6 sio-eio3")
            .server(Server::SioEio3)
            .tags(&["eio3", "websocket", "connect"])
            .near_only(NO_CLIENT_PINGS)
    };
    vec![
        eio3("eio3.handshake.polling", "EIO=3 polling handshake: one length-prefixed open packet, then `2:40` and the auth event", crate::body!(handshake_polling), &["polling", "handshake"]),
        eio3("eio3.handshake.websocket", "EIO=3 WebSocket handshake: the open packet, the implicit `40`, the auth event", crate::body!(handshake_websocket), &["websocket", "handshake"]),
        eio3("eio3.heartbeat.polling.ping", "EIO=3 polling: POST `1:2` (client ping) is answered `1:3` on the next GET", crate::body!(ping_polling), &["polling", "heartbeat"]),
        eio3("eio3.heartbeat.websocket.ping", "EIO=3 WebSocket: client `2` and `2probe` are answered `3`", crate::body!(ping_websocket), &["websocket", "heartbeat"]),
        eio3("eio3.heartbeat.websocket.no-server-ping", "EIO=3: the server never pings; without client pings it closes after pingInterval + pingTimeout", crate::body!(no_server_ping), &["websocket", "heartbeat", "timeout"]),
        eio3("eio3.polling.utf16-length", "EIO=3 payload lengths count UTF-16 code units (é 1, 😀 2)", crate::body!(utf16_lengths), &["polling"]),
        eio3("eio3.polling.binary-b64", "EIO=3 polling with b64=1: attachments travel as `b4<base64>` records", crate::body!(binary_b64), &["polling", "binary"]),
        eio3("eio3.websocket.binary", "EIO=3 binary WebSocket frames start with the type byte 04, both ways", crate::body!(binary_websocket), &["websocket", "binary"]),
        sio3("sio.eio3.implicit-main", "Socket.IO v4 over EIO=3: / is joined by the server; events and acks work; the socket id is the engine sid", crate::body!(implicit_main)).requires(Capability::ContractExtensions),
        sio3("sio.eio3.custom-namespace", "Over EIO=3, CONNECT to /custom is answered `40/custom,` (no sid); a JSON payload is not auth", crate::body!(custom_namespace)),
        sio3("sio.eio3.namespace-query", "Over EIO=3 the auth comes from the namespace query (`40/admin?token=secret,`)", crate::body!(namespace_query)).requires(Capability::ContractExtensions),
        sio3("sio.eio3.connect-errors", "Over EIO=3, CONNECT_ERROR carries err.data or the message string; Invalid namespace stays an object", crate::body!(connect_errors)).requires(Capability::ContractExtensions).tags(&["errors"]),
        sio3("sio.eio3.client-connect-main", "Over EIO=3, a client CONNECT to / (already joined) closes the connection", crate::body!(client_connect_main)).tags(&["errors"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::v3_records;

    #[test]
    fn v3_lengths_count_utf16_units() {
        assert_eq!(
            v3_records("2:4013:42[\"auth\",{}]").unwrap(),
            ["40", "42[\"auth\",{}]"]
        );
        assert_eq!(v3_records("3:4😀1:3").unwrap(), ["4😀", "3"]);
        assert!(v3_records("7:4hello").is_err());
        assert!(v3_records("4hello").is_err());
    }
}
