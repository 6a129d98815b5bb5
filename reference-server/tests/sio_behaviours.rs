//! Node behaviours observed on socket.io 4.8.4 (observed Node behaviour §4 #10–#16 and #28–#40), against
//! sio-main, byte for byte.

use crate::support::Server;
use crate::support::sio::{SioPoll, SioWs};

const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

/// #10: CONNECT over polling: `ok`, then the reply on the next GET.
#[tokio::test]
async fn connect_over_polling() {
    let srv = Server::start().await;
    let c = SioPoll::open(&srv).await;
    c.post("40").await.is_ok();
    let reply = c.get_payload().await;
    let json = reply.strip_prefix("40").unwrap();
    let v: serde_json::Value = serde_json::from_str(json.split('\u{1e}').next().unwrap()).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 1);
    assert!(reply.ends_with("\u{1e}42[\"auth\",{}]"), "{reply}");
}

/// #11: an event with an ack and a plain event in one POST: both answers in one GET.
#[tokio::test]
async fn batched_event_and_ack_over_polling() {
    let srv = Server::start().await;
    let c = SioPoll::open(&srv).await;
    c.post("40").await.is_ok();
    c.get_payload().await;
    c.post("421[\"message-with-ack\",1]\u{1e}42[\"message\",\"x\"]")
        .await
        .is_ok();
    assert_eq!(
        c.get_payload().await,
        "431[1]\u{1e}42[\"message-back\",\"x\"]"
    );
}

/// #12: refusals in one POST: the unknown namespace at once, the middlewares' after.
#[tokio::test]
async fn batched_namespace_refusals() {
    let srv = Server::start().await;
    let c = SioPoll::open(&srv).await;
    c.post("40/admin,\u{1e}40/plain,\u{1e}40/nope,")
        .await
        .is_ok();
    let mut all = String::new();
    while all.matches("44").count() < 3 {
        if !all.is_empty() {
            all.push('\u{1e}');
        }
        all.push_str(&c.get_payload().await);
    }
    assert_eq!(
        all,
        "44/nope,{\"message\":\"Invalid namespace\"}\u{1e}44/admin,{\"message\":\"Not authorized\",\"data\":{\"reason\":\"no token\"}}\u{1e}44/plain,{\"message\":\"nope\"}"
    );
}

/// #13: binary over polling (base64 records).
#[tokio::test]
async fn binary_over_polling() {
    let srv = Server::start().await;
    let c = SioPoll::open(&srv).await;
    c.post("40").await.is_ok();
    c.get_payload().await;
    c.post(&format!("451-[\"message\",{PH0}]\u{1e}bAQID"))
        .await
        .is_ok();
    assert_eq!(
        c.get_payload().await,
        format!("451-[\"message-back\",{PH0}]\u{1e}bAQID")
    );
}

