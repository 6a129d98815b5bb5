//! Binary attachments beyond the suite: nested placeholders in acks, placeholder renumbering,
//! and the attachment protocol errors that close the connection.

use super::support::*;
use crate::case::{Case, NOTES};
use crate::config::{Capability, Server};
use crate::context::Ctx;
use crate::expect::Want;
use crate::failure::CaseResult;

async fn nested_ack(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send(r#"451-1["message-with-ack",{"a":[{"_placeholder":true,"num":0}]}]"#)
        .await?;
    ws.send_binary(&[7]).await?;
    ws.expect(
        "BINARY_ACK header",
        t(r#"461-1[{"a":[{"_placeholder":true,"num":0}]}]"#),
    )
    .await?;
    ws.expect("attachment", Want::binary(&[7])).await?;
    Ok(())
}

async fn renumbering(cx: &mut Ctx) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    ws.send(r#"452-["message",{"x":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]"#)
        .await?;
    ws.send_binary(&[1]).await?;
    ws.send_binary(&[2]).await?;
    ws.expect(
        "placeholders renumbered depth-first",
        t(r#"452-["message-back",{"x":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":1}]"#),
    )
    .await?;
    ws.expect("attachment 0 (was 1)", Want::binary(&[2]))
        .await?;
    ws.expect("attachment 1 (was 0)", Want::binary(&[1]))
        .await?;
    Ok(())
}

async fn closes_after(cx: &mut Ctx, frames: &[Result<&str, &[u8]>]) -> CaseResult {
    let mut ws = sio_ws(cx).await?;
    for f in frames {
        match f {
            Ok(text) => ws.send(text).await?,
            Err(bytes) => ws.send_binary(bytes).await?,
        }
    }
    let bound = cx.step();
    expect_ws_closed(cx, &mut ws, "close after the attachment error", bound).await
}

async fn unexpected_binary(cx: &mut Ctx) -> CaseResult {
    closes_after(cx, &[Err(&[1, 2, 3])]).await
}

async fn text_during_reconstruction(cx: &mut Ctx) -> CaseResult {
    closes_after(
        cx,
        &[
            Ok(r#"451-["message",{"_placeholder":true,"num":0}]"#),
            Ok(r#"42["message","x"]"#),
        ],
    )
    .await
}

async fn zero_attachments(cx: &mut Ctx) -> CaseResult {
    closes_after(cx, &[Ok(r#"450-["message"]"#)]).await
}

async fn too_many_attachments(cx: &mut Ctx) -> CaseResult {
    closes_after(cx, &[Ok(r#"4511-["message"]"#)]).await
}

async fn placeholder_out_of_range(cx: &mut Ctx) -> CaseResult {
    closes_after(
        cx,
        &[
            Ok(r#"451-["message",{"_placeholder":true,"num":1}]"#),
            Err(&[1]),
        ],
    )
    .await
}

/// The binary cases.
pub fn cases() -> Vec<Case> {
    let case = |id, title, body, section: &'static str, level_should: bool| {
        let c = Case::new(id, title, body)
            .spec(NOTES, section)
            .server(Server::SioMain)
            .tags(&["websocket", "binary"]);
        if level_should { c.should() } else { c }
    };
    vec![
        case(
            "sio.ack.binary-nested",
            "A binary ack with a placeholder nested in an object echoes the attachment",
            crate::body!(nested_ack),
            "§4 #15",
            false,
        )
        .requires(Capability::SioHandlers),
        case(
            "sio.binary.renumbering",
            "Placeholders are renumbered depth-first on re-emit and the attachments reordered to match",
            crate::body!(renumbering),
            "§4 #16; §2.2",
            true,
        )
        .requires(Capability::SioHandlers),
        case(
            "sio.binary.unexpected-attachment",
            "A binary frame with no pending BINARY_EVENT header closes the connection",
            crate::body!(unexpected_binary),
            "§4 #36; §2.3 rule 6",
            true,
        ),
        case(
            "sio.binary.text-during-reconstruction",
            "A text packet while attachments are awaited closes the connection",
            crate::body!(text_during_reconstruction),
            "§4 #36; §2.3 rule 6",
            true,
        ),
        case(
            "sio.binary.zero-attachments",
            "A BINARY_EVENT announcing 0 attachments (`450-…`) closes the connection (socket.io-parser 4.2.7)",
            crate::body!(zero_attachments),
            "§4 #36; §2.3 rule 2",
            true,
        ),
        case(
            "sio.binary.too-many-attachments",
            "A BINARY_EVENT announcing more than 10 attachments closes the connection",
            crate::body!(too_many_attachments),
            "§4 #36; §2.3 rule 2 (maxAttachments 10)",
            true,
        ),
        case(
            "sio.binary.placeholder-out-of-range",
            "A placeholder num outside the attachments received closes the connection",
            crate::body!(placeholder_out_of_range),
            "§4 #36; §2.3 rule 6",
            true,
        ),
    ]
}
