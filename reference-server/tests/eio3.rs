//! Engine.IO v3 on sio-eio3 (`/socket.io-eio3/`, `allowEIO3`), byte for byte as in the Node
//! transcripts fixtures/transcripts/eio3.* that the conformance cases do not replay: the length
//! errors, the XHR2 binary payload both ways, `b64` over WebSocket, and the code 5 refusal of an
//! engine without `allowEIO3`.

use crate::support::{RawResponse, Seen, Server, sid_of};

const PATH: &str = "/socket.io-eio3/";
const TEXT: (&str, &str) = ("Content-Type", "text/plain;charset=UTF-8");

async fn get(srv: &Server, query: &str) -> RawResponse {
    srv.request("GET", &format!("{PATH}?{query}"), &[], b"")
        .await
}

async fn post(srv: &Server, query: &str, content_type: &str, body: &[u8]) -> RawResponse {
    let headers = [("Content-Type", content_type)];
    srv.request("POST", &format!("{PATH}?{query}"), &headers, body)
        .await
}

/// A v3 polling handshake and the implicit CONNECT; returns the sid.
async fn open(srv: &Server, extra: &str) -> String {
    let r = get(srv, &format!("EIO=3&transport=polling{extra}")).await;
    let text = r.text();
    let (len, open) = text.split_once(':').unwrap();
    assert_eq!(len.parse::<usize>().unwrap(), open.encode_utf16().count());
    let sid = sid_of(&open[1..]);
    assert_eq!(
        open,
        format!(
            r#"0{{"sid":"{sid}","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
        )
    );
    get(srv, &format!("EIO=3&transport=polling&sid={sid}{extra}"))
        .await
        .is_payload(r#"2:4013:42["auth",{}]"#);
    sid
}

#[tokio::test]
async fn bad_lengths_close_the_session() {
    // eio3.polling.bad-length: a record past the end, a length counted in UTF-8 bytes.
    let srv = Server::start().await;
    for body in ["7:4hello", "20:42[\"message\",\"😀\"]"] {
        let sid = open(&srv, "").await;
        let q = format!("EIO=3&transport=polling&sid={sid}");
        post(&srv, &q, TEXT.1, body.as_bytes()).await.is_ok();
        get(&srv, &q).await.is_error(1, "Session ID unknown");
    }
    // `5:4hello`: Socket.IO rejects `hell` and closes before the dangling `o` is a parse error,
    // so the next GET gets noop + close.
    let sid = open(&srv, "").await;
    let q = format!("EIO=3&transport=polling&sid={sid}");
    post(&srv, &q, TEXT.1, b"5:4hello").await.is_ok();
    get(&srv, &q).await.is_payload("1:61:1");
}

#[tokio::test]
async fn xhr2_binary_payloads_both_ways() {
    // eio3.polling.binary-xhr2, the exact bytes.
    let srv = Server::start().await;
    let sid = open(&srv, "").await;
    let q = format!("EIO=3&transport=polling&sid={sid}");
    let header = br#"451-["message",{"_placeholder":true,"num":0}]"#;
    let mut body = vec![0, 4, 5, 0xff];
    body.extend_from_slice(header);
    body.extend_from_slice(&[1, 4, 0xff, 4, 1, 2, 3]);
    post(&srv, &q, "application/octet-stream", &body)
        .await
        .is_ok();
    let r = get(&srv, &q).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let mut want = vec![0, 5, 0, 0xff];
    want.extend_from_slice(br#"451-["message-back",{"_placeholder":true,"num":0}]"#);
    want.extend_from_slice(&[1, 4, 0xff, 4, 1, 2, 3]);
    assert_eq!(r.body, want);
}

#[tokio::test]
async fn b64_turns_websocket_binary_into_text() {
    // `supportsBinary = !b64` holds for WebSocket transports too: `b4<base64>` text frames.
    let srv = Server::start().await;
    let mut ws = srv
        .ws_at(&format!("{PATH}?EIO=3&transport=websocket&b64=1"))
        .await;
    ws.open_packet().await;
    ws.expect_text("40").await;
    ws.expect_text(r#"42["auth",{}]"#).await;
    ws.send(r#"451-["message",{"_placeholder":true,"num":0}]"#)
        .await;
    ws.send("b4AQID").await;
    ws.expect_text(r#"451-["message-back",{"_placeholder":true,"num":0}]"#)
        .await;
    ws.expect_text("b4AQID").await;
}

#[tokio::test]
async fn websocket_ping_timeout_and_upgrade_from_polling() {
    let srv = Server::start().await;
    // eio3.websocket.ping-timeout: no server ping, then a close without a code.
    let mut ws = srv
        .ws_at(&format!("{PATH}?EIO=3&transport=websocket"))
        .await;
    ws.open_packet().await;
    ws.expect_text("40").await;
    ws.expect_text(r#"42["auth",{}]"#).await;
    assert_eq!(ws.next().await, Seen::Close(None));
    // An upgrade keeps speaking v3: binary frames with the type byte.
    let sid = open(&srv, "").await;
    let mut ws = srv
        .ws_at(&format!("{PATH}?EIO=3&transport=websocket&sid={sid}"))
        .await;
    ws.send("2probe").await;
    ws.expect_text("3probe").await;
    ws.send("5").await;
    ws.send(r#"451-["message",{"_placeholder":true,"num":0}]"#)
        .await;
    ws.send_binary(&[4, 9]).await;
    ws.expect_text(r#"451-["message-back",{"_placeholder":true,"num":0}]"#)
        .await;
    assert_eq!(ws.next().await, Seen::Binary(vec![4, 9]));
}

#[tokio::test]
async fn without_allow_eio3_v3_is_refused() {
    // The echo engine has no allowEIO3: code 5, as before.
    let srv = Server::start().await;
    srv.get("EIO=3&transport=polling")
        .await
        .is_error(5, "Unsupported protocol version");
}
