//! Engine.IO messages on the echo server: polling payloads (text, batches, binary as base64),
//! WebSocket text and binary frames, and the session closing on an invalid packet or on two
//! concurrent polls.

use super::support::*;
use crate::case::{Case, EIO_SPEC, NOTES};
use crate::context::{Ctx, expect_status};
use crate::failure::{CaseResult, Failure, visible};

async fn echo_polling(cx: &mut Ctx, payload: &str) -> CaseResult {
    let sid = open_polling(cx).await?;
    post_ok(cx, &sid, payload).await?;
    expect_poll_body(cx, &sid, "GET the echo", payload).await
}

async fn polling_one_text(cx: &mut Ctx) -> CaseResult {
    echo_polling(cx, "4hello").await
}

async fn polling_several_text(cx: &mut Ctx) -> CaseResult {
    echo_polling(cx, "4test1\u{1e}4test2\u{1e}4test3").await
}

async fn polling_text_and_binary(cx: &mut Ctx) -> CaseResult {
    echo_polling(cx, "4hello\u{1e}bAQIDBA==").await
}

async fn polling_invalid_packet(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    // The POST itself may be answered (Node: 200 ok) or reset; what matters is the session.
    let target = cx.url(&q(&sid));
    let _ = cx
        .request(
            "POST",
            target,
            &[("content-type", crate::context::TEXT_PLAIN)],
            b"abc",
        )
        .await?;
    expect_session_gone(cx, &sid, "GET after the invalid packet").await
}

async fn polling_duplicate_poll(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    let burst = format!("{}&t=burst", q(&sid));
    let mut first = cx.spawn_get(&burst);
    cx.pause(50, "let the first GET reach the server before the second")
        .await;
    // A ping may release the first GET before the second is sent (a server that pings at once,
    // or a far one): then there is no overlap to judge. Answer it and overlap again; the next
    // ping is a whole pingInterval away.
    for _ in 0..2 {
        if !first.is_done() {
            break;
        }
        let released = first.response().await?;
        if !(released.status == 200 && released.text().split(RS).all(|r| r == "2")) {
            return Err(Failure::assertion(
                "first GET (still pending when the second is sent)",
                "no response yet (or a ping)",
                format!(
                    "status {} body {}",
                    released.status,
                    visible(&released.text())
                ),
            ));
        }
        cx.tolerate(
            "a ping released the first GET before the second was sent; answered, overlapped again",
        );
        post_ok(cx, &sid, "3").await?;
        first = cx.spawn_get(&burst);
        cx.pause(50, "let the first GET reach the server before the second")
            .await;
    }
    let second = cx.get(&burst).await?;
    if second.status != 400 && second.status != 500 {
        return Err(Failure::assertion(
            "second concurrent GET",
            "status 400 (the suite also accepts 500)",
            format!("status {} body {}", second.status, visible(&second.text())),
        ));
    }
    if second.status != 400 || !second.body.is_empty() {
        cx.soft(Err(Failure::assertion(
            "second concurrent GET",
            "status 400 with an empty body",
            format!("status {} body {}", second.status, visible(&second.text())),
        )));
    }
    let first = first.response().await?;
    expect_status("first GET", &first, 200)?;
    if first.body != b"1" {
        return Err(Failure::assertion(
            "first GET (closed by the overlap)",
            "status 200 body 1",
            format!("status {} body {}", first.status, visible(&first.text())),
        ));
    }
    expect_session_gone(cx, &sid, "GET after the overlap").await
}

async fn ws_text(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("4hello").await?;
    ws.expect("echo", t("4hello")).await?;
    Ok(())
}

async fn ws_binary(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send_binary(&[1, 2, 3, 4]).await?;
    ws.expect("binary echo", crate::expect::Want::binary(&[1, 2, 3, 4]))
        .await?;
    Ok(())
}

async fn ws_invalid_packet(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("abc").await?;
    let bound = cx.step();
    expect_ws_closed(cx, &mut ws, "after the invalid packet", bound).await
}

async fn ws_base64_text(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("bAQID").await?;
    ws.expect(
        "binary echo of a base64 text frame",
        crate::expect::Want::binary(&[1, 2, 3]),
    )
    .await?;
    Ok(())
}

/// The message cases.
pub fn cases() -> Vec<Case> {
    let eio = |id, title, body, name: &'static str, tags: &[&'static str]| {
        Case::new(id, title, body)
            .spec(EIO_SPEC, "Packet encoding; HTTP long-polling / WebSocket")
            .tags(tags)
            .official(EIO_SUITE, name)
    };
    vec![
        eio(
            "eio.message.polling.one-text",
            "POST 4hello is answered ok and the next GET echoes 4hello",
            crate::body!(polling_one_text),
            "message › HTTP long-polling › sends and receives a payload containing one plain text packet",
            &["polling", "message"],
        ),
        eio(
            "eio.message.polling.several-text",
            "Three text packets in one payload are echoed as the same payload",
            crate::body!(polling_several_text),
            "message › HTTP long-polling › sends and receives a payload containing several plain text packets",
            &["polling", "message", "payload"],
        ),
        eio(
            "eio.message.polling.text-and-binary",
            "A text and a base64 binary packet in one payload are echoed as the same payload",
            crate::body!(polling_text_and_binary),
            "message › HTTP long-polling › sends and receives a payload containing plain text and binary packets",
            &["polling", "message", "payload", "binary"],
        ),
        eio(
            "eio.message.polling.invalid-packet",
            "A POST that is not a valid payload ends the session (the next GET is refused)",
            crate::body!(polling_invalid_packet),
            "message › HTTP long-polling › closes the session upon invalid packet format",
            &["polling", "message", "errors"],
        ),
        eio(
            "eio.message.polling.duplicate-poll",
            "A second concurrent GET is refused, the first is answered with close `1`, the session ends",
            crate::body!(polling_duplicate_poll),
            "message › HTTP long-polling › closes the session upon duplicate poll requests",
            &["polling", "errors"],
        ),
        eio(
            "eio.message.websocket.text",
            "A text frame 4hello is echoed",
            crate::body!(ws_text),
            "message › WebSocket › sends and receives a plain text packet",
            &["websocket", "message"],
        ),
        eio(
            "eio.message.websocket.binary",
            "A binary frame 01020304 is echoed as a binary frame with no prefix",
            crate::body!(ws_binary),
            "message › WebSocket › sends and receives a binary packet",
            &["websocket", "message", "binary"],
        ),
        eio(
            "eio.message.websocket.invalid-packet",
            "A text frame that is not a packet (abc) closes the connection",
            crate::body!(ws_invalid_packet),
            "message › WebSocket › closes the session upon invalid packet format",
            &["websocket", "message", "errors"],
        ),
        Case::new(
            "eio.message.websocket.base64-text",
            "A text frame starting with `b` is a base64 binary message (echoed as a binary frame)",
            crate::body!(ws_base64_text),
        )
        .spec(NOTES, "§1.6")
        .should()
        .tags(&["websocket", "message", "binary"]),
    ]
}
