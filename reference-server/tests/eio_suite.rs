//! The 24 behaviours of `engine.io-protocol/test-suite/test-suite.js` (ids in fixtures/README.md),
//! numbered as there, asserted with Node's exact bytes where Node's are exact.

use std::time::Instant;

use crate::support::{Seen, Server, sid_of};

const OPEN_KEYS: [&str; 5] = [
    "sid",
    "upgrades",
    "pingInterval",
    "pingTimeout",
    "maxPayload",
];

fn check_open(json: &str, upgrades: &str) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, OPEN_KEYS, "keys in Node's order");
    let sid = sid_of(json);
    assert_eq!(sid.len(), 20);
    assert_eq!(
        json,
        format!(
            r#"{{"sid":"{sid}","upgrades":{upgrades},"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}}"#
        )
    );
}

// --- handshake › HTTP long-polling

#[tokio::test]
async fn s01_polling_handshake_opens_a_session() {
    let srv = Server::start().await;
    let r = srv.get("EIO=4&transport=polling").await;
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("text/plain; charset=UTF-8"))
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let body = r.text();
    assert!(body.starts_with('0'));
    check_open(&body[1..], r#"["websocket"]"#);
}

#[tokio::test]
async fn s02_polling_handshake_fails_with_an_invalid_eio() {
    let srv = Server::start().await;
    srv.get("transport=polling")
        .await
        .is_error(5, "Unsupported protocol version");
    srv.get("EIO=abc&transport=polling")
        .await
        .is_error(5, "Unsupported protocol version");
}

#[tokio::test]
async fn s03_polling_handshake_fails_with_an_invalid_transport() {
    let srv = Server::start().await;
    srv.get("EIO=4").await.is_error(0, "Transport unknown");
    srv.get("EIO=4&transport=abc")
        .await
        .is_error(0, "Transport unknown");
}

#[tokio::test]
async fn s04_polling_handshake_fails_with_an_invalid_method() {
    let srv = Server::start().await;
    for method in ["POST", "PUT"] {
        srv.request(method, &srv.url("EIO=4&transport=polling"), &[], b"")
            .await
            .is_error(2, "Bad handshake method");
    }
}

// --- handshake › WebSocket

#[tokio::test]
async fn s05_websocket_handshake_opens_a_session() {
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    check_open(&ws.open_packet().await, "[]");
}

#[tokio::test]
async fn s06_websocket_handshake_fails_with_an_invalid_eio() {
    // Node checks EIO after the 101 and writes a raw HTTP 400 on the upgraded socket.
    let srv = Server::start().await;
    for query in ["transport=websocket", "EIO=abc&transport=websocket"] {
        let raw = String::from_utf8(srv.raw_upgrade(query).await).unwrap();
        assert!(
            raw.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
            "{raw}"
        );
        assert!(
            raw.ends_with(
                "\r\n\r\nHTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: 28\r\n\r\nUnsupported protocol version"
            ),
            "{raw}"
        );
    }
}

#[tokio::test]
async fn s07_websocket_handshake_fails_with_an_invalid_transport() {
    let srv = Server::start().await;
    for query in ["EIO=4", "EIO=4&transport=abc"] {
        let raw = String::from_utf8(srv.raw_upgrade(query).await).unwrap();
        assert!(raw.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{raw}");
        assert!(raw.ends_with("\r\n\r\nTransport unknown"), "{raw}");
    }
}

// --- message › HTTP long-polling

async fn polling_echo(body: &str) {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    srv.post(&Server::poll(&sid), body).await.is_ok();
    srv.get(&Server::poll(&sid)).await.is_payload(body);
}

#[tokio::test]
async fn s08_polling_one_text_packet() {
    polling_echo("4hello").await;
}

#[tokio::test]
async fn s09_polling_several_text_packets() {
    polling_echo("4test1\u{1e}4test2\u{1e}4test3").await;
}

#[tokio::test]
async fn s10_polling_text_and_binary_packets() {
    polling_echo("4hello\u{1e}bAQIDBA==").await;
}

#[tokio::test]
async fn s11_polling_invalid_packet_closes_the_session() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    // Node answers "ok" and closes (the suite also accepts 400 or a reset).
    srv.post(&Server::poll(&sid), "abc").await.is_ok();
    srv.get(&Server::poll(&sid))
        .await
        .is_error(1, "Session ID unknown");
}

#[tokio::test]
async fn s12_polling_duplicate_get_closes_the_session() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let q = format!("{}&t=burst", Server::poll(&sid));
    let first = tokio::spawn({
        let (addr, target) = (srv.addr, srv.url(&q));
        async move {
            crate::support::raw_request(addr, "GET", &target, &[], b"")
                .await
                .unwrap()
        }
    });
    srv.until_get_held(&sid).await;
    let second = srv.get(&q).await;
    assert_eq!((second.status, second.body.len()), (400, 0), "{second:?}");
    first.await.unwrap().is_payload("1");
    srv.get(&Server::poll(&sid))
        .await
        .is_error(1, "Session ID unknown");
}

