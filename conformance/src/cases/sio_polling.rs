//! Socket.IO over HTTP long-polling: connecting, batched events and acks, binary attachments as
//! base64 records, batched namespace refusals, and how a protocol error ends the session.

use super::support::*;
use crate::case::{Case, NOTES};
use crate::config::{Capability, Server};
use crate::context::{Ctx, expect_status};
use crate::failure::{CaseResult, Failure, visible};

async fn connected(cx: &mut Ctx) -> Result<String, Failure> {
    let sid = open_polling(cx).await?;
    join_if_socketio_polling(cx, &sid).await?;
    Ok(sid)
}

async fn connect(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    let r = cx.post(&q(&sid), "40").await?;
    expect_status("POST 40", &r, 200)?;
    expect_records(
        cx,
        &sid,
        "CONNECT reply and auth event",
        &[p(r#"40{"sid":"<sid>"}"#), t(r#"42["auth",{}]"#)],
    )
    .await?;
    Ok(())
}

async fn event_ack_batch(cx: &mut Ctx) -> CaseResult {
    let sid = connected(cx).await?;
    let r = cx
        .post(
            &q(&sid),
            "421[\"message-with-ack\",1]\u{1e}42[\"message\",\"x\"]",
        )
        .await?;
    expect_status("POST event + acked event", &r, 200)?;
    expect_replies_any_order(
        cx,
        &sid,
        "ACK and message-back",
        &[t("431[1]"), t(r#"42["message-back","x"]"#)],
    )
    .await
}

async fn binary(cx: &mut Ctx) -> CaseResult {
    let sid = connected(cx).await?;
    let r = cx
        .post(
            &q(&sid),
            "451-[\"message\",{\"_placeholder\":true,\"num\":0}]\u{1e}bAQID",
        )
        .await?;
    expect_status("POST BINARY_EVENT + base64 attachment", &r, 200)?;
    expect_records(
        cx,
        &sid,
        "BINARY_EVENT header and base64 attachment",
        &[
            t(r#"451-["message-back",{"_placeholder":true,"num":0}]"#),
            t("bAQID"),
        ],
    )
    .await?;
    Ok(())
}

async fn refusals_batched(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    let r = cx
        .post(&q(&sid), "40/admin,\u{1e}40/plain,\u{1e}40/nope,")
        .await?;
    expect_status("POST three CONNECTs", &r, 200)?;
    let mut got: Vec<String> = Vec::new();
    while got.len() < 3 {
        let (_, records) = poll(cx, &sid).await?;
        got.extend(records);
    }
    // The reply order follows middleware completion (Node: the unknown namespace first); the
    // case checks the set of replies.
    let mut want = vec![
        r#"44/admin,{"message":"Not authorized","data":{"reason":"no token"}}"#.to_string(),
        r#"44/plain,{"message":"nope"}"#.to_string(),
        r#"44/nope,{"message":"Invalid namespace"}"#.to_string(),
    ];
    let mut sorted = got.clone();
    sorted.sort();
    want.sort();
    if sorted != want {
        return Err(Failure::assertion(
            "the three refusals (any order)",
            want.iter()
                .map(|w| format!("record {w}"))
                .collect::<Vec<_>>(),
            got.iter()
                .map(|g| format!("record {}", visible(g)))
                .collect::<Vec<_>>(),
        ));
    }
    Ok(())
}

/// After a protocol error the session ends: MUST a GET that carries the close `1` or a 400;
/// SHOULD exactly `6␞1` (noop + close), as Node writes it.
async fn expect_closed_polling(cx: &mut Ctx, sid: &str, step: &str) -> CaseResult {
    let r = cx.get(&q(sid)).await?;
    let body = r.text();
    cx.observe_close(format!("polling GET → {} {}", r.status, visible(&body)));
    let closes = (r.status == 200 && body.split(RS).any(|rec| rec == "1")) || r.status == 400;
    if !closes {
        return Err(Failure::assertion(
            step,
            "a payload with close `1`, or status 400",
            format!("status {} body {}", r.status, visible(&body)),
        ));
    }
    if !(r.status == 200 && body == "6\u{1e}1") {
        cx.soft(Err(Failure::assertion(
            step,
            "status 200 body 6␞1",
            format!("status {} body {}", r.status, visible(&body)),
        )));
    }
    Ok(())
}

async fn invalid_after_connect(cx: &mut Ctx) -> CaseResult {
    let sid = connected(cx).await?;
    let r = cx.post(&q(&sid), "4abc").await?;
    expect_status("POST 4abc", &r, 200)?;
    expect_closed_polling(cx, &sid, "GET after the invalid packet").await
}

async fn event_before_connect(cx: &mut Ctx) -> CaseResult {
    let sid = open_polling(cx).await?;
    let r = cx.post(&q(&sid), r#"42["x"]"#).await?;
    expect_status("POST EVENT before CONNECT", &r, 200)?;
    expect_closed_polling(cx, &sid, "GET after the EVENT").await
}

/// The polling cases.
pub fn cases() -> Vec<Case> {
    let case = |id, title, body, section: &'static str| {
        Case::new(id, title, body)
            .spec(NOTES, section)
            .server(Server::SioMain)
            .tags(&["polling"])
    };
    vec![
        case(
            "sio.polling.connect",
            "POST `40` is answered ok; the next GETs carry `40{\"sid\":…}` and the auth event",
            crate::body!(connect),
            "§4 #10",
        )
        .tags(&["connect"])
        .requires(Capability::SioHandlers),
        case(
            "sio.polling.event-ack-batch",
            "An acked event and an event in one payload are answered `431[1]` and message-back",
            crate::body!(event_ack_batch),
            "§4 #11",
        )
        .tags(&["event", "ack", "payload"])
        .requires(Capability::SioHandlers),
        case(
            "sio.polling.binary",
            "A BINARY_EVENT with a base64 attachment record is echoed as header + base64 record",
            crate::body!(binary),
            "§4 #13",
        )
        .tags(&["event", "binary"])
        .requires(Capability::SioHandlers),
        case(
            "sio.polling.namespace-refusals-batched",
            "Three CONNECTs in one payload get three refusals (/admin with data, /plain, unknown /nope)",
            crate::body!(refusals_batched),
            "§4 #12",
        )
        .requires(Capability::ContractExtensions)
        .tags(&["connect", "errors", "contract"]),
        case(
            "sio.polling.invalid-packet-after-connect",
            "An invalid Socket.IO packet over polling ends the session (Node: the next GET is `6␞1`)",
            crate::body!(invalid_after_connect),
            "§4 #28; §1.5",
        )
        .tags(&["errors"]),
        case(
            "sio.polling.event-before-connect",
            "An EVENT before any CONNECT ends the session (Node: the next GET is `6␞1`)",
            crate::body!(event_before_connect),
            "§4 #29; §2.4",
        )
        .should()
        .tags(&["errors"]),
    ]
}
