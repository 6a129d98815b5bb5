//! Frame-level WebSocket input (RFC 6455), malformed and well-formed, written with the raw frame
//! client ([`crate::driver::frames`]) after a normal upgrade on the echo server.
//!
//! The other WebSocket cases put malformed Engine.IO packets in well-formed frames; these break
//! the frames themselves. For a frame the RFC says to fail the connection on, the MUST is that
//! the server does not take it as data and ends the connection (close frame or TCP end); the
//! close code it sends is SHOULD-level (§7.1.7: the endpoint SHOULD send a close frame with an
//! appropriate code) and is the one the Node server (ws 8 under engine.io 6.6.12) sends: 1002
//! for a protocol error, 1007 for invalid UTF-8. Every case then opens a fresh session and gets
//! an echo back: a malformed frame must cost one connection, not the server.
//!
//! The well-formed cases are the ones a naive frame reader gets wrong: a message in several
//! fragments (Node reassembles it; the Engine.IO packet is processed), a ping between
//! fragments, a UTF-8 character split across fragments, a ping at the 125-byte limit.

use super::support::*;
use crate::case::Case;
use crate::context::Ctx;
use crate::driver::frames::{RawFrame, RawWs, Read, ServerFrame, opcode};
use crate::failure::{CaseResult, Failure};

/// The spec document of these cases.
const RFC: &str = "RFC 6455";

/// 1002: protocol error.
pub(super) const PROTOCOL_ERROR: u16 = 1002;
/// 1007: invalid frame payload data (e.g. invalid UTF-8 in a text message).
const INVALID_PAYLOAD: u16 = 1007;

/// A raw WebSocket session on the echo server: 101, then the open packet as a text frame.
async fn open_raw(cx: &mut Ctx) -> Result<RawWs, Failure> {
    let mut ws = cx.raw_ws(WEBSOCKET).await?;
    let step = "open packet";
    let want = cx.handshake(&[]);
    match ws.next(cx.step()).await {
        Read::Frame(f)
            if f.opcode == opcode::TEXT
                && f.fin
                && want
                    .check_text(&String::from_utf8_lossy(&f.payload))
                    .is_some() =>
        {
            Ok(ws)
        }
        // The open packet is the session's first check, shared by every Engine.IO case: a
        // wrong one is the handshake's finding, not one of each frame case.
        other => Err(Failure::assertion(step, want.describe(), describe(&other))
            .rule(crate::catalogue::OPEN_PACKET)),
    }
}

fn describe(r: &Read) -> String {
    match r {
        Read::Frame(f) => f.describe(),
        Read::Ended(why) => format!("(connection ended: {why})"),
        Read::Timeout => "(nothing within the bound)".into(),
    }
}

/// The next frame other than an Engine.IO ping must be `want` (a data frame or a pong).
async fn expect_frame(cx: &Ctx, ws: &mut RawWs, step: &str, want: ServerFrame) -> CaseResult {
    let got = ws.next_skipping_pings(cx.step()).await;
    match &got {
        Read::Frame(f) if *f == want => Ok(()),
        _ => Err(Failure::assertion(step, want.describe(), describe(&got))),
    }
}

fn frame(op: u8, payload: &[u8]) -> ServerFrame {
    ServerFrame {
        fin: true,
        rsv: 0,
        opcode: op,
        payload: payload.to_vec(),
    }
}

/// After a frame the server must fail the connection on: no data may come back and the
/// connection must end (MUST); the close frame carries `code` (SHOULD, Node's code). The close
/// is answered (the close handshake) and the TCP connection must then end (SHOULD).
async fn expect_failed(cx: &mut Ctx, mut ws: RawWs, what: &str, code: u16) -> CaseResult {
    expect_connection_failed(cx, &mut ws, what, code, |_| false).await?;
    ws.drop_connection().await;
    server_still_healthy(cx).await
}

