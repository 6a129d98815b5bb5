//! The socket.io-protocol official suite's 16 Socket.IO cases (ids in fixtures/README.md), with
//! Node's exact bytes, against sio-main over raw WebSockets.

use crate::support::Server;
use crate::support::sio::SioWs;

const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

/// #17: `40` → `40{"sid"}` (only `sid`), then `42["auth",{}]`.
#[tokio::test]
async fn connect_main_namespace() {
    let srv = Server::start().await;
    let (_c, sid) = SioWs::connected(&srv).await;
    assert_ne!(sid, _c.eio_sid, "the socket id is not the engine sid");
}

/// #18: the CONNECT payload is the handshake's auth.
#[tokio::test]
async fn connect_main_namespace_with_payload() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    c.send(r#"40{"token":"123"}"#).await;
    c.connect_reply("").await;
    c.expect(r#"42["auth",{"token":"123"}]"#).await;
}

/// #19: `40/custom,`.
#[tokio::test]
async fn connect_custom_namespace() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    c.send("40/custom,").await;
    c.connect_reply("/custom,").await;
    c.expect(r#"42/custom,["auth",{}]"#).await;
}

/// #20.
#[tokio::test]
async fn connect_custom_namespace_with_payload() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    c.send(r#"40/custom,{"token":"abc"}"#).await;
    c.connect_reply("/custom,").await;
    c.expect(r#"42/custom,["auth",{"token":"abc"}]"#).await;
}

/// #21: an unknown namespace (no comma) is refused with the comma added; the connection stays.
#[tokio::test]
async fn unknown_namespace_is_refused() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    c.send("40/random").await;
    c.expect(r#"44/random,{"message":"Invalid namespace"}"#)
        .await;
    c.send("40").await;
    c.connect_reply("").await;
}

/// #22 / #30: `4abc` (unknown packet type) closes the connection.
#[tokio::test]
async fn invalid_handshake_closes() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    c.send("4abc").await;
    c.expect_closed().await;
}

/// #23: nothing sent → closed by the connect timeout (1000 ms), pings answered meanwhile.
#[tokio::test]
async fn no_handshake_closes_after_connect_timeout() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    let start = std::time::Instant::now();
    c.expect_closed().await;
    let took = start.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(900)
            && took < std::time::Duration::from_millis(2000),
        "closed after {took:?}"
    );
}

/// #24: `41` gets no reply; the connection stays (the next frame is a ping).
#[tokio::test]
async fn disconnect_from_main_namespace() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("41").await;
    c.ws.expect_text("2").await;
}

/// #25: join and leave `/custom`; `/` keeps working.
#[tokio::test]
async fn connect_then_disconnect_custom_namespace() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("40/custom").await;
    c.connect_reply("/custom,").await;
    c.expect(r#"42/custom,["auth",{}]"#).await;
    c.send("41/custom").await;
    c.send(r#"42["message","message to main namespace"]"#).await;
    c.expect(r#"42["message-back","message to main namespace"]"#)
        .await;
}

/// #26.
#[tokio::test]
async fn plain_text_event() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(r#"42["message",1,"2",{"3":[true]}]"#).await;
    c.expect(r#"42["message-back",1,"2",{"3":[true]}]"#).await;
}

/// #27.
#[tokio::test]
async fn binary_event() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(&format!(r#"452-["message",{PH0},{PH1}]"#)).await;
    c.send_binary(&[1, 2, 3]).await;
    c.send_binary(&[4, 5, 6]).await;
    c.expect(&format!(r#"452-["message-back",{PH0},{PH1}]"#))
        .await;
    c.expect_binary(&[1, 2, 3]).await;
    c.expect_binary(&[4, 5, 6]).await;
}

/// #28.
#[tokio::test]
async fn plain_text_event_with_ack() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#)
        .await;
    c.expect(r#"43456[1,"2",{"3":[false]}]"#).await;
}

/// #29.
#[tokio::test]
async fn binary_event_with_ack() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(&format!(r#"452-789["message-with-ack",{PH0},{PH1}]"#))
        .await;
    c.send_binary(&[1, 2, 3]).await;
    c.send_binary(&[4, 5, 6]).await;
    c.expect(&format!("462-789[{PH0},{PH1}]")).await;
    c.expect_binary(&[1, 2, 3]).await;
    c.expect_binary(&[4, 5, 6]).await;
}

/// #31: `42{}` (payload not an array) closes.
#[tokio::test]
async fn invalid_payload_closes() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("42{}").await;
    c.expect_closed().await;
}

/// #32: a non-numeric ack id makes the payload invalid: closed.
#[tokio::test]
async fn invalid_ack_id_closes() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#)
        .await;
    c.expect_closed().await;
}
