//! Socket.IO events and acks over WebSocket (the suite's message block): plain text, binary
//! attachments, acks, and the packets that close the connection.

use super::support::*;
use crate::case::{Case, NOTES, SIO_SPEC};
use crate::config::{Capability, Server};
use crate::context::Ctx;
use crate::expect::Want;
use crate::failure::CaseResult;
use std::time::Duration;

const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

async fn plain(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send(r#"42["message",1,"2",{"3":[true]}]"#).await?;
    ws.expect(
        "message-back",
        t(r#"42["message-back",1,"2",{"3":[true]}]"#),
    )
    .await?;
    Ok(())
}

async fn binary(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send(&format!(r#"452-["message",{PH0},{PH1}]"#)).await?;
    ws.send_binary(&[1, 2, 3]).await?;
    ws.send_binary(&[4, 5, 6]).await?;
    ws.expect(
        "BINARY_EVENT header",
        t(&format!(r#"452-["message-back",{PH0},{PH1}]"#)),
    )
    .await?;
    ws.expect("attachment 0", Want::binary(&[1, 2, 3])).await?;
    ws.expect("attachment 1", Want::binary(&[4, 5, 6])).await?;
    Ok(())
}

async fn ack(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#)
        .await?;
    ws.expect("ACK", t(r#"43456[1,"2",{"3":[false]}]"#)).await?;
    Ok(())
}

async fn binary_ack(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send(&format!(r#"452-789["message-with-ack",{PH0},{PH1}]"#))
        .await?;
    ws.send_binary(&[1, 2, 3]).await?;
    ws.send_binary(&[4, 5, 6]).await?;
    ws.expect("BINARY_ACK header", t(&format!(r#"462-789[{PH0},{PH1}]"#)))
        .await?;
    ws.expect("attachment 0", Want::binary(&[1, 2, 3])).await?;
    ws.expect("attachment 1", Want::binary(&[4, 5, 6])).await?;
    Ok(())
}

async fn closes_on(cx: &mut Ctx, frame: &str) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send(frame).await?;
    let bound = cx.step();
    expect_ws_closed(cx, &mut ws, &format!("close after {frame}"), bound).await
}

async fn invalid_type(cx: &mut Ctx) -> CaseResult {
    closes_on(cx, "4abc").await
}

async fn invalid_payload(cx: &mut Ctx) -> CaseResult {
    closes_on(cx, "42{}").await
}

async fn invalid_ack_id(cx: &mut Ctx) -> CaseResult {
    closes_on(cx, r#"42abc["message-with-ack",1,"2",{"3":[false]}]"#).await
}

async fn unknown_ack_id(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send("4399[1]").await?;
    ws.expect_silence(
        "no reply to an ACK with an unknown id",
        Duration::from_millis(100),
    )
    .await?;
    still_connected(&mut ws, "still here").await
}

async fn event_no_handler_ack(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    // An EVENT with an ack id but no handler at all: nothing comes back, the connection stays.
    ws.send(r#"427["no-such-event","x"]"#).await?;
    ws.expect_silence("no ACK for id 7", Duration::from_millis(100))
        .await?;
    still_connected(&mut ws, "still here").await
}

/// The message cases.
pub fn cases() -> Vec<Case> {
    let suite = |id, title, body, name: &'static str, tags: &[&'static str]| {
        Case::new(id, title, body)
            .spec(SIO_SPEC, "Sending and receiving data; Acknowledgement")
            .server(Server::SioMain)
            .tags(&["websocket"])
            .tags(tags)
            .official(SIO_SUITE, name)
    };
    vec![
        suite(
            "sio.message.plain",
            "An EVENT is echoed as message-back with the same arguments, byte for byte",
            crate::body!(plain),
            "Socket.IO protocol › message › should send a plain-text packet",
            &["event"],
        )
        .requires(Capability::SioHandlers),
        suite(
            "sio.message.binary",
            "A BINARY_EVENT with two attachments is echoed: header, then the two binary frames in order",
            crate::body!(binary),
            "Socket.IO protocol › message › should send a packet with binary attachments",
            &["event", "binary"],
        )
        .requires(Capability::SioHandlers),
        suite(
            "sio.message.ack",
            "An EVENT with ack id 456 is answered `43456[…]` with the same arguments",
            crate::body!(ack),
            "Socket.IO protocol › message › should send a plain-text packet with an ack",
            &["ack"],
        )
        .requires(Capability::SioHandlers),
        suite(
            "sio.message.binary-ack",
            "A BINARY_EVENT with ack id 789 is answered with a BINARY_ACK `462-789[…]` and the two attachments",
            crate::body!(binary_ack),
            "Socket.IO protocol › message › should send a packet with binary attachments and an ack",
            &["ack", "binary"],
        )
        .requires(Capability::SioHandlers),
        suite(
            "sio.message.invalid-type",
            "A packet of unknown type (`4abc`) closes the connection",
            crate::body!(invalid_type),
            "Socket.IO protocol › message › should close the connection upon invalid format (unknown packet type)",
            &["errors"],
        ),
        suite(
            "sio.message.invalid-payload",
            "An EVENT whose payload is not an array (`42{}`) closes the connection",
            crate::body!(invalid_payload),
            "Socket.IO protocol › message › should close the connection upon invalid format (invalid payload format)",
            &["errors"],
        ),
        suite(
            "sio.message.invalid-ack-id",
            "An EVENT with a non-numeric ack id (`42abc[…]`) closes the connection",
            crate::body!(invalid_ack_id),
            "Socket.IO protocol › message › should close the connection upon invalid format (invalid ack id)",
            &["errors"],
        ),
        Case::new(
            "sio.ack.unknown-id",
            "An ACK with an id the server never used is ignored; the connection stays",
            crate::body!(unknown_ack_id),
        )
        .spec(NOTES, "§4 #35; §2.4")
        .should()
        .server(Server::SioMain)
        .tags(&["websocket", "ack"]),
        Case::new(
            "sio.ack.not-called",
            "An EVENT with an ack id and no handler gets no ACK; the connection stays",
            crate::body!(event_no_handler_ack),
        )
        .spec(NOTES, "§2.4 (acks)")
        .should()
        .server(Server::SioMain)
        .tags(&["websocket", "ack"]),
    ]
}