/// The one judgement of a connection the server must fail, here and in the security cases
/// (`security.eio.websocket-reserved-bits`): within a step, a close frame (its code `code` is a
/// SHOULD, then the close handshake is completed and the TCP connection must end, a SHOULD) or
/// the TCP connection's end (without a close frame: a SHOULD deviation, RFC 6455 §7.1.7).
/// Anything else, data or nothing at all, fails. Frames `written_before` says the server wrote
/// before it read the bad frame (an open packet) are passed over.
pub(super) async fn expect_connection_failed(
    cx: &mut Ctx,
    ws: &mut RawWs,
    what: &str,
    code: u16,
    written_before: fn(&ServerFrame) -> bool,
) -> CaseResult {
    let step = format!("the server fails the connection after {what}");
    let bound = cx.step();
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next_skipping_pings(left).await {
            Read::Frame(f) if f.opcode == opcode::CLOSE => {
                let got = f.close_code().unwrap_or(1005);
                cx.observe_close(format!("websocket close frame {}", f.describe()));
                if got != code {
                    cx.soft(Err(Failure::assertion(
                        format!("{step}: the close code (RFC 6455 §7.4.1, as Node)"),
                        format!("close {code}"),
                        f.describe(),
                    )));
                }
                // Complete the close handshake; the server then ends the TCP connection.
                let _ = ws.send(&[RawFrame::close(got, b"")]).await;
                let end = ws.next_skipping_pings(bound).await;
                if !matches!(end, Read::Ended(_)) {
                    cx.soft(Err(Failure::assertion(
                        "the server ends the TCP connection after the close handshake (§7.1.1)",
                        "(the connection ends)",
                        describe(&end),
                    )));
                }
                return Ok(());
            }
            Read::Frame(f) if written_before(&f) => {}
            // Failed, but without the close frame RFC 6455 §7.1.7 asks for once the connection
            // is established (a server that races its close against what it writes must not pass
            // one run and not the next).
            Read::Ended(why) => {
                cx.observe_close(format!("TCP end without a close frame ({why})"));
                cx.soft(Err(Failure::assertion(
                    format!("{step}: a close frame first (RFC 6455 §7.1.7, as Node)"),
                    format!("close {code}"),
                    format!("(the TCP connection ended without a close frame: {why})"),
                )));
                return Ok(());
            }
            Read::Frame(f) => {
                return Err(Failure::assertion(
                    step,
                    format!("close {code} (or the connection ends)"),
                    format!("{} (the frame was handled)", f.describe()),
                ));
            }
            Read::Timeout => {
                return Err(Failure::assertion(
                    step,
                    format!("close {code} (or the connection ends)"),
                    format!(
                        "(nothing within {} ms: the connection is still open)",
                        bound.as_millis()
                    ),
                ));
            }
        }
    }
}

/// A fresh session works: the malformed frame cost one connection, not the server.
async fn server_still_healthy(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    probe_first(cx, &mut ws).await
}

/// One case body per malformed input: open, send `$frames` in one write, expect the failure.
macro_rules! malformed {
    ($name:ident, $what:literal, $code:expr, $frames:expr) => {
        async fn $name(cx: &mut Ctx) -> CaseResult {
            let mut ws = open_raw(cx).await?;
            let frames: Vec<RawFrame> = $frames;
            ws.send(&frames).await.map_err(|e| {
                Failure::assertion(
                    concat!("send ", $what),
                    "the connection to take the bytes",
                    e,
                )
            })?;
            expect_failed(cx, ws, $what, $code).await
        }
    };
}

