//! Connection state recovery (CONTRACT §5) on `/socket.io-recovery/`:
//! CONNECT replies carry `pid`; server EVENTs without an ack id carry an offset as their last
//! argument; after an engine-level drop a client that CONNECTs with `{pid, offset}` gets the
//! events it missed, in order and BEFORE the CONNECT reply, then its old sid/pid, rooms and
//! data; no recovery after `41`, a server disconnect, an unknown pid or offset, or once
//! maxDisconnectionDuration (1000 ms) has passed; middlewares are skipped on recovery.
//!
//! Sids, pids and offsets are volatile and matched with `<holes>`; a value seen earlier is
//! written back literally. The server's `/` is shared by every recovery case running at the
//! same time, so these cases never broadcast to `all` or `others` (only to rooms of their own:
//! a unique room name, a socket's private room, `self`). Transcripts: sio.recovery.*.

use super::support::*;
use crate::case::{CONTRACT, Case, NOTES};
use crate::config::{Capability, Server};
use crate::context::{Ctx, Ws, expect_status};
use crate::expect::{Captures, Want};
use crate::failure::{CaseResult, Failure};

/// A room name no other case uses.
fn unique_room() -> String {
    own_namespace().replace("/dynamic-", "room-")
}

/// The recovery state of one socket.
struct Session {
    sid: String,
    pid: String,
    /// The offset of the last event received.
    offset: String,
}

