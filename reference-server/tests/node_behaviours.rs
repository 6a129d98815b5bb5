//! Node behaviours observed on engine.io 6.6.12 (the §4 behaviour tags), numbered as there, for the
//! `/engine.io/` echo server.

use std::time::{Duration, Instant};

use sio_contract_server as contract;

use crate::support::{Seen, Server, raw_request};

#[tokio::test]
async fn n03_missing_or_unsupported_eio_is_code_5() {
    let srv = Server::start().await;
    for q in [
        "transport=polling",
        "EIO=abc&transport=polling",
        "EIO=3&transport=polling",
    ] {
        srv.get(q).await.is_error(5, "Unsupported protocol version");
    }
}

#[tokio::test]
async fn n04_missing_or_unknown_transport_is_code_0() {
    let srv = Server::start().await;
    for q in [
        "EIO=4",
        "EIO=4&transport=abc",
        "EIO=4&transport=webtransport",
    ] {
        srv.get(q).await.is_error(0, "Transport unknown");
    }
}

#[tokio::test]
async fn n05_post_or_put_without_sid_is_code_2() {
    let srv = Server::start().await;
    for m in ["POST", "PUT", "DELETE"] {
        srv.request(m, &srv.url("EIO=4&transport=polling"), &[], b"")
            .await
            .is_error(2, "Bad handshake method");
    }
}

#[tokio::test]
async fn n06_unknown_sid_over_polling_is_code_1() {
    let srv = Server::start().await;
    let r = srv.get("EIO=4&transport=polling&sid=abc").await;
    r.is_error(1, "Session ID unknown");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("*"),
        "errors carry the cors headers"
    );
}

#[tokio::test]
async fn n07_unknown_sid_over_websocket_is_a_raw_400() {
    let srv = Server::start().await;
    let raw =
        String::from_utf8(srv.raw_upgrade("EIO=4&transport=websocket&sid=abc").await).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{raw}");
    let lower = head.to_ascii_lowercase();
    assert!(lower.contains("\r\nconnection: close"), "{raw}");
    assert!(lower.contains("\r\ncontent-type: text/html"), "{raw}");
    assert!(
        !lower.contains("access-control-allow-origin"),
        "abortUpgrade writes no cors headers"
    );
    assert_eq!(body, "Session ID unknown");
}

#[tokio::test]
async fn n08_websocket_transport_without_upgrade_is_code_3() {
    let srv = Server::start().await;
    srv.get("EIO=4&transport=websocket")
        .await
        .is_error(3, "Bad request");
}

#[tokio::test]
async fn n09_cors_preflight_and_simple_headers() {
    let srv = Server::start().await;
    let r = srv
        .request(
            "OPTIONS",
            &srv.url("EIO=4&transport=polling"),
            &[
                ("Origin", "http://x.com"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type,x-foo"),
            ],
            b"",
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET,HEAD,PUT,PATCH,POST,DELETE")
    );
    assert_eq!(r.header("vary"), Some("Access-Control-Request-Headers"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type,x-foo")
    );
    assert!(r.body.is_empty());
    let r = srv.get("EIO=4&transport=polling").await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    // Without the cors option, OPTIONS is an ordinary request: no sid → code 2.
    let plain = Server::start_with({
        let mut c = contract::echo_config();
        c.cors = None;
        c
    })
    .await;
    let r = plain
        .request("OPTIONS", &plain.url("EIO=4&transport=polling"), &[], b"")
        .await;
    r.is_error(2, "Bad handshake method");
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn n17_upgrade_noop_about_100ms_after_the_probe_then_polling_is_refused() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let held = tokio::spawn({
        let (addr, target) = (srv.addr, srv.url(&Server::poll(&sid)));
        async move {
            (
                raw_request(addr, "GET", &target, &[], b"").await.unwrap(),
                Instant::now(),
            )
        }
    });
    srv.until_get_held(&sid).await;
    let mut ws = srv
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    let probe_sent = Instant::now();
    ws.send("2probe").await;
    ws.expect_text("3probe").await;
    let (r, at) = held.await.unwrap();
    r.is_payload("6");
    let after = at.duration_since(probe_sent);
    assert!(
        after >= Duration::from_millis(90) && after < Duration::from_millis(400),
        "noop after {after:?}"
    );
    ws.send("5").await;
    ws.send("4x").await;
    ws.expect_echo("4x").await;
    srv.get(&Server::poll(&sid))
        .await
        .is_error(3, "Bad request");
}

#[tokio::test]
async fn n18_second_websocket_during_an_upgrade_is_closed() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let mut first = srv
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    first.send("2probe").await;
    first.expect_text("3probe").await;
    let mut second = srv
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    assert_eq!(second.next().await, Seen::Close(None));
    first.send("5").await;
    first.send("4y").await;
    first.expect_echo("4y").await;
}

#[tokio::test]
async fn n19_polling_heartbeat() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let start = Instant::now();
    srv.get(&Server::poll(&sid)).await.is_payload("2");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(250),
        "ping after {waited:?}"
    );
    srv.post(&Server::poll(&sid), "3").await.is_ok();
}

