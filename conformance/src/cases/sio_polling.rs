//! Socket.IO over HTTP long-polling: connecting, batched events and acks, binary attachments as
//! base64 records, batched namespace refusals, and how a protocol error ends the session.

use super::support::*;
use crate::case::{Case, NOTES};
use crate::config::{Capability, Server};
use crate::context::{Ctx, expect_status};
use crate::failure::{CaseResult, Failure, visible};
use crate::long_poll::Polled;
use std::time::Instant;

async fn connected(cx: &mut Ctx) -> Result<String, Failure> {
    let sid = open_long_polling(cx).await?;
    join_if_socketio_polling(cx, &sid).await?;
    Ok(sid)
}

async fn connect(cx: &mut Ctx) -> CaseResult {
    let sid = open_long_polling(cx).await?;
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
    let sid = open_long_polling(cx).await?;
    let r = cx
        .post(&q(&sid), "40/admin,\u{1e}40/plain,\u{1e}40/nope,")
        .await?;
    expect_status("POST three CONNECTs", &r, 200)?;
    let mut got: Vec<String> = Vec::new();
    while got.len() < 3 {
        got.extend(poll(cx, &sid).await?);
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

/// After a protocol error the session ends: MUST the pending GET (the case keeps one, as a
/// client does) carries the close `1`, or the session is refused with 400; SHOULD a body of
/// exactly `1` (what Node writes to a GET pending at the close) or `6␞1` (to a GET that arrives
/// just after it). `sent` is when the case sent the offending packet.
async fn expect_closed_polling(cx: &mut Ctx, sid: &str, step: &str, sent: Instant) -> CaseResult {
    let bound = cx.long_poll_bound();
    let long_poll = cx.started_long_poll(sid, step)?;
    let (closes, seen, exact) = loop {
        match long_poll.next(step, bound).await? {
            Polled::Records(records) => {
                let body = records.join(RS);
                if records.iter().any(|r| r == "1") {
                    let exact = body == "1" || body == "6\u{1e}1";
                    break (true, format!("pending GET → 200 {}", visible(&body)), exact);
                }
                if long_poll.is_over() {
                    break (
                        false,
                        format!("pending GET → 200 {}", visible(&body)),
                        false,
                    );
                }
            }
            Polled::Refused(r) => {
                let seen = format!("GET → {} {}", r.status, visible(&r.text()));
                // The packet may have found the session between two GETs (a ping released
                // one just then): a 400 for the next GET is then all a server can answer.
                let between_gets = long_poll.pinged_since(sent);
                break (r.status == 400, seen, between_gets);
            }
            Polled::Lost(f) => return Err(f),
        }
    };
    cx.observe_close(format!("polling {seen}"));
    if !closes {
        return Err(Failure::assertion(
            step,
            "a payload with close `1`, or status 400",
            seen,
        ));
    }
    if !exact {
        cx.soft(Err(Failure::assertion(
            step,
            "pending GET → 200 1 (or 6␞1)",
            seen,
        )));
    }
    Ok(())
}

/// The long poll sends its next GET the moment it has a response; a packet POSTed right then
/// may overtake it on a server that handles requests in parallel, and the close would find no
/// GET to answer. Node and the reference server answer a GET that was pending at the close.
async fn let_the_long_poll_arrive(cx: &Ctx) {
    cx.pause(
        50,
        "let the long poll's GET be pending at the server before the packet",
    )
    .await;
}

async fn invalid_after_connect(cx: &mut Ctx) -> CaseResult {
    let sid = connected(cx).await?;
    let_the_long_poll_arrive(cx).await;
    let sent = Instant::now();
    let r = cx.post(&q(&sid), "4abc").await?;
    expect_status("POST 4abc", &r, 200)?;
    expect_closed_polling(cx, &sid, "pending GET after the invalid packet", sent).await
}

async fn event_before_connect(cx: &mut Ctx) -> CaseResult {
    let sid = open_long_polling(cx).await?;
    let_the_long_poll_arrive(cx).await;
    let sent = Instant::now();
    let r = cx.post(&q(&sid), r#"42["x"]"#).await?;
    expect_status("POST EVENT before CONNECT", &r, 200)?;
    expect_closed_polling(cx, &sid, "pending GET after the EVENT", sent).await
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
            "An invalid Socket.IO packet over polling ends the session (Node: the pending GET gets `1`)",
            crate::body!(invalid_after_connect),
            "§4 #28; §1.5",
        )
        .tags(&["errors"]),
        case(
            "sio.polling.event-before-connect",
            "An EVENT before any CONNECT ends the session (Node: the pending GET gets `1`)",
            crate::body!(event_before_connect),
            "§4 #29; §2.4",
        )
        .should()
        .tags(&["errors"]),
    ]
}
