//! Acknowledgements the other way: the server emits with an ack id (the contract's
//! `emit-with-ack`) and the client answers with ACK or BINARY_ACK, or does not answer at all.
//!
//! Each case uses a namespace of its own, so the server's per-namespace ack-id counter starts
//! at 0 and the ids are literal. Transcripts: fixtures/transcripts/sio.server-ack.*.

use super::support::*;
use crate::case::{CONTRACT, Case, SIO_SPEC};
use crate::config::{Capability, Server};
use crate::context::{Ctx, Ws};
use crate::expect::Want;
use crate::failure::CaseResult;

/// The contract's `emit-with-ack`: the control event `request` makes the server emit with an
/// ack id. Its EVENT must be `event`, and then comes the control event's own ack `control_ack`
/// (the server queues its emit first).
async fn server_asks(
    ws: &mut Ws,
    request: &str,
    step: &str,
    event: &str,
    control_ack: &str,
) -> CaseResult {
    ws.send(request).await?;
    ws.expect(step, t(event)).await?;
    ws.expect("control ack", t(control_ack)).await?;
    Ok(())
}

async fn answered(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, _) = ws_in(cx, &nsp).await?;
    let (mut b, _) = ws_in(cx, &nsp).await?;
    // The acks come several round trips after their emits: a timeout of one step each way
    // (not the contract's 500 ms default) keeps a server far away from timing them out.
    let timeout = cx.step().as_millis();
    // The server's EVENT with ack id 0 is queued before the control event's ack.
    server_asks(
        &mut a,
        &format!(r#"42{n}1["emit-with-ack",{{"event":"ask","args":[1],"timeout":{timeout}}}]"#),
        "server EVENT with ack id 0",
        &format!(r#"42{n}0["ask",1]"#),
        &format!("43{n}1[]"),
    )
    .await?;
    server_asks(
        &mut a,
        &format!(r#"42{n}2["emit-with-ack",{{"event":"ask","args":[2,{{"x":"y"}}],"timeout":{timeout}}}]"#),
        "server EVENT with ack id 1",
        &format!(r#"42{n}1["ask",2,{{"x":"y"}}]"#),
        &format!("43{n}2[]"),
    )
    .await?;
    // The counter is the namespace's, shared by its sockets: b gets id 2.
    server_asks(
        &mut b,
        &format!(r#"42{n}1["emit-with-ack",{{"event":"ask","timeout":{timeout}}}]"#),
        "server EVENT with ack id 2 (one counter per namespace)",
        &format!(r#"42{n}2["ask"]"#),
        &format!("43{n}1[]"),
    )
    .await?;
    // Answers in any order; each is reported when it arrives.
    a.send(&format!(r#"43{n}1["second",true]"#)).await?;
    a.expect(
        "the ack's args reach the server",
        t(&format!(
            r#"42{n}["emit-with-ack-result",{{"args":["second",true]}}]"#
        )),
    )
    .await?;
    a.send(&format!("43{n}0[]")).await?;
    a.expect(
        "an empty ack",
        t(&format!(r#"42{n}["emit-with-ack-result",{{"args":[]}}]"#)),
    )
    .await?;
    b.send(&format!(r#"43{n}2["b"]"#)).await?;
    b.expect(
        "b's ack",
        t(&format!(
            r#"42{n}["emit-with-ack-result",{{"args":["b"]}}]"#
        )),
    )
    .await?;
    marker(&mut a, &nsp, "a").await?;
    marker(&mut b, &nsp, "b").await
}

async fn timeout(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, _) = ws_in(cx, &nsp).await?;
    server_asks(
        &mut a,
        &format!(r#"42{n}1["emit-with-ack",{{"event":"ask","timeout":50}}]"#),
        "server EVENT with ack id 0",
        &format!(r#"42{n}0["ask"]"#),
        &format!("43{n}1[]"),
    )
    .await?;
    // Not answered: after 50 ms the callback gets the timeout error (bounded by the step).
    a.expect(
        "the timeout result",
        t(&format!(
            r#"42{n}["emit-with-ack-result",{{"error":"operation has timed out"}}]"#
        )),
    )
    .await?;
    // A late ACK has an id the server forgot: ignored, the connection stays.
    a.send(&format!(r#"43{n}0["late"]"#)).await?;
    marker(&mut a, &nsp, "still here").await
}

async fn binary(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, _) = ws_in(cx, &nsp).await?;
    server_asks(
        &mut a,
        &format!(r#"42{n}1["emit-with-ack",{{"event":"ask"}}]"#),
        "server EVENT with ack id 0",
        &format!(r#"42{n}0["ask"]"#),
        &format!("43{n}1[]"),
    )
    .await?;
    a.send(&format!(r#"461-{n}0[{{"_placeholder":true,"num":0}}]"#))
        .await?;
    a.send_binary(&[1, 2]).await?;
    a.expect(
        "the buffer comes back inside the result, as a binary event",
        t(&format!(
            r#"451-{n}["emit-with-ack-result",{{"args":[{{"_placeholder":true,"num":0}}]}}]"#
        )),
    )
    .await?;
    a.expect("attachment", Want::binary(&[1, 2])).await?;
    marker(&mut a, &nsp, "a").await
}

/// A server emit with an ack id whose arguments carry binary is a BINARY_EVENT
/// `5<n>-<nsp>,<id>[…]`, whatever the ack id: BINARY_ACK (`6…`) is only the answer to an ack
/// the other side asked for (socket.io-protocol v5, "Packet types": the binary variants of EVENT
/// and ACK). MUST: a client decodes a `6…` as the answer to one of its own acks, so the event is
/// lost and, if the id matches one of the client's pending acks, that callback gets the wrong
/// answer. The control event is sent as a BINARY_EVENT itself, so the server's arguments carry
/// the client's buffer (CONTRACT §4: binary values are allowed wherever args are echoed).
async fn binary_emit_with_ack(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, _) = ws_in(cx, &nsp).await?;
    let timeout = cx.step().as_millis();
    a.send(&format!(
        r#"451-{n}1["emit-with-ack",{{"event":"ask","args":["s",{{"k":{{"_placeholder":true,"num":0}}}}],"timeout":{timeout}}}]"#
    ))
    .await?;
    a.send_binary(&[9, 8]).await?;
    a.expect(
        "server BINARY_EVENT with ack id 0 (type 5, not BINARY_ACK 6)",
        t(&format!(
            r#"451-{n}0["ask","s",{{"k":{{"_placeholder":true,"num":0}}}}]"#
        )),
    )
    .await?;
    a.expect("attachment", Want::binary(&[9, 8])).await?;
    a.expect("control ack", t(&format!("43{n}1[]"))).await?;
    // Answering id 0 reaches the server's callback: the id was the server's own ack request.
    a.send(&format!(r#"43{n}0["got it"]"#)).await?;
    a.expect(
        "the answer reaches the server's callback",
        t(&format!(
            r#"42{n}["emit-with-ack-result",{{"args":["got it"]}}]"#
        )),
    )
    .await?;
    marker(&mut a, &nsp, "a").await
}

/// An ack id is used once: a second ACK with the same id must not run the server's callback
/// again. MUST: an acknowledgement answers one packet, and a callback that runs twice turns
/// one client reply into two application actions (socket.io deletes the id when the callback
/// runs, so the duplicate is ignored like any unknown id). The contract's `emit-with-ack`
/// reports every run of its callback with an `emit-with-ack-result`, so a second run shows.
async fn duplicate_client_ack(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, _) = ws_in(cx, &nsp).await?;
    // Long enough that the timeout cannot be what answers; Node clears it at the first ACK.
    let timeout = cx.step().as_millis() * 4;
    server_asks(
        &mut a,
        &format!(r#"42{n}1["emit-with-ack",{{"event":"ask","timeout":{timeout}}}]"#),
        "server EVENT with ack id 0",
        &format!(r#"42{n}0["ask"]"#),
        &format!("43{n}1[]"),
    )
    .await?;
    a.send(&format!(r#"43{n}0["first"]"#)).await?;
    a.send(&format!(r#"43{n}0["second"]"#)).await?;
    a.expect(
        "the first ACK runs the callback",
        t(&format!(
            r#"42{n}["emit-with-ack-result",{{"args":["first"]}}]"#
        )),
    )
    .await?;
    marker(&mut a, &nsp, "once").await.map_err(|f| {
        f.note("an `emit-with-ack-result` before the marker's echo means the duplicate ACK ran the callback again")
    })
}

/// The server-ack cases.
pub fn cases() -> Vec<Case> {
    let case = |id, title, body| {
        Case::new(id, title, body)
            .spec(
                SIO_SPEC,
                "Acknowledgement (server to client); CONTRACT §4 emit-with-ack",
            )
            .server(Server::SioMain)
            .requires(Capability::ContractExtensions)
            .tags(&["websocket", "ack", "contract"])
    };
    let mut cases: Vec<Case> = vec![
        case("sio.server-ack.answered", "A server EVENT with an ack id (one counter per namespace, from 0) is answered by the client's ACK", crate::body!(answered)),
        case("sio.server-ack.timeout", "An unanswered server ack times out with the error result; a late ACK is ignored", crate::body!(timeout)).tags(&["timeout"]),
        case("sio.server-ack.binary", "The client answers a server EVENT with a BINARY_ACK; the buffer reaches the server", crate::body!(binary)).tags(&["binary"]),
    ]
    .into_iter()
    .map(|c| c.spec(CONTRACT, "§4 control events (emit-with-ack)"))
    .collect();
    // Rules of the protocol itself, driven through the contract's emit-with-ack.
    cases.extend([
        case("sio.server-ack.binary-emit-with-ack", "A server emit with an ack id and binary arguments is a BINARY_EVENT `5<n>-<nsp>,<id>[…]`, not a BINARY_ACK", crate::body!(binary_emit_with_ack))
            .spec(SIO_SPEC, "Packet types (BINARY_EVENT, BINARY_ACK); Acknowledgement")
            .tags(&["binary"]),
        case("sio.server-ack.duplicate-client-ack", "A second client ACK with an ack id already answered does not run the server's callback again", crate::body!(duplicate_client_ack))
            .spec(SIO_SPEC, "Acknowledgement (an ack id answers one packet)"),
    ]);
    cases
}