#[tokio::test]
async fn n20_ping_timeout_closes_the_session() {
    // Polling: see eio_suite s17. WebSocket: close without a code at ≈ interval + timeout.
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    let sid = crate::support::sid_of(&ws.open_packet().await);
    ws.expect_text("2").await;
    assert_eq!(ws.next().await, Seen::Close(None));
    srv.until_closed(&sid).await;
}

#[tokio::test]
async fn n21_duplicate_get() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let first = tokio::spawn({
        let (addr, target) = (srv.addr, srv.url(&Server::poll(&sid)));
        async move { raw_request(addr, "GET", &target, &[], b"").await.unwrap() }
    });
    srv.until_get_held(&sid).await;
    let second = srv.get(&Server::poll(&sid)).await;
    assert_eq!(
        (
            second.status,
            second.header("content-type"),
            second.body.len()
        ),
        (400, None, 0)
    );
    first.await.unwrap().is_payload("1");
    assert!(!srv.engine.has_session(&sid));
}

#[tokio::test]
async fn n22_post_over_max_http_buffer_size_is_413_and_the_session_survives() {
    let srv = Server::start_with({
        let mut c = contract::echo_config();
        c.max_http_buffer_size = 1000;
        c
    })
    .await;
    let r = srv.get("EIO=4&transport=polling").await;
    assert!(r.text().ends_with(r#""maxPayload":1000}"#), "{r:?}");
    let sid = crate::support::sid_of(&r.text()[1..]);
    let body = format!("4{}", "a".repeat(1200));
    let r = srv.post(&Server::poll(&sid), &body).await;
    assert_eq!(
        (r.status, r.header("content-type"), r.body.len()),
        (413, None, 0),
        "{r:?}"
    );
    srv.get(&Server::poll(&sid)).await.is_payload("2");
    // Exactly the limit is fine.
    srv.post(&Server::poll(&sid), &format!("4{}", "b".repeat(999)))
        .await
        .is_ok();
}

#[tokio::test]
async fn n23_websocket_frame_over_the_limit_is_closed_with_1009() {
    let srv = Server::start_with({
        let mut c = contract::echo_config();
        c.max_http_buffer_size = 1000;
        c
    })
    .await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    let sid = crate::support::sid_of(&ws.open_packet().await);
    ws.send(&format!("4{}", "a".repeat(999))).await;
    ws.expect_echo(&format!("4{}", "a".repeat(999))).await;
    ws.send(&format!("4{}", "a".repeat(1200))).await;
    assert_eq!(
        ws.next().await,
        Seen::Close(Some(
            tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Size
        ))
    );
    srv.until_closed(&sid).await;
}

#[tokio::test]
async fn n24_octet_stream_post_is_400_and_closes_the_session() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let r = srv
        .request(
            "POST",
            &srv.url(&Server::poll(&sid)),
            &[("Content-Type", "application/octet-stream")],
            b"4hello",
        )
        .await;
    assert_eq!((r.status, r.body.len()), (400, 0), "{r:?}");
    srv.get(&Server::poll(&sid))
        .await
        .is_error(1, "Session ID unknown");
}

#[tokio::test]
async fn n25_invalid_packet_over_polling_is_ok_then_gone() {
    let srv = Server::start().await;
    for body in ["abc", "", "2"] {
        let sid = srv.handshake().await;
        srv.post(&Server::poll(&sid), body).await.is_ok();
        srv.get(&Server::poll(&sid))
            .await
            .is_error(1, "Session ID unknown");
    }
}

#[tokio::test]
async fn n26_client_close_over_polling() {
    let srv = Server::start().await;
    // With a GET held: it gets "6" (eio_suite s20). Without: the session is simply gone.
    let sid = srv.handshake().await;
    srv.post(&Server::poll(&sid), "1").await.is_ok();
    srv.get(&Server::poll(&sid))
        .await
        .is_error(1, "Session ID unknown");
}

#[tokio::test]
async fn n27_client_close_over_websocket_is_ignored() {
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    ws.open_packet().await;
    ws.send("1").await;
    ws.send("4still here").await;
    ws.expect_text("4still here").await;
}

#[tokio::test]
async fn n37_client_ping_on_an_established_transport_closes() {
    let srv = Server::start().await;
    for ping in ["2", "2probe"] {
        let mut ws = srv.ws("EIO=4&transport=websocket").await;
        let start = Instant::now();
        ws.open_packet().await;
        ws.send(ping).await;
        assert_eq!(ws.next().await, Seen::Close(None), "{ping}");
        assert!(
            start.elapsed() < Duration::from_millis(300),
            "closed at once, not by the heartbeat"
        );
    }
}

#[tokio::test]
async fn n38_client_noop_and_upgrade_are_ignored() {
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    ws.open_packet().await;
    ws.send("6").await;
    ws.send("5").await;
    ws.send("4after").await;
    ws.expect_text("4after").await;
}

#[tokio::test]
async fn other_method_with_a_valid_sid_is_500() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let r = srv
        .request("PUT", &srv.url(&Server::poll(&sid)), &[], b"")
        .await;
    assert_eq!((r.status, r.body.len()), (500, 0));
    assert!(srv.engine.has_session(&sid), "the session survives");
}

