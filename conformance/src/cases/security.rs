//! The published advisories of engine.io, socket.io and socket.io-parser, one case per crafted
//! input, each failing a server that is open to it. Most of them were "a crafted input kills
//! the Node process"; from the wire that is seen as: after the input, the server no longer
//! answers a fresh handshake, and a session opened before (a bystander, which did nothing
//! wrong) stops answering. Those two checks are the catalogue rule
//! [`crate::catalogue::SERVER_SURVIVES`] (MUST); the crafted input itself must be refused (not
//! handled as if it were valid: MUST), and the way Node refuses it (closing the connection,
//! a close code) is a SHOULD, recorded as a soft deviation.
//!
//! | advisory | package | crafted input | case |
//! |---|---|---|---|
//! | CVE-2020-36048 | engine.io | a POST body over maxHttpBufferSize | `eio.limits.polling.payload-too-large`, `eio.limits.websocket.frame-too-large` (rule `eio.limits.max-payload-enforced`) |
//! | CVE-2020-36049 | socket.io-parser | a binary header whose attachment count is a run of digits with no `-` | `security.sio.attachment-count-digits` |
//! | CVE-2022-21676 | engine.io | a WebSocket frame with reserved bits set | `security.eio.websocket-reserved-bits` |
//! | CVE-2022-2421 | socket.io-parser | a placeholder whose `num` is not a number (`"splice"`) / not an index | `security.sio.placeholder-num-not-a-number`, `security.sio.placeholder-num-out-of-range` |
//! | CVE-2022-41940 | engine.io | an `Upgrade: h2c` request whose connection is reset | `security.eio.upgrade-reset` |
//! | CVE-2023-31125 | engine.io | `transport=__proto__` (and other prototype property names) | `security.eio.transport-prototype-names` |
//! | CVE-2023-32695 | socket.io-parser | an EVENT whose name is an object (`2[{"toString":"x"}]`) | `security.sio.event-name-object` |
//! | CVE-2024-38355 | socket.io | an EVENT named `error` | `security.sio.error-event` |
//! | CVE-2026-33151 | socket.io-parser | a binary header announcing a million attachments | `security.sio.attachment-count-unbounded` |
//!
//! Every case runs on `/socket.io/` with nothing beyond a Socket.IO server (protocol tier):
//! with the suite handlers a case also sees whether a crafted event was handled
//! (`message-back`), without them only whether the connection and the server survive.

use super::support::*;
use crate::case::{Case, EIO_SPEC, NOTES, SIO_SPEC};
use crate::catalogue::SERVER_SURVIVES;
use crate::config::Server;
use crate::context::{Ctx, Ws};
use crate::driver::WsEvent;
use crate::driver::frames::{RawFrame, opcode};
use crate::driver::ws::Next;
use crate::failure::{CaseResult, Failure, visible};
use tokio::io::AsyncWriteExt;

/// A session joined to `/` before the crafted input; it does nothing wrong.
async fn bystander(cx: &mut Ctx) -> Result<Ws, Failure> {
    sio_ws(cx).await
}

/// After the crafted input: the bystander still answers, and a fresh session opens and joins
/// `/` (rule [`SERVER_SURVIVES`]).
async fn survives(cx: &mut Ctx, bystander: &mut Ws) -> CaseResult {
    let why =
        "the server must outlive the crafted input (a process killed by it drops every session)";
    still_connected(bystander, "bystander")
        .await
        .map_err(|f| f.rule(SERVER_SURVIVES).note(why))?;
    let (mut fresh, _) = open_ws(cx)
        .await
        .map_err(|f| f.rule(SERVER_SURVIVES).note(why))?;
    sio_init(&mut fresh)
        .await
        .map_err(|f| f.rule(SERVER_SURVIVES).note(why))?;
    Ok(())
}