malformed!(
    unmasked,
    "an unmasked text frame",
    PROTOCOL_ERROR,
    vec![RawFrame::text("4hello").unmasked()]
);
malformed!(
    reserved_opcode,
    "a frame with the reserved data opcode 0x3",
    PROTOCOL_ERROR,
    vec![RawFrame::new(0x3, "4hello")]
);
malformed!(
    reserved_control_opcode,
    "a frame with the reserved control opcode 0xB",
    PROTOCOL_ERROR,
    vec![RawFrame::new(0xB, "")]
);
malformed!(
    rsv1,
    "a text frame with RSV1 set (no extension negotiated)",
    PROTOCOL_ERROR,
    vec![RawFrame::text("4hello").with_rsv(0b100)]
);
malformed!(
    rsv2_rsv3,
    "a text frame with RSV2 and RSV3 set",
    PROTOCOL_ERROR,
    vec![RawFrame::text("4hello").with_rsv(0b011)]
);
malformed!(
    invalid_utf8,
    "a text frame that is not UTF-8",
    INVALID_PAYLOAD,
    vec![RawFrame::text(&b"4hello \xff\xfe"[..])]
);
malformed!(
    control_too_long,
    "a ping with a 126-byte payload (control frames: at most 125)",
    PROTOCOL_ERROR,
    vec![RawFrame::new(opcode::PING, vec![b'p'; 126])]
);
malformed!(
    fragmented_control,
    "a ping without FIN (control frames must not be fragmented)",
    PROTOCOL_ERROR,
    vec![RawFrame::new(opcode::PING, "ab").not_final()]
);
malformed!(
    continuation_without_start,
    "a continuation frame with no message started",
    PROTOCOL_ERROR,
    vec![RawFrame::new(opcode::CONTINUATION, "4hello")]
);
malformed!(
    new_message_inside_fragmented,
    "a text frame while a fragmented message is still open",
    PROTOCOL_ERROR,
    vec![RawFrame::text("4hel").not_final(), RawFrame::text("4hello")]
);
malformed!(
    close_code_999,
    "a close frame with code 999",
    PROTOCOL_ERROR,
    vec![RawFrame::close(999, b"")]
);
malformed!(
    close_code_1004,
    "a close frame with the reserved code 1004",
    PROTOCOL_ERROR,
    vec![RawFrame::close(1004, b"")]
);
malformed!(
    close_code_1005,
    "a close frame with code 1005 (must never be sent)",
    PROTOCOL_ERROR,
    vec![RawFrame::close(1005, b"")]
);
malformed!(
    close_code_1006,
    "a close frame with code 1006 (must never be sent)",
    PROTOCOL_ERROR,
    vec![RawFrame::close(1006, b"")]
);
malformed!(
    close_code_5000,
    "a close frame with code 5000",
    PROTOCOL_ERROR,
    vec![RawFrame::close(5000, b"")]
);
malformed!(
    close_one_byte,
    "a close frame with a 1-byte payload",
    PROTOCOL_ERROR,
    vec![RawFrame::new(opcode::CLOSE, vec![0x03])]
);
malformed!(
    close_reason_invalid_utf8,
    "a close frame 1000 whose reason is not UTF-8",
    INVALID_PAYLOAD,
    vec![RawFrame::close(1000, b"bye \xff\xfe")]
);

/// A text message in three fragments, each in its own write: the reassembled Engine.IO
/// message is echoed.
async fn fragmented_text(cx: &mut Ctx) -> CaseResult {
    let mut ws = open_raw(cx).await?;
    for f in [
        RawFrame::text("4hel").not_final(),
        RawFrame::new(opcode::CONTINUATION, "lo wo").not_final(),
        RawFrame::new(opcode::CONTINUATION, "rld"),
    ] {
        send(&mut ws, f).await?;
    }
    expect_frame(
        cx,
        &mut ws,
        "echo of the reassembled message",
        frame(opcode::TEXT, b"4hello world"),
    )
    .await
}

/// A binary message in two fragments: echoed as one binary message.
async fn fragmented_binary(cx: &mut Ctx) -> CaseResult {
    let mut ws = open_raw(cx).await?;
    send(
        &mut ws,
        RawFrame::new(opcode::BINARY, vec![1, 2]).not_final(),
    )
    .await?;
    send(&mut ws, RawFrame::new(opcode::CONTINUATION, vec![3])).await?;
    expect_frame(
        cx,
        &mut ws,
        "echo of the reassembled binary message",
        frame(opcode::BINARY, &[1, 2, 3]),
    )
    .await
}