#[tokio::test]
async fn server_close_without_a_held_get_answers_the_next_get_with_noop_and_close() {
    // The echo server closes nothing by itself: an engine whose connections the test holds.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = sio_reference_server::Engine::new(contract::echo_config(), move |c| {
        let _ = tx.send(c);
    });
    let router = axum::Router::new().merge(engine.router());
    let addr = sio_test_support::serve_here(router).await;
    let r = raw_request(addr, "GET", "/engine.io/?EIO=4&transport=polling", &[], b"")
        .await
        .unwrap();
    let sid = crate::support::sid_of(&r.text()[1..]);
    let conn = crate::support::within("the connection", rx.recv())
        .await
        .unwrap();
    assert_eq!(conn.socket().id(), sid);
    conn.socket().send_text("bye");
    conn.socket().close();
    let target = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    raw_request(addr, "GET", &target, &[], b"")
        .await
        .unwrap()
        .is_payload("4bye");
    raw_request(addr, "GET", &target, &[], b"")
        .await
        .unwrap()
        .is_payload("6\u{1e}1");
    let mut conn = conn;
    let mut last = None;
    while let Some(e) = crate::support::within("events", conn.recv()).await {
        last = Some(e);
    }
    assert_eq!(
        last,
        Some(sio_reference_server::SocketEvent::Close {
            reason: sio_reference_server::CloseReason::ForcedClose,
            description: None
        })
    );
}

#[tokio::test]
async fn a_dropped_long_poll_closes_the_session() {
    use tokio::io::AsyncWriteExt;
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let mut tcp = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\n\r\n",
        srv.url(&Server::poll(&sid))
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    srv.until_get_held(&sid).await;
    drop(tcp);
    // "poll connection closed prematurely" (well before the 500 ms ping timeout could).
    let start = Instant::now();
    srv.until_closed(&sid).await;
    assert!(
        start.elapsed() < Duration::from_millis(250),
        "closed after {:?}",
        start.elapsed()
    );
}