/// One frame of a crafted Socket.IO packet.
enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// Sends a crafted Socket.IO packet on a session of its own and judges the answer: the
/// connection closes (Node: a packet that does not decode closes it), or, kept open, the
/// packet was dropped (SHOULD: Node closes); anything the packet made the server send is a
/// MUST failure, as is a connection that is then unusable (the server went on reading it, e.g.
/// waiting for attachments). Then the server must survive.
async fn refused(cx: &mut Ctx, what: &str, frames: Vec<Frame>) -> CaseResult {
    let mut by = bystander(cx).await?;
    let mut ws = sio_ws(cx).await?;
    for f in &frames {
        match f {
            Frame::Text(t) => ws.send(t).await?,
            Frame::Binary(b) => ws.send_binary(b).await?,
        }
    }
    let step = format!("after {what}");
    let bound = cx.step();
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match ws.next_within(left).await {
            Next::Event(WsEvent::Close { code, .. }) => {
                cx.observe_close(format!("websocket close {code}"));
                break;
            }
            Next::Ended => {
                cx.observe_close("websocket ended");
                break;
            }
            // An Engine.IO close packet before the close frame: the server saying it closes.
            Next::Event(WsEvent::Text(t)) if t == "1" => continue,
            Next::Timeout => {
                still_connected(&mut ws, "after").await.map_err(|f| {
                    f.note(format!(
                        "the connection was neither closed nor usable after {what}: the server \
                         went on reading the crafted packet instead of refusing it"
                    ))
                })?;
                cx.soft(Err(Failure::assertion(
                    step.clone(),
                    "the connection closes (Node: a packet that does not decode closes it)",
                    "the connection stays open (the packet was dropped)",
                )));
                break;
            }
            Next::Event(other) => {
                return Err(Failure::assertion(
                    step,
                    "the packet refused (Node: the connection closes)",
                    format!(
                        "{} (the crafted packet was handled)",
                        visible(&other.describe())
                    ),
                ));
            }
        }
    }
    survives(cx, &mut by).await
}