/// #15: a nested binary ack.
#[tokio::test]
async fn nested_binary_ack() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(&format!(r#"451-1["message-with-ack",{{"a":[{PH0}]}}]"#))
        .await;
    c.send_binary(&[7]).await;
    c.expect(&format!(r#"461-1[{{"a":[{PH0}]}}]"#)).await;
    c.expect_binary(&[7]).await;
}

/// #16: placeholders are renumbered depth first, buffers reordered.
#[tokio::test]
async fn placeholders_renumbered() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(&format!(r#"452-["message",{{"x":{PH1}}},{PH0}]"#))
        .await;
    c.send_binary(&[1]).await;
    c.send_binary(&[2]).await;
    c.expect(&format!(r#"452-["message-back",{{"x":{PH0}}},{PH1}]"#))
        .await;
    c.expect_binary(&[2]).await;
    c.expect_binary(&[1]).await;
}

/// #28: an invalid Socket.IO packet after a connect over polling: the next GET gets `6␞1`.
#[tokio::test]
async fn invalid_packet_over_polling_closes() {
    let srv = Server::start().await;
    let c = SioPoll::open(&srv).await;
    c.post("40").await.is_ok();
    c.get_payload().await;
    c.post("4abc").await.is_ok();
    c.get().await.is_payload("6\u{1e}1");
}

/// #29: an EVENT before any CONNECT closes.
#[tokio::test]
async fn event_before_connect_closes() {
    let srv = Server::start().await;
    let c = SioPoll::open(&srv).await;
    c.post("42[\"x\"]").await.is_ok();
    c.get().await.is_payload("6\u{1e}1");
}

/// #30: reserved event names close the connection.
#[tokio::test]
async fn reserved_event_names_close() {
    let srv = Server::start().await;
    for name in ["disconnect", "connect", "disconnecting", "newListener"] {
        let (mut c, _) = SioWs::connected(&srv).await;
        c.send(&format!(r#"42["{name}"]"#)).await;
        c.expect_closed().await;
    }
}

/// #31: a second CONNECT to a joined namespace closes.
#[tokio::test]
async fn second_connect_closes() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("40").await;
    c.expect_closed().await;
}

/// #32: a CONNECT_ERROR from the client closes.
#[tokio::test]
async fn client_connect_error_closes() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(r#"44{"message":"x"}"#).await;
    c.expect_closed().await;
}

/// #33: payload shape errors close.
#[tokio::test]
async fn payload_shape_errors_close() {
    let srv = Server::start().await;
    for bad in [r#"40"str""#, "40[]", r#"42["message",Infinity]"#] {
        let mut c = SioWs::open(&srv).await;
        if bad.starts_with("42") {
            c.send("40").await;
            c.connect_reply("").await;
            c.expect(r#"42["auth",{}]"#).await;
        }
        c.send(bad).await;
        c.expect_closed().await;
    }
}

/// #34: `42` with no payload is accepted silently.
#[tokio::test]
async fn event_without_payload_is_ignored() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("42").await;
    c.send(r#"42[1,"x"]"#).await;
    c.send(r#"42["message","still here"]"#).await;
    c.expect(r#"42["message-back","still here"]"#).await;
}

/// #35: an ACK for an unknown id is ignored.
#[tokio::test]
async fn unknown_ack_id_is_ignored() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("4399[1]").await;
    c.send(r#"42["message","still here"]"#).await;
    c.expect(r#"42["message-back","still here"]"#).await;
}

/// #36: binary protocol errors close.
#[tokio::test]
async fn binary_protocol_errors_close() {
    let srv = Server::start().await;
    // A binary frame with no pending header.
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send_binary(&[1]).await;
    c.expect_closed().await;
    // Text while reconstructing.
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(&format!(r#"451-["message",{PH0}]"#)).await;
    c.send(r#"42["message","x"]"#).await;
    c.expect_closed().await;
    // Zero or too many attachments.
    for bad in [r#"450-["message"]"#, r#"4511-["message"]"#] {
        let (mut c, _) = SioWs::connected(&srv).await;
        c.send(bad).await;
        c.expect_closed().await;
    }
    // A placeholder index out of range.
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(r#"451-["message",{"_placeholder":true,"num":1}]"#)
        .await;
    c.send_binary(&[1]).await;
    c.expect_closed().await;
}

/// #37: a client ping on the established transport closes.
#[tokio::test]
async fn client_ping_closes() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("2").await;
    c.expect_closed().await;
}

/// #38: client noop / upgrade packets are ignored.
#[tokio::test]
async fn noop_and_upgrade_are_ignored() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("6").await;
    c.send("5").await;
    c.send(r#"42["message","x"]"#).await;
    c.expect(r#"42["message-back","x"]"#).await;
}

/// #39: `40/admin` without the comma: the refusal adds it; the connection stays.
#[tokio::test]
async fn namespace_without_comma() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    c.send("40/admin").await;
    c.expect(r#"44/admin,{"message":"Not authorized","data":{"reason":"no token"}}"#)
        .await;
    c.send("40").await;
    c.connect_reply("").await;
}

/// #40: an EVENT after DISCONNECT to the same namespace closes.
#[tokio::test]
async fn event_after_disconnect_closes() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("41").await;
    c.send(r#"42["message","after"]"#).await;
    c.expect_closed().await;
}