// --- message › WebSocket

#[tokio::test]
async fn s13_websocket_text_packet() {
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    ws.open_packet().await;
    ws.send("4hello").await;
    ws.expect_text("4hello").await;
}

#[tokio::test]
async fn s14_websocket_binary_packet() {
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    ws.open_packet().await;
    ws.send_binary(&[1, 2, 3, 4]).await;
    assert_eq!(ws.next().await, Seen::Binary(vec![1, 2, 3, 4]));
}

#[tokio::test]
async fn s15_websocket_invalid_packet_closes_the_session() {
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    ws.open_packet().await;
    ws.send("abc").await;
    assert_eq!(
        ws.next().await,
        Seen::Close(None),
        "a close without a code (1005)"
    );
}

// --- heartbeat

#[tokio::test]
async fn s16_polling_ping_pong() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    for _ in 0..3 {
        srv.get(&Server::poll(&sid)).await.is_payload("2");
        srv.post(&Server::poll(&sid), "3").await.is_ok();
    }
}

#[tokio::test]
async fn s17_polling_ping_timeout_closes_the_session() {
    let srv = Server::start().await;
    let start = Instant::now();
    let sid = srv.handshake().await;
    srv.get(&Server::poll(&sid)).await.is_payload("2");
    // No pong: the next held GET is answered with "1" when the ping timeout fires.
    srv.get(&Server::poll(&sid)).await.is_payload("1");
    let elapsed = start.elapsed().as_millis();
    assert!(
        (450..1500).contains(&elapsed),
        "closed after {elapsed} ms (pingInterval + pingTimeout = 500)"
    );
    srv.get(&Server::poll(&sid))
        .await
        .is_error(1, "Session ID unknown");
}

#[tokio::test]
async fn s18_websocket_ping_pong() {
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    ws.open_packet().await;
    for _ in 0..3 {
        ws.expect_text("2").await;
        ws.send("3").await;
    }
}

#[tokio::test]
async fn s19_websocket_ping_timeout_closes_the_session() {
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    let start = Instant::now();
    ws.open_packet().await;
    ws.expect_text("2").await;
    assert_eq!(ws.next().await, Seen::Close(None));
    let elapsed = start.elapsed().as_millis();
    assert!((450..1500).contains(&elapsed), "closed after {elapsed} ms");
}

// --- close

#[tokio::test]
async fn s20_polling_forceful_close() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let held = tokio::spawn({
        let (addr, target) = (srv.addr, srv.url(&Server::poll(&sid)));
        async move {
            crate::support::raw_request(addr, "GET", &target, &[], b"")
                .await
                .unwrap()
        }
    });
    srv.until_get_held(&sid).await;
    srv.post(&Server::poll(&sid), "1").await.is_ok();
    held.await.unwrap().is_payload("6");
    srv.get(&Server::poll(&sid))
        .await
        .is_error(1, "Session ID unknown");
}

#[tokio::test]
async fn s21_websocket_forceful_close() {
    // Node ignores a client "1" over WebSocket; the session ends at the ping timeout.
    let srv = Server::start().await;
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    ws.open_packet().await;
    ws.send("1").await;
    ws.expect_text("2").await;
    assert_eq!(ws.next().await, Seen::Close(None));
}

// --- upgrade

#[tokio::test]
async fn s22_upgrade_from_polling_to_websocket() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let mut ws = srv
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    ws.send("2probe").await;
    ws.expect_text("3probe").await;
    srv.get(&Server::poll(&sid)).await.is_payload("6");
    ws.send("5").await;
    ws.send("4hello").await;
    ws.expect_echo("4hello").await;
}

#[tokio::test]
async fn s23_polling_requests_after_the_upgrade_are_refused() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let mut ws = srv
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    ws.send("2probe").await;
    ws.send("5").await;
    ws.send("4hello").await;
    ws.expect_text("3probe").await;
    ws.expect_echo("4hello").await;
    srv.get(&Server::poll(&sid))
        .await
        .is_error(3, "Bad request");
    ws.send("4again").await;
    ws.expect_echo("4again").await;
}

#[tokio::test]
async fn s24_a_second_websocket_after_the_upgrade_is_closed() {
    let srv = Server::start().await;
    let sid = srv.handshake().await;
    let mut ws = srv
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    ws.send("2probe").await;
    ws.expect_text("3probe").await;
    ws.send("5").await;
    ws.send("4hello").await;
    ws.expect_echo("4hello").await;
    // Node completes the 101, then closes without a code (observed Node behaviour §4 #18).
    let mut second = srv
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    assert_eq!(second.next().await, Seen::Close(None));
    ws.send("4still").await;
    ws.expect_echo("4still").await;
}