/// CVE-2022-2421: `num` is used to index the attachments; `"splice"` gave the unpatched parser
/// a function where a buffer was expected.
async fn placeholder_not_a_number(cx: &mut Ctx) -> CaseResult {
    refused(
        cx,
        "a placeholder whose num is \"splice\"",
        vec![
            Frame::Text(r#"451-["message",{"_placeholder":true,"num":"splice"}]"#.into()),
            Frame::Binary(vec![1]),
        ],
    )
    .await
}

/// CVE-2022-2421, the other half of the check: a number that is not an index of the
/// attachments received (the unpatched parser gave `undefined`).
async fn placeholder_out_of_range(cx: &mut Ctx) -> CaseResult {
    refused(
        cx,
        "a placeholder whose num is 5 with one attachment",
        vec![
            Frame::Text(r#"451-["message",{"_placeholder":true,"num":5}]"#.into()),
            Frame::Binary(vec![1]),
        ],
    )
    .await
}

/// CVE-2023-32695: an event name that is an object made the unpatched server throw when it
/// turned the name into a string.
async fn event_name_object(cx: &mut Ctx) -> CaseResult {
    refused(
        cx,
        "an EVENT whose name is an object",
        vec![Frame::Text(r#"42[{"toString":"message"}]"#.into())],
    )
    .await
}

/// CVE-2026-33151: the count a binary header announces is what the server waits for; a
/// million is far over any limit a server should keep (Node's maxAttachments is 10).
async fn attachment_count_unbounded(cx: &mut Ctx) -> CaseResult {
    refused(
        cx,
        "a BINARY_EVENT header announcing 1000000 attachments",
        vec![Frame::Text(r#"451000000-["message"]"#.into())],
    )
    .await
}

/// CVE-2020-36049: the attachment count read digit by digit; a long run with no `-` cost the
/// unpatched parser memory per digit. 100 000 digits, well under maxPayload.
async fn attachment_count_digits(cx: &mut Ctx) -> CaseResult {
    let digits = "2".repeat(100_000);
    refused(
        cx,
        "a BINARY_EVENT header of 100000 digits and no `-`",
        vec![Frame::Text(format!("45{digits}"))],
    )
    .await
}

/// CVE-2024-38355: a client event named `error` was emitted on the server socket's own event
/// emitter, where an `error` nobody listens to throws. `error` is not a reserved name for the
/// decoder, so the event is an ordinary one: MUST, the session stays (observed Node behaviour:
/// nothing is answered and the connection goes on).
async fn error_event(cx: &mut Ctx) -> CaseResult {
    let mut by = bystander(cx).await?;
    let mut ws = sio_ws(cx).await?;
    ws.send(r#"42["error"]"#).await?;
    ws.send(r#"42["error",{"message":"crafted"}]"#).await?;
    ws.send(r#"421["error"]"#).await?;
    still_connected(&mut ws, "after-error").await.map_err(|f| {
        f.note("an event named `error` is an ordinary event (not reserved): the session stays")
    })?;
    survives(cx, &mut by).await
}

/// CVE-2022-21676: a frame with RSV2/RSV3 set made the WebSocket library emit an error the
/// unpatched engine did not listen to. RFC 6455 §5.2: the connection MUST be failed (Node:
/// close 1002), judged as `eio.websocket.frames.rsv2-rsv3` judges it on the echo server (one
/// function: the close frame, its code and the close handshake are SHOULDs). The frame carries a
/// CONNECT, so a server that took it would answer it.
async fn websocket_reserved_bits(cx: &mut Ctx) -> CaseResult {
    let mut by = bystander(cx).await?;
    let mut raw = cx.raw_ws(WEBSOCKET).await?;
    raw.send(&[RawFrame::text("40").with_rsv(0b011)])
        .await
        .map_err(|e| Failure::assertion("send the frame", "the connection to take it", e))?;
    super::eio_ws_frames::expect_connection_failed(
        cx,
        &mut raw,
        "a frame with RSV2 and RSV3 set",
        super::eio_ws_frames::PROTOCOL_ERROR,
        // The open packet, written before the frame was read.
        |f| f.opcode == opcode::TEXT && f.payload.starts_with(b"0{"),
    )
    .await?;
    raw.drop_connection().await;
    survives(cx, &mut by).await
}

/// An `Upgrade: h2c` request (an HTTP/2 upgrade, not a WebSocket one) to `target`, then the
/// connection reset (plain TCP: SO_LINGER 0; over TLS the connection is dropped unannounced).
async fn h2c_then_reset(cx: &Ctx, target: &str) -> CaseResult {
    let endpoint = cx.endpoint();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade, HTTP2-Settings\r\n\
         Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
        endpoint.host_header()
    );
    let step = format!("an Upgrade: h2c request to {target}, then a reset");
    if endpoint.tls.is_none() {
        let tcp = tokio::time::timeout(
            cx.step(),
            tokio::net::TcpStream::connect(endpoint.socket_addr()),
        )
        .await
        .map_err(|_| Failure::assertion(&*step, "a TCP connection", "(none within the step)"))?
        .map_err(|e| Failure::assertion(&*step, "a TCP connection", e.to_string()))?;
        let _ = tcp.set_zero_linger();
        let mut tcp = tcp;
        tcp.write_all(request.as_bytes())
            .await
            .map_err(|e| Failure::assertion(&*step, "the request written", e.to_string()))?;
        drop(tcp);
    } else {
        let mut stream = crate::driver::tls::connect(endpoint, cx.step())
            .await
            .map_err(|e| Failure::assertion(&*step, "a TLS connection", e))?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| Failure::assertion(&*step, "the request written", e.to_string()))?;
        drop(stream);
    }
    Ok(())
}

/// CVE-2022-41940: a reset connection whose upgrade request the engine did not take was
/// ended by the unpatched engine after its destroyUpgradeTimeout (1000 ms), and the reset's
/// error event, unlistened, killed the process. Sent to the engine's path and to a path no
/// engine serves; the case then waits past that timeout.
async fn upgrade_reset(cx: &mut Ctx) -> CaseResult {
    let mut by = bystander(cx).await?;
    h2c_then_reset(cx, &cx.url(WEBSOCKET)).await?;
    h2c_then_reset(
        cx,
        &cx.target("/conformance-no-engine/?EIO=4&transport=websocket"),
    )
    .await?;
    cx.pause(
        RESET_WAIT_MS,
        "past engine.io's destroyUpgradeTimeout (1000 ms), when an unpatched server wrote to the reset connection",
    )
    .await;
    survives(cx, &mut by).await
}

/// CVE-2023-31125: the transport name was looked up in an object, so `__proto__` found a
/// "transport" and the unpatched WebSocket path threw. Prototype property names must be unknown
/// transports like any other: refused (MUST: not a session, not an upgrade; Node: 400
/// `{"code":0,"message":"Transport unknown"}` over polling, 400 for the upgrade, which
/// eio.handshake.unknown-transport and the invalid-transport cases judge exactly).
async fn transport_prototype_names(cx: &mut Ctx) -> CaseResult {
    let mut by = bystander(cx).await?;
    for name in ["__proto__", "constructor", "toString", "hasOwnProperty"] {
        let query = format!("EIO=4&transport={name}");
        let r = cx.get(&query).await?;
        if !(400..500).contains(&r.status) {
            return Err(Failure::assertion(
                format!("polling handshake with transport={name}"),
                "refused with a 4xx (Node: 400 Transport unknown)",
                format!("status {} body {}", r.status, visible(&r.text())),
            ));
        }
        let step = format!("WebSocket upgrade with transport={name}");
        match cx.ws_attempt(&query).await? {
            crate::driver::WsConnect::Open(ws) => {
                ws.drop_connection().await;
                return Err(Failure::assertion(
                    step,
                    "refused (Node: 400 Transport unknown)",
                    "101 (the upgrade was accepted)",
                ));
            }
            crate::driver::WsConnect::Refused { .. } | crate::driver::WsConnect::Failed(_) => {}
        }
    }
    survives(cx, &mut by).await
}

/// How long the reset case waits for a server to trip over the reset connections: past
/// engine.io's default destroyUpgradeTimeout.
const RESET_WAIT_MS: u64 = 1200;

/// The security cases.
pub fn cases() -> Vec<Case> {
    // Alone: a server open to one of these inputs drops every session it holds, and the
    // failure belongs to the case that sent the input, not to the cases running beside it.
    let case = |id, title, body| {
        Case::new(id, title, body)
            .server(Server::SioMain)
            .tags(&["security", "websocket"])
            .alone()
    };
    vec![
        case(
            "security.eio.websocket-reserved-bits",
            "CVE-2022-21676: a WebSocket frame with RSV2/RSV3 set fails the connection, and the server survives",
            crate::body!(websocket_reserved_bits),
        )
        .spec(EIO_SPEC, "WebSocket transport; RFC 6455 §5.2; engine.io advisory CVE-2022-21676")
        .tags(&["malformed"]),
        case(
            "security.eio.upgrade-reset",
            "CVE-2022-41940: an `Upgrade: h2c` request whose connection is reset does not take the server down",
            crate::body!(upgrade_reset),
        )
        .spec(EIO_SPEC, "Transports; engine.io advisory CVE-2022-41940"),
        case(
            "security.eio.transport-prototype-names",
            "CVE-2023-31125: `transport=__proto__` (and other prototype property names) is an unknown transport, over polling and WebSocket",
            crate::body!(transport_prototype_names),
        )
        .spec(EIO_SPEC, "Handshake (transport); engine.io advisory CVE-2023-31125")
        .tags(&["polling"]),
        case(
            "security.sio.placeholder-num-not-a-number",
            "CVE-2022-2421: a binary placeholder whose num is not a number (`\"splice\"`) is refused",
            crate::body!(placeholder_not_a_number),
        )
        .spec(SIO_SPEC, "Packet encoding (binary placeholders); socket.io-parser advisory CVE-2022-2421")
        .tags(&["binary"]),
        case(
            "security.sio.placeholder-num-out-of-range",
            "CVE-2022-2421: a binary placeholder whose num is not an index of the attachments is refused",
            crate::body!(placeholder_out_of_range),
        )
        .spec(SIO_SPEC, "Packet encoding (binary placeholders); socket.io-parser advisory CVE-2022-2421")
        .tags(&["binary"]),
        case(
            "security.sio.event-name-object",
            "CVE-2023-32695: an EVENT whose name is an object is refused, and the server survives",
            crate::body!(event_name_object),
        )
        .spec(SIO_SPEC, "Packet format (EVENT: the name is a string); socket.io-parser advisory CVE-2023-32695"),
        case(
            "security.sio.error-event",
            "CVE-2024-38355: an EVENT named `error` is an ordinary event: the session and the server go on",
            crate::body!(error_event),
        )
        .spec(NOTES, "socket.io advisory CVE-2024-38355; `error` is not a reserved event name"),
        case(
            "security.sio.attachment-count-unbounded",
            "CVE-2026-33151: a BINARY_EVENT header announcing a million attachments is refused, not waited on",
            crate::body!(attachment_count_unbounded),
        )
        .spec(NOTES, "socket.io-parser advisory CVE-2026-33151 (maxAttachments 10, `too many attachments`)")
        .tags(&["binary"]),
        case(
            "security.sio.attachment-count-digits",
            "CVE-2020-36049: a BINARY_EVENT header whose attachment count is 100000 digits with no `-` is refused",
            crate::body!(attachment_count_digits),
        )
        .spec(NOTES, "socket.io-parser advisory CVE-2020-36049 (`Illegal attachments`)")
        .tags(&["binary"]),
    ]
}