/// A ping between two fragments (control frames may be injected, §5.4): the pong comes back
/// at once, then the echo of the whole message.
async fn ping_between_fragments(cx: &mut Ctx) -> CaseResult {
    let mut ws = open_raw(cx).await?;
    send(&mut ws, RawFrame::text("4hel").not_final()).await?;
    send(&mut ws, RawFrame::new(opcode::PING, "mid")).await?;
    expect_frame(
        cx,
        &mut ws,
        "pong for the ping between fragments",
        frame(opcode::PONG, b"mid"),
    )
    .await?;
    send(&mut ws, RawFrame::new(opcode::CONTINUATION, "lo")).await?;
    expect_frame(
        cx,
        &mut ws,
        "echo of the reassembled message",
        frame(opcode::TEXT, b"4hello"),
    )
    .await
}

/// `é` (C3 A9) split between two fragments: valid UTF-8 once reassembled (§8.1 validates the
/// message, not each fragment).
async fn utf8_split_across_fragments(cx: &mut Ctx) -> CaseResult {
    let mut ws = open_raw(cx).await?;
    send(&mut ws, RawFrame::text(&b"4h\xc3"[..]).not_final()).await?;
    send(
        &mut ws,
        RawFrame::new(opcode::CONTINUATION, &b"\xa9llo"[..]),
    )
    .await?;
    expect_frame(
        cx,
        &mut ws,
        "echo of the reassembled message",
        frame(opcode::TEXT, "4héllo".as_bytes()),
    )
    .await
}

/// A client ping is answered with a pong carrying the same payload (§5.5.2, §5.5.3), and the
/// session goes on.
async fn ping(cx: &mut Ctx) -> CaseResult {
    let mut ws = open_raw(cx).await?;
    send(&mut ws, RawFrame::new(opcode::PING, "abc")).await?;
    expect_frame(
        cx,
        &mut ws,
        "pong with the ping's payload",
        frame(opcode::PONG, b"abc"),
    )
    .await?;
    send(&mut ws, RawFrame::text("4after")).await?;
    expect_frame(
        cx,
        &mut ws,
        "echo after the ping",
        frame(opcode::TEXT, b"4after"),
    )
    .await
}

/// A ping at the 125-byte limit of control frames is valid: the pong carries all 125 bytes.
async fn ping_125(cx: &mut Ctx) -> CaseResult {
    let mut ws = open_raw(cx).await?;
    let payload: Vec<u8> = (0..125u8).collect();
    send(&mut ws, RawFrame::new(opcode::PING, payload.clone())).await?;
    expect_frame(
        cx,
        &mut ws,
        "pong with the 125 bytes",
        frame(opcode::PONG, &payload),
    )
    .await
}

async fn send(ws: &mut RawWs, f: RawFrame) -> CaseResult {
    let what = f.describe();
    ws.send(&[f]).await.map_err(|e| {
        Failure::assertion(
            format!("send {what}"),
            "the connection to take the bytes",
            e,
        )
    })
}