/// Joins `nsp` on a recovery session: `{sid, pid}`, then the auth event with an offset.
async fn rjoin(ws: &mut Ws, nsp: &str) -> Result<Session, Failure> {
    let n = prefix(nsp);
    ws.send(&format!("40{n}")).await?;
    let c = ws
        .expect(
            "CONNECT reply with sid and pid",
            p(&format!(r#"40{n}{{"sid":"<sid>","pid":"<pid>"}}"#)),
        )
        .await?;
    let o = ws
        .expect(
            "auth event with an offset last",
            p(&format!(r#"42{n}["auth",{{}},"<offset>"]"#)),
        )
        .await?;
    Ok(Session {
        sid: c["sid"].clone(),
        pid: c["pid"].clone(),
        offset: o["offset"].clone(),
    })
}

async fn rws_in(cx: &mut Ctx, nsp: &str) -> Result<(Ws, Session), Failure> {
    let (mut ws, _) = open_ws(cx).await?;
    let s = rjoin(&mut ws, nsp).await?;
    Ok((ws, s))
}

/// The restore payload `{"pid":…,"offset":…}`.
fn restore(pid: &str, offset: &str) -> String {
    format!(r#"{{"pid":"{pid}","offset":"{offset}"}}"#)
}

/// The get-state reply of a socket on the recovery server: one argument per field the case
/// states, so each call reads as the literal reply.
#[allow(clippy::too_many_arguments)]
fn state(
    n: &str,
    id: u32,
    s: &str,
    nsp: &str,
    auth: &str,
    data: &str,
    rooms: &[&str],
    recovered: bool,
    transport: &str,
) -> Want {
    let rooms: Vec<String> = rooms.iter().map(|r| format!("\"{r}\"")).collect();
    Want::json(
        format!("43{n}{id}"),
        &format!(
            r#"[{{"id":"{s}","nsp":"{nsp}","auth":{auth},"query":{{"EIO":"4","transport":"{transport}"}},"data":{data},"rooms":[{}],"recovered":{recovered},"eio":4,"transport":"{transport}"}}]"#,
            rooms.join(",")
        ),
    )
}

/// After a CONNECT with `auth` that must NOT recover `old`: a fresh socket (new sid and pid),
/// the auth event echoing the payload, get-state `recovered:false` with only its own room.
async fn expect_fresh(ws: &mut Ws, old: &Session, auth: &str) -> CaseResult {
    let c = ws
        .expect(
            "a fresh CONNECT reply",
            p(r#"40{"sid":"<sid>","pid":"<pid>"}"#),
        )
        .await?;
    if c["sid"] == old.sid || c["pid"] == old.pid {
        return Err(Failure::assertion(
            "no recovery",
            format!("a new sid and pid (not {} / {})", old.sid, old.pid),
            format!("sid {} pid {}", c["sid"], c["pid"]),
        ));
    }
    ws.expect(
        "auth event echoing the payload",
        p(&format!(r#"42["auth",{auth},"<*>"]"#)),
    )
    .await?;
    ws.send(r#"421["get-state"]"#).await?;
    let sid = &c["sid"];
    ws.expect(
        "get-state: not recovered",
        state("", 1, sid, "/", auth, "{}", &[sid], false, "websocket"),
    )
    .await?;
    Ok(())
}

/// CONNECT with `{pid, offset}` on a new WebSocket, after the pause a client makes; the caller
/// reads what follows.
async fn reconnect(cx: &mut Ctx, n: &str, pid: &str, offset: &str) -> Result<Ws, Failure> {
    pause_before_reconnect(cx).await;
    let (ws, _) = open_ws(cx).await?;
    ws.send(&format!("40{n}{}", restore(pid, offset))).await?;
    Ok(ws)
}

/// The CONNECT reply of a recovered socket (its old sid and pid) and the auth event.
async fn expect_recovered(ws: &mut Ws, n: &str, old: &Session, offset: &str) -> CaseResult {
    ws.expect(
        "CONNECT reply with the OLD sid and pid (after the missed events)",
        t(&format!(
            r#"40{n}{{"sid":"{}","pid":"{}"}}"#,
            old.sid, old.pid
        )),
    )
    .await?;
    ws.expect(
        "auth event (the connection handler runs again)",
        p(&format!(
            r#"42{n}["auth",{},"<*>"]"#,
            restore(&old.pid, offset)
        )),
    )
    .await?;
    Ok(())
}

/// The echo of a marker on the recovery server (it carries an offset).
async fn rmarker(ws: &mut Ws, n: &str, tag: &str) -> CaseResult {
    ws.send(&format!(r#"42{n}["message","{tag}"]"#)).await?;
    ws.expect(
        &format!("next frame is the echo of marker {tag:?} (nothing else was received)"),
        p(&format!(r#"42{n}["message-back","{tag}","<*>"]"#)),
    )
    .await?;
    Ok(())
}

async fn offsets(cx: &mut Ctx) -> CaseResult {
    let (mut ws, s) = rws_in(cx, "/").await?;
    let mut seen = vec![s.offset.clone()];
    let mut offset = |c: Captures| seen.push(c["o"].clone());
    ws.send(r#"42["message",1]"#).await?;
    offset(
        ws.expect(
            "an emit carries an offset",
            p(r#"42["message-back",1,"<o>"]"#),
        )
        .await?,
    );
    ws.send(r#"421["message-with-ack",1]"#).await?;
    ws.expect("an ACK carries no offset", t("431[1]")).await?;
    ws.send(r#"451-["message",{"_placeholder":true,"num":0}]"#)
        .await?;
    ws.send_binary(&[5]).await?;
    offset(
        ws.expect(
            "a binary emit carries the offset after the placeholder",
            p(r#"451-["message-back",{"_placeholder":true,"num":0},"<o>"]"#),
        )
        .await?,
    );
    ws.expect("attachment", Want::binary(&[5])).await?;
    ws.send(r#"422["broadcast",{"target":"self","event":"mine"}]"#)
        .await?;
    offset(
        ws.expect("a broadcast carries an offset", p(r#"42["mine","<o>"]"#))
            .await?,
    );
    ws.expect("control ack", t("432[]")).await?;
    ws.send(r#"423["broadcast",{"target":"self","event":"vol","volatile":true}]"#)
        .await?;
    ws.expect("a volatile emit carries no offset", t(r#"42["vol"]"#))
        .await?;
    ws.expect("control ack", t("433[]")).await?;
    ws.send(r#"424["emit-with-ack",{"event":"ask"}]"#).await?;
    let c = ws
        .expect(
            "an EVENT with an ack id carries no offset",
            p(r#"42<id>["ask"]"#),
        )
        .await?;
    let id = c["id"].clone();
    if !id.chars().all(|ch| ch.is_ascii_digit()) {
        return Err(Failure::assertion("server ack id", "digits", id));
    }
    ws.expect("control ack", t("434[]")).await?;
    ws.send(&format!(r#"43{id}["yes"]"#)).await?;
    offset(
        ws.expect(
            "the result carries an offset",
            p(r#"42["emit-with-ack-result",{"args":["yes"]},"<o>"]"#),
        )
        .await?,
    );
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != seen.len() {
        return Err(Failure::assertion(
            "offsets",
            "every offset distinct",
            seen.join(", "),
        ));
    }
    Ok(())
}

/// Drop `a` (in a room of its own), let `b` emit to that room and to a's private room, then
/// restore `a` on a new connection.
async fn missed_events(cx: &mut Ctx) -> CaseResult {
    let room = unique_room();
    let (mut a, sa) = rws_in(cx, "/").await?;
    a.send(&format!(r#"421["join","{room}"]"#)).await?;
    a.expect("join ack", t(&format!(r#"431[["{}","{room}"]]"#, sa.sid)))
        .await?;
    let (mut b, _) = rws_in(cx, "/").await?;
    a.drop_connection().await;
    b.send(&format!(
        r#"421["broadcast",{{"target":"rooms","rooms":["{room}"],"event":"to-room","args":["x"]}}]"#
    ))
    .await?;
    b.expect("broadcast ack", t("431[]")).await?;
    b.send(&format!(
        r#"422["broadcast",{{"target":"rooms","rooms":["{}"],"event":"direct","args":[1]}}]"#,
        sa.sid
    ))
    .await?;
    b.expect("broadcast ack", t("432[]")).await?;
    let mut c = reconnect(cx, "", &sa.pid, &sa.offset).await?;
    c.expect(
        "missed event 1 (with its offset), BEFORE the CONNECT reply",
        p(r#"42["to-room","x","<*>"]"#),
    )
    .await?;
    c.expect(
        "missed event 2, in emission order",
        p(r#"42["direct",1,"<*>"]"#),
    )
    .await?;
    expect_recovered(&mut c, "", &sa, &sa.offset).await?;
    c.send(r#"422["get-state"]"#).await?;
    c.expect(
        "get-state: recovered, rooms restored",
        state(
            "",
            2,
            &sa.sid,
            "/",
            &restore(&sa.pid, &sa.offset),
            "{}",
            &[&sa.sid, &room],
            true,
            "websocket",
        ),
    )
    .await?;
    rmarker(&mut c, "", "c").await?;
    rmarker(&mut b, "", "b").await
}

async fn polling_close(cx: &mut Ctx) -> CaseResult {
    let room = unique_room();
    let sid = open_long_polling(cx).await?;
    let r = cx.post(&q(&sid), "40").await?;
    expect_status("POST 40", &r, 200)?;
    let caps = expect_records(
        cx,
        &sid,
        "CONNECT reply with sid and pid, auth event with an offset",
        &[
            p(r#"40{"sid":"<sid>","pid":"<pid>"}"#),
            p(r#"42["auth",{},"<offset>"]"#),
        ],
    )
    .await?;
    let sa = Session {
        sid: caps[0]["sid"].clone(),
        pid: caps[0]["pid"].clone(),
        offset: caps[1]["offset"].clone(),
    };
    let r = cx
        .post(&q(&sid), &format!(r#"421["join","{room}"]"#))
        .await?;
    expect_status("POST join", &r, 200)?;
    expect_records(
        cx,
        &sid,
        "join ack",
        &[t(&format!(r#"431[["{}","{room}"]]"#, sa.sid))],
    )
    .await?;
    // An engine close over polling is a transport close: recoverable.
    let r = cx.post(&q(&sid), "1").await?;
    expect_status("POST 1 (engine close)", &r, 200)?;
    let (mut b, _) = rws_in(cx, "/").await?;
    b.send(&format!(
        r#"421["broadcast",{{"target":"rooms","rooms":["{room}"],"event":"to-room"}}]"#
    ))
    .await?;
    b.expect("broadcast ack", t("431[]")).await?;
    b.send(&format!(
        r#"422["broadcast",{{"target":"rooms","rooms":["{}"],"event":"direct","args":[1]}}]"#,
        sa.sid
    ))
    .await?;
    b.expect("broadcast ack", t("432[]")).await?;
    let sid2 = open_long_polling(cx).await?;
    let auth = restore(&sa.pid, &sa.offset);
    let r = cx.post(&q(&sid2), &format!("40{auth}")).await?;
    expect_status("POST 40 {pid, offset}", &r, 200)?;
    expect_records(
        cx,
        &sid2,
        "missed events in order, then the CONNECT reply with the old sid and pid, then auth",
        &[
            p(r#"42["to-room","<*>"]"#),
            p(r#"42["direct",1,"<*>"]"#),
            t(&format!(r#"40{{"sid":"{}","pid":"{}"}}"#, sa.sid, sa.pid)),
            p(&format!(r#"42["auth",{auth},"<*>"]"#)),
        ],
    )
    .await?;
    let r = cx.post(&q(&sid2), r#"422["get-state"]"#).await?;
    expect_status("POST get-state", &r, 200)?;
    expect_records(
        cx,
        &sid2,
        "get-state: recovered, rooms restored",
        &[state(
            "",
            2,
            &sa.sid,
            "/",
            &auth,
            "{}",
            &[&sa.sid, &room],
            true,
            "polling",
        )],
    )
    .await?;
    rmarker(&mut b, "", "b").await
}

async fn ping_timeout(cx: &mut Ctx) -> CaseResult {
    let (mut a, _) = open_ws_no_pong(cx).await?;
    let sa = rjoin(&mut a, "/").await?;
    let bound = cx.heartbeat_deadline();
    a.expect_within("the server's ping (not answered)", t("2"), bound)
        .await?;
    expect_ws_closed(cx, &mut a, "close at ping timeout", bound).await?;
    let (mut b, _) = rws_in(cx, "/").await?;
    b.send(&format!(
        r#"421["broadcast",{{"target":"rooms","rooms":["{}"],"event":"news"}}]"#,
        sa.sid
    ))
    .await?;
    b.expect("broadcast ack", t("431[]")).await?;
    let mut c = reconnect(cx, "", &sa.pid, &sa.offset).await?;
    c.expect(
        "the missed event, before the CONNECT reply",
        p(r#"42["news","<*>"]"#),
    )
    .await?;
    expect_recovered(&mut c, "", &sa, &sa.offset).await?;
    rmarker(&mut c, "", "c").await?;
    rmarker(&mut b, "", "b").await
}

async fn older_offset(cx: &mut Ctx) -> CaseResult {
    let (mut a, sa) = rws_in(cx, "/").await?;
    a.send(r#"42["message","m"]"#).await?;
    let o2 = a
        .expect("echo with offset", p(r#"42["message-back","m","<o>"]"#))
        .await?["o"]
        .clone();
    a.drop_connection().await;
    // Restoring from the auth event's offset re-sends the echo, with its original offset.
    let mut c = reconnect(cx, "", &sa.pid, &sa.offset).await?;
    c.expect(
        "the stored event after the offset, with its original offset",
        t(&format!(r#"42["message-back","m","{o2}"]"#)),
    )
    .await?;
    expect_recovered(&mut c, "", &sa, &sa.offset).await?;
    rmarker(&mut c, "", "c").await
}

async fn after_client_disconnect(cx: &mut Ctx) -> CaseResult {
    let (mut a, sa) = rws_in(cx, "/").await?;
    rjoin(&mut a, "/custom").await?;
    a.send("41").await?;
    // A round trip on /custom proves the 41 was handled before the connection closes.
    rmarker(&mut a, "/custom,", "sync").await?;
    a.close(None).await?;
    let mut c = reconnect(cx, "", &sa.pid, &sa.offset).await?;
    expect_fresh(&mut c, &sa, &restore(&sa.pid, &sa.offset)).await
}

async fn after_server_disconnect(cx: &mut Ctx) -> CaseResult {
    let (mut a, sa) = rws_in(cx, "/").await?;
    a.send(r#"42["server-disconnect",{"close":true}]"#).await?;
    a.expect("the server's DISCONNECT", t("41")).await?;
    let bound = cx.step();
    expect_ws_closed(cx, &mut a, "the engine connection closes", bound).await?;
    let mut c = reconnect(cx, "", &sa.pid, &sa.offset).await?;
    expect_fresh(&mut c, &sa, &restore(&sa.pid, &sa.offset)).await
}

async fn unknown_pid(cx: &mut Ctx) -> CaseResult {
    let (a, sa) = rws_in(cx, "/").await?;
    a.drop_connection().await;
    let mut c = reconnect(cx, "", "unknown-pid", &sa.offset).await?;
    expect_fresh(&mut c, &sa, &restore("unknown-pid", &sa.offset)).await
}

async fn unknown_offset(cx: &mut Ctx) -> CaseResult {
    let (a, sa) = rws_in(cx, "/").await?;
    a.drop_connection().await;
    let mut c = reconnect(cx, "", &sa.pid, "unknown-offset").await?;
    expect_fresh(&mut c, &sa, &restore(&sa.pid, "unknown-offset")).await
}

async fn expired(cx: &mut Ctx) -> CaseResult {
    let (a, sa) = rws_in(cx, "/").await?;
    a.drop_connection().await;
    // Time is the subject: maxDisconnectionDuration is 1000 ms (CONTRACT §5), plus the margin.
    let wait = 1000 + cx.margin().as_millis() as u64;
    cx.pause(wait, "outlive maxDisconnectionDuration (1000 ms) + margin")
        .await;
    let mut c = reconnect(cx, "", &sa.pid, &sa.offset).await?;
    expect_fresh(&mut c, &sa, &restore(&sa.pid, &sa.offset)).await
}

async fn middlewares_skipped(cx: &mut Ctx) -> CaseResult {
    let room = unique_room();
    let n = prefix("/counted");
    let (mut a, sa) = rws_in(cx, "/counted").await?;
    a.send(&format!(r#"42{n}1["join","{room}"]"#)).await?;
    a.expect(
        "join ack",
        t(&format!(r#"43{n}1[["{}","{room}"]]"#, sa.sid)),
    )
    .await?;
    a.send(&format!(r#"42{n}2["get-state"]"#)).await?;
    a.expect(
        "get-state: the middleware ran once",
        state(
            &n,
            2,
            &sa.sid,
            "/counted",
            "{}",
            r#"{"middlewareRuns":1}"#,
            &[&sa.sid, &room],
            false,
            "websocket",
        ),
    )
    .await?;
    let (mut b, _) = rws_in(cx, "/counted").await?;
    a.drop_connection().await;
    b.send(&format!(r#"42{n}1["broadcast",{{"target":"rooms","rooms":["{room}"],"event":"to-room","args":["x"]}}]"#)).await?;
    b.expect("broadcast ack", t(&format!("43{n}1[]"))).await?;
    let mut c = reconnect(cx, &n, &sa.pid, &sa.offset).await?;
    c.expect(
        "the missed event, before the CONNECT reply",
        p(&format!(r#"42{n}["to-room","x","<*>"]"#)),
    )
    .await?;
    expect_recovered(&mut c, &n, &sa, &sa.offset).await?;
    c.send(&format!(r#"42{n}1["get-state"]"#)).await?;
    c.expect(
        "get-state: data restored, the middleware did not run again (still 1), rooms restored",
        state(
            &n,
            1,
            &sa.sid,
            "/counted",
            &restore(&sa.pid, &sa.offset),
            r#"{"middlewareRuns":1}"#,
            &[&sa.sid, &room],
            true,
            "websocket",
        ),
    )
    .await?;
    // The recovered socket is in the room again.
    b.send(&format!(
        r#"42{n}2["broadcast",{{"target":"rooms","rooms":["{room}"],"event":"again"}}]"#
    ))
    .await?;
    b.expect("broadcast ack", t(&format!("43{n}2[]"))).await?;
    c.expect(
        "a new room broadcast reaches the recovered socket",
        p(&format!(r#"42{n}["again","<*>"]"#)),
    )
    .await?;
    rmarker(&mut c, &n, "c").await?;
    rmarker(&mut b, &n, "b").await
}

async fn feature_off(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send(r#"40{"pid":"foo","offset":"bar"}"#).await?;
    ws.expect("CONNECT reply with only the sid", p(r#"40{"sid":"<sid>"}"#))
        .await?;
    ws.expect(
        "the payload is plain auth; no offset",
        t(r#"42["auth",{"pid":"foo","offset":"bar"}]"#),
    )
    .await?;
    ws.send(r#"42["message",1]"#).await?;
    ws.expect("no offset on events", t(r#"42["message-back",1]"#))
        .await?;
    Ok(())
}

/// The recovery cases.
pub fn cases() -> Vec<Case> {
    let case = |id, title, body| {
        Case::new(id, title, body)
            .spec(NOTES, "§5 connection state recovery; CONTRACT §5")
            .server(Server::SioRecovery)
            .requires(Capability::ContractExtensions)
            .tags(&["websocket", "recovery", "contract"])
    };
    vec![
        case("sio.recovery.offsets", "CONNECT has sid and pid; server EVENTs carry a distinct offset last, except ACKs, EVENTs with an ack id and volatile ones", crate::body!(offsets)),
        case("sio.recovery.missed-events", "After a WebSocket drop, {pid, offset} restores the socket: missed room and direct events in order BEFORE the CONNECT reply (old sid and pid), rooms back, recovered:true", crate::body!(missed_events)),
        case("sio.recovery.polling-close", "A polling client that sent engine close recovers: missed events, then the old sid/pid, rooms back", crate::body!(polling_close)).tags(&["polling"]),
        case("sio.recovery.ping-timeout", "A session closed at ping timeout recovers; an event sent meanwhile comes first", crate::body!(ping_timeout)).tags(&["heartbeat", "timeout"]),
        case("sio.recovery.older-offset", "Recovering from an older offset re-sends every stored event after it, with its original offset", crate::body!(older_offset)),
        case("sio.recovery.after-client-disconnect", "No recovery after a client DISCONNECT (41): a fresh socket", crate::body!(after_client_disconnect)),
        case("sio.recovery.after-server-disconnect", "No recovery after a server disconnect: a fresh socket", crate::body!(after_server_disconnect)),
        case("sio.recovery.unknown-pid", "An unknown pid gives a fresh socket, no error", crate::body!(unknown_pid)),
        case("sio.recovery.unknown-offset", "A known pid with an offset not in the buffer gives a fresh socket", crate::body!(unknown_offset)),
        case("sio.recovery.expired", "After maxDisconnectionDuration (1000 ms) the session is not restored", crate::body!(expired)).tags(&["timeout"]),
        case("sio.recovery.middlewares-skipped", "On /counted, recovery restores data and rooms without running the middleware again (skipMiddlewares)", crate::body!(middlewares_skipped)),
        Case::new("sio.recovery.feature-off", "With recovery off (sio-main), 40{pid,offset} neither fails nor recovers: only {sid}, the payload is plain auth, no offsets", crate::body!(feature_off))
            .spec(NOTES, "§5 check 1; CONTRACT §4 (recovery off)")
            .server(Server::SioMain)
            .requires(Capability::SioHandlers)
            .tags(&["websocket", "recovery"]),
    ]
    .into_iter()
    .map(|c| if c.server == Server::SioRecovery { c.spec(CONTRACT, "§5 sio-recovery") } else { c })
    .collect()
}