/// The cases, all on the echo server (`/engine.io/`).
pub fn cases() -> Vec<Case> {
    let c = |id, title, body, section| {
        Case::new(id, title, body)
            .spec(RFC, section)
            .tags(&["websocket", "frames"])
    };
    let bad = |id, title, body, section| c(id, title, body, section).tags(&["malformed"]);
    use crate::body;
    vec![
        bad(
            "eio.websocket.frames.unmasked",
            "an unmasked client frame fails the connection (Node: close 1002)",
            body!(unmasked),
            "5.1",
        ),
        bad(
            "eio.websocket.frames.reserved-opcode",
            "a reserved data opcode (0x3) fails the connection (Node: close 1002)",
            body!(reserved_opcode),
            "5.2",
        ),
        bad(
            "eio.websocket.frames.reserved-control-opcode",
            "a reserved control opcode (0xB) fails the connection (Node: close 1002)",
            body!(reserved_control_opcode),
            "5.2",
        ),
        bad(
            "eio.websocket.frames.rsv1",
            "RSV1 without a negotiated extension fails the connection (Node: close 1002)",
            body!(rsv1),
            "5.2",
        ),
        bad(
            "eio.websocket.frames.rsv2-rsv3",
            "RSV2/RSV3 without a negotiated extension fail the connection (Node: close 1002)",
            body!(rsv2_rsv3),
            "5.2",
        ),
        bad(
            "eio.websocket.frames.invalid-utf8",
            "a text frame that is not UTF-8 fails the connection (Node: close 1007)",
            body!(invalid_utf8),
            "8.1",
        ),
        bad(
            "eio.websocket.frames.control-too-long",
            "a control frame over 125 bytes fails the connection (Node: close 1002)",
            body!(control_too_long),
            "5.5",
        ),
        bad(
            "eio.websocket.frames.fragmented-control",
            "a fragmented control frame fails the connection (Node: close 1002)",
            body!(fragmented_control),
            "5.5",
        ),
        bad(
            "eio.websocket.frames.continuation-without-start",
            "a continuation frame with no message started fails the connection (Node: close 1002)",
            body!(continuation_without_start),
            "5.4",
        ),
        bad(
            "eio.websocket.frames.new-message-inside-fragmented",
            "a new data frame inside a fragmented message fails the connection (Node: close 1002)",
            body!(new_message_inside_fragmented),
            "5.4",
        ),
        bad(
            "eio.websocket.frames.close-code-999",
            "a close frame with code 999 fails the connection (Node: close 1002)",
            body!(close_code_999),
            "7.4.2",
        ),
        bad(
            "eio.websocket.frames.close-code-1004",
            "a close frame with the reserved code 1004 fails the connection (Node: close 1002)",
            body!(close_code_1004),
            "7.4.1",
        ),
        bad(
            "eio.websocket.frames.close-code-1005",
            "a close frame with code 1005 fails the connection (Node: close 1002)",
            body!(close_code_1005),
            "7.4.1",
        ),
        bad(
            "eio.websocket.frames.close-code-1006",
            "a close frame with code 1006 fails the connection (Node: close 1002)",
            body!(close_code_1006),
            "7.4.1",
        ),
        bad(
            "eio.websocket.frames.close-code-5000",
            "a close frame with code 5000 fails the connection (Node: close 1002)",
            body!(close_code_5000),
            "7.4.2",
        ),
        bad(
            "eio.websocket.frames.close-one-byte",
            "a close frame with a 1-byte payload fails the connection (Node: close 1002)",
            body!(close_one_byte),
            "5.5.1",
        ),
        bad(
            "eio.websocket.frames.close-reason-invalid-utf8",
            "a close reason that is not UTF-8 fails the connection (Node: close 1007)",
            body!(close_reason_invalid_utf8),
            "5.5.1",
        ),
        c(
            "eio.websocket.frames.fragmented-text",
            "a text message in three fragments is reassembled and processed",
            body!(fragmented_text),
            "5.4",
        ),
        c(
            "eio.websocket.frames.fragmented-binary",
            "a binary message in two fragments is reassembled and processed",
            body!(fragmented_binary),
            "5.4",
        ),
        c(
            "eio.websocket.frames.ping-between-fragments",
            "a ping between fragments is answered at once; the message is then processed",
            body!(ping_between_fragments),
            "5.4",
        ),
        c(
            "eio.websocket.frames.utf8-split-across-fragments",
            "a UTF-8 character split between fragments is valid",
            body!(utf8_split_across_fragments),
            "8.1",
        ),
        c(
            "eio.websocket.frames.ping",
            "a client ping is answered with a pong carrying the same payload",
            body!(ping),
            "5.5.2",
        ),
        c(
            "eio.websocket.frames.ping-125",
            "a ping at the 125-byte limit is answered with all 125 bytes",
            body!(ping_125),
            "5.5",
        ),
    ]
}
