//! Steps shared by many cases, written with literal frames: opening sessions, polling with
//! pings answered, the Socket.IO suite's connection init, and "is the session still alive"
//! probes that fit the server the case talks to.

use crate::catalogue::{CONNECT_REPLY, OPEN_PACKET};
use crate::config::Server;
use crate::context::{Ctx, Ws, expect_response, expect_status};
use crate::driver::HttpResponse;
use crate::expect::{Captures, Want};
use crate::failure::{CaseResult, Failure, visible};
use crate::long_poll::Polled;

/// The Engine.IO polling record separator.
pub const RS: &str = "\u{1e}";
/// The engine.io-protocol suite's name.
pub const EIO_SUITE: &str = "engine.io-protocol";
/// The socket.io-protocol suite's name.
pub const SIO_SUITE: &str = "socket.io-protocol";

/// Exactly this text.
pub fn t(text: &str) -> Want {
    Want::text(text)
}

/// A pattern with `<holes>`.
pub fn p(pattern: &str) -> Want {
    Want::pattern(pattern)
}

/// The polling query of a session.
pub fn q(sid: &str) -> String {
    format!("EIO=4&transport=polling&sid={sid}")
}

/// The WebSocket query of a session (upgrade).
pub fn wsq(sid: &str) -> String {
    format!("EIO=4&transport=websocket&sid={sid}")
}

/// The polling handshake query.
pub const POLLING: &str = "EIO=4&transport=polling";
/// The WebSocket handshake query.
pub const WEBSOCKET: &str = "EIO=4&transport=websocket";

/// Polling handshake: `200` and the open packet with `upgrades:["websocket"]`; the sid.
pub async fn open_polling(cx: &mut Ctx) -> Result<String, Failure> {
    let r = cx.get(POLLING).await?;
    let c = expect_response("polling handshake", &r, 200, &cx.handshake(&["websocket"]))
        .map_err(|f| f.rule(OPEN_PACKET))?;
    Ok(c["sid"].clone())
}

/// [`open_polling`], then a GET kept pending on the session for the rest of the case, as a
/// client keeps one ([`Ctx::keep_polling`]): far from the server, pings are still answered in time.
pub async fn open_long_polling(cx: &mut Ctx) -> Result<String, Failure> {
    let sid = open_polling(cx).await?;
    cx.keep_polling(&sid, &q(&sid));
    Ok(sid)
}

/// WebSocket handshake: the first frame is the open packet with `upgrades:[]`; pings answered.
pub async fn open_ws(cx: &mut Ctx) -> Result<(Ws, String), Failure> {
    let mut ws = cx.ws(WEBSOCKET).await?;
    let c = ws
        .expect("open packet", cx.handshake(&[]))
        .await
        .map_err(|f| f.rule(OPEN_PACKET))?;
    Ok((ws, c["sid"].clone()))
}

/// WebSocket handshake without automatic pongs (heartbeat cases).
pub async fn open_ws_no_pong(cx: &mut Ctx) -> Result<(Ws, String), Failure> {
    let mut ws = cx.ws_no_pong(WEBSOCKET).await?;
    let c = ws
        .expect("open packet", cx.handshake(&[]))
        .await
        .map_err(|f| f.rule(OPEN_PACKET))?;
    Ok((ws, c["sid"].clone()))
}

/// The suite's `initSocketIOConnection`: `40` → `40{"sid":…}` then the `auth` event (only from
/// a server with the suite handlers: one without application code emits nothing).
pub async fn sio_init(ws: &mut Ws) -> Result<Captures, Failure> {
    ws.send("40").await?;
    let c = ws
        .expect("CONNECT reply", p(r#"40{"sid":"<sid>"}"#))
        .await
        .map_err(|f| f.rule(CONNECT_REPLY))?;
    if ws.greets() {
        ws.expect("auth event", t(r#"42["auth",{}]"#)).await?;
    }
    Ok(c)
}

/// A WebSocket session joined to `/` (open packet, CONNECT, auth event); pings answered.
pub async fn sio_ws(cx: &mut Ctx) -> Result<Ws, Failure> {
    let (mut ws, _) = open_ws(cx).await?;
    sio_init(&mut ws).await?;
    Ok(ws)
}

/// One GET with pings removed from the body (each answered with a `3` POST). Returns the
/// remaining records; GETs again (at most 4 times) while only pings came. On a session the case
/// handed to a long poll ([`Ctx::keep_polling`]), the records of its next response instead.
pub async fn poll(cx: &mut Ctx, sid: &str) -> Result<Vec<String>, Failure> {
    let bound = cx.long_poll_bound();
    if let Some(long_poll) = cx.long_poll(sid) {
        return match long_poll.next("GET (long poll)", bound).await? {
            Polled::Records(records) => Ok(records),
            Polled::Refused(r) => Err(Failure::assertion(
                "GET (long poll)",
                "status 200",
                format!("status {} body {}", r.status, visible(&r.text())),
            )),
            Polled::Lost(f) => Err(f),
        };
    }
    for _ in 0..4 {
        let r = cx.get(&q(sid)).await?;
        expect_status("GET (poll)", &r, 200)?;
        let text = r.text();
        let mut records = Vec::new();
        let mut pings = 0;
        for record in text.split(RS) {
            if record == "2" {
                pings += 1;
            } else {
                records.push(record.to_string());
            }
        }
        for _ in 0..pings {
            let pong = cx.post(&q(sid), "3").await?;
            expect_status("POST 3 (pong)", &pong, 200)?;
        }
        if !records.is_empty() {
            return Ok(records);
        }
    }
    Err(Failure::assertion(
        "GET (poll)",
        "a payload other than pings",
        "(only pings in 4 polls)",
    ))
}

/// POSTs `payload` on the session: status 200 is the rule; the body `ok` is what Node writes
/// (a SHOULD: the client reads only the status).
pub async fn post_ok(cx: &mut Ctx, sid: &str, payload: &str) -> CaseResult {
    let r = cx.post(&q(sid), payload).await?;
    let step = format!("POST {}", visible(payload));
    expect_status(&step, &r, 200)?;
    if r.body != b"ok" {
        cx.soft(Err(Failure::assertion(
            step,
            "body ok",
            format!("body {}", visible(&r.text())),
        )));
    }
    Ok(())
}

/// A GET the upgrade must release with a noop `6`. A ping that fell due first may have
/// released it instead (far from the server, the probe takes longer than pingInterval; a server
/// that pings at once): then the ping is answered and the next GET must carry the noop, as the
/// server keeps offering it until the upgrade completes. A ping and the noop may also come in
/// one payload (`2␞6`).
pub async fn expect_noop_release(
    cx: &mut Ctx,
    sid: &str,
    step: &str,
    released: HttpResponse,
) -> CaseResult {
    let mut released = released;
    for _ in 0..3 {
        let text = released.text();
        let pings = text.split(RS).filter(|r| *r == "2").count();
        if released.status != 200 || pings == 0 {
            break;
        }
        // Pings in the payload are answered; a noop with them is the release itself.
        cx.tolerate(format!(
            "{step}: a ping came with or before the noop; answered"
        ));
        let pong = cx.post(&q(sid), "3").await?;
        expect_status("POST 3 (pong)", &pong, 200)?;
        let rest: Vec<&str> = text.split(RS).filter(|r| *r != "2").collect();
        if rest == ["6"] {
            return Ok(());
        }
        if !rest.is_empty() {
            break;
        }
        released = cx.get(&q(sid)).await?;
    }
    expect_response(step, &released, 200, &t("6")).map(|_| ())
}

/// At least `n` records, across as many GETs as needed (pings answered and removed).
async fn collect_records(cx: &mut Ctx, sid: &str, n: usize) -> Result<Vec<String>, Failure> {
    let mut got = Vec::new();
    while got.len() < n {
        got.extend(poll(cx, sid).await?);
    }
    Ok(got)
}

/// The next records, across as many GETs as needed (pings removed), must match `wants` in order.
pub async fn expect_records(
    cx: &mut Ctx,
    sid: &str,
    step: &str,
    wants: &[Want],
) -> Result<Vec<Captures>, Failure> {
    let got = collect_records(cx, sid, wants.len()).await?;
    let mut caps = Vec::new();
    for (i, want) in wants.iter().enumerate() {
        match want.check_text(&got[i]) {
            Some(c) => caps.push(c),
            None => {
                return Err(Failure::assertion(
                    format!("{step} (record {})", i + 1),
                    wants.iter().map(Want::describe).collect::<Vec<_>>(),
                    got.iter()
                        .map(|g| format!("record {}", visible(g)))
                        .collect::<Vec<_>>(),
                ));
            }
        }
    }
    if got.len() > wants.len() {
        return Err(Failure::assertion(
            step,
            wants.iter().map(Want::describe).collect::<Vec<_>>(),
            got.iter()
                .map(|g| format!("record {}", visible(g)))
                .collect::<Vec<_>>(),
        ));
    }
    Ok(caps)
}

/// The replies to several different events: the protocol does not order them (a server may run
/// handlers concurrently), so each must come once, in any order; Node's order (`wants` as
/// written) is a SHOULD.
pub async fn expect_replies_any_order(
    cx: &mut Ctx,
    sid: &str,
    step: &str,
    wants: &[Want],
) -> CaseResult {
    let got = collect_records(cx, sid, wants.len()).await?;
    let describe_got = || {
        got.iter()
            .map(|g| format!("record {}", visible(g)))
            .collect::<Vec<_>>()
    };
    let in_order = got.len() == wants.len()
        && wants
            .iter()
            .zip(&got)
            .all(|(w, g)| w.check_text(g).is_some());
    if in_order {
        return Ok(());
    }
    let mut unmatched: Vec<&String> = got.iter().collect();
    for want in wants {
        match unmatched.iter().position(|g| want.check_text(g).is_some()) {
            Some(i) => {
                unmatched.remove(i);
            }
            None => {
                return Err(Failure::assertion(
                    step,
                    wants.iter().map(Want::describe).collect::<Vec<_>>(),
                    describe_got(),
                ));
            }
        }
    }
    if !unmatched.is_empty() {
        return Err(Failure::assertion(
            step,
            wants.iter().map(Want::describe).collect::<Vec<_>>(),
            describe_got(),
        ));
    }
    cx.soft(Err(Failure::assertion(
        format!("{step} (in the order the events were sent, as Node answers)"),
        wants.iter().map(Want::describe).collect::<Vec<_>>(),
        describe_got(),
    )));
    Ok(())
}

/// One GET's body, pings removed, must be exactly `payload` (a batch in one response).
pub async fn expect_poll_body(cx: &mut Ctx, sid: &str, step: &str, payload: &str) -> CaseResult {
    let got = poll(cx, sid).await?.join(RS);
    if got == payload {
        Ok(())
    } else {
        Err(Failure::assertion(
            step,
            format!("status 200 body {}", visible(payload)),
            format!("status 200 body {} (pings removed)", visible(&got)),
        ))
    }
}

/// The session is gone: a GET with its sid is answered 400 (the body, as Node writes it, is a
/// SHOULD: `{"code":1,"message":"Session ID unknown"}`).
pub async fn expect_session_gone(cx: &mut Ctx, sid: &str, step: &str) -> CaseResult {
    let r = cx.get(&q(sid)).await?;
    expect_status(step, &r, 400)?;
    cx.observe_close(format!("polling GET → {} {}", r.status, visible(&r.text())));
    let body = crate::context::expect_body(
        step,
        &r,
        &Want::json("", r#"{"code":1,"message":"Session ID unknown"}"#),
    )
    .map(|_| ());
    cx.soft(body);
    Ok(())
}

/// A polling session on a Socket.IO server joins `/` (POST `40`, then the CONNECT reply and the
/// auth event); on the echo server it does nothing. Keeps sessions alive past connectTimeout.
pub async fn join_if_socketio_polling(cx: &mut Ctx, sid: &str) -> CaseResult {
    if !cx.server().is_socketio() {
        return Ok(());
    }
    let r = cx.post(&q(sid), "40").await?;
    expect_status("POST 40", &r, 200)?;
    let joined = if cx.offers(crate::config::Capability::SioHandlers) {
        expect_records(
            cx,
            sid,
            "CONNECT reply and auth event",
            &[p(r#"40{"sid":"<sid>"}"#), t(r#"42["auth",{}]"#)],
        )
        .await
    } else {
        expect_records(cx, sid, "CONNECT reply", &[p(r#"40{"sid":"<sid>"}"#)]).await
    };
    joined.map(|_| ()).map_err(|f| {
        // Only a first record that is not the CONNECT reply breaks the rule.
        let reply_first = f
            .received
            .first()
            .is_some_and(|r| r.starts_with("record 40{"));
        if reply_first {
            f
        } else {
            f.rule(CONNECT_REPLY)
        }
    })
}

/// As [`join_if_socketio_polling`], on a WebSocket.
pub async fn join_if_socketio_ws(cx: &Ctx, ws: &mut Ws) -> CaseResult {
    if cx.server().is_socketio() {
        sio_init(ws).await?;
    }
    Ok(())
}

/// Proves a fresh WebSocket session (or one just upgraded) is alive: on the echo server
/// `4hello` comes back; on a Socket.IO server `40` is answered with the CONNECT reply.
pub async fn probe_first(cx: &Ctx, ws: &mut Ws) -> CaseResult {
    if cx.server() == Server::EioEcho {
        ws.send("4hello").await?;
        ws.expect("echo over WebSocket", t("4hello")).await?;
        Ok(())
    } else {
        sio_init(ws).await.map(|_| ())
    }
}

/// Proves the session is still alive after [`probe_first`]: an echo on either server.
pub async fn probe_again(cx: &Ctx, ws: &mut Ws) -> CaseResult {
    if cx.server() == Server::EioEcho {
        ws.send("4hello").await?;
        ws.expect("echo over WebSocket", t("4hello")).await?;
        Ok(())
    } else {
        still_connected(ws, "alive").await
    }
}

/// The namespace [`still_connected`] asks for on a server without application code.
const LIVENESS_NSP: &str = "/conformance-liveness";

/// Proves a Socket.IO session joined to `/` still answers, with the next frame: with the suite
/// handlers, `message` → `message-back` carrying `tag`; without them (a server with no
/// application code answers no event), a CONNECT to a namespace of our own, whose reply (`40`
/// or `44` for it, the protocol lets the server choose) is proof enough.
pub async fn still_connected(ws: &mut Ws, tag: &str) -> CaseResult {
    if ws.greets() {
        ws.send(&format!(r#"42["message","{tag}"]"#)).await?;
        ws.expect(
            "the connection stays (message-back)",
            t(&format!(r#"42["message-back","{tag}"]"#)),
        )
        .await?;
        return Ok(());
    }
    ws.send(&format!("40{LIVENESS_NSP},")).await?;
    let step = format!("the connection stays (a reply to the CONNECT to {LIVENESS_NSP})");
    let wanted = format!("text 40{LIVENESS_NSP},… or 44{LIVENESS_NSP},…");
    match ws.next_within(ws.step()).await {
        crate::driver::ws::Next::Event(crate::driver::WsEvent::Text(text))
            if ["40", "44"]
                .iter()
                .any(|k| text.starts_with(&format!("{k}{LIVENESS_NSP},"))) =>
        {
            Ok(())
        }
        crate::driver::ws::Next::Event(other) => {
            Err(Failure::assertion(step, wanted, other.describe()))
        }
        crate::driver::ws::Next::Timeout => Err(Failure::assertion(
            step,
            wanted,
            format!("(nothing within {} ms)", ws.step().as_millis()),
        )),
        crate::driver::ws::Next::Ended => Err(Failure::assertion(
            step,
            wanted,
            "(the connection had already closed)",
        )),
    }
}

/// The WebSocket session must end (close frame or drop) within `bound`; records how.
pub async fn expect_ws_closed(
    cx: &mut Ctx,
    ws: &mut Ws,
    step: &str,
    bound: std::time::Duration,
) -> CaseResult {
    let code = ws.expect_close(step, bound).await?;
    cx.observe_close(format!("websocket close {code}"));
    Ok(())
}

/// A namespace of the case's own, `/dynamic-<digits>` (CONTRACT §4: created on demand, suite
/// handlers and control events). Broadcasts to `all`/`others`, room names and the server's
/// per-namespace ack-id counter are then private to the case, whatever runs beside it.
pub fn own_namespace() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("/dynamic-{}{n:04}", std::process::id())
}

/// The packet prefix of a namespace: `""` for `/`, else `"/name,"`.
pub fn prefix(nsp: &str) -> String {
    if nsp == "/" {
        String::new()
    } else {
        format!("{nsp},")
    }
}

/// A fresh WebSocket session joined to `nsp` (`40<nsp>,` → `40<nsp>,{"sid":…}` and the auth
/// event with `{}`); returns the socket id.
pub async fn ws_in(cx: &mut Ctx, nsp: &str) -> Result<(Ws, String), Failure> {
    let (mut ws, _) = open_ws(cx).await?;
    let sid = join(&mut ws, nsp).await?;
    Ok((ws, sid))
}

/// Joins `nsp` on an open session: CONNECT, the reply with `{sid}`, the auth event `{}`.
pub async fn join(ws: &mut Ws, nsp: &str) -> Result<String, Failure> {
    let n = prefix(nsp);
    ws.send(&format!("40{n}")).await?;
    let c = ws
        .expect("CONNECT reply", p(&format!(r#"40{n}{{"sid":"<sid>"}}"#)))
        .await
        .map_err(|f| f.rule(CONNECT_REPLY))?;
    if ws.greets() {
        ws.expect("auth event", t(&format!(r#"42{n}["auth",{{}}]"#)))
            .await?;
    }
    Ok(c["sid"].clone())
}

/// A round trip on `nsp` (`message` → `message-back` with `tag`): the echo must be the next
/// frame, which proves nothing else was sent to this client before it (the server writes each
/// connection's packets in order). The bounded way to say "not received".
pub async fn marker(ws: &mut Ws, nsp: &str, tag: &str) -> CaseResult {
    let n = prefix(nsp);
    ws.send(&format!(r#"42{n}["message","{tag}"]"#)).await?;
    ws.expect(
        &format!("next frame is the echo of marker {tag:?} (nothing else was received)"),
        t(&format!(r#"42{n}["message-back","{tag}"]"#)),
    )
    .await?;
    Ok(())
}

/// How long a recovery case waits after its client's connection ended before it reconnects.
/// A real client waits longer (socket.io-client's `reconnectionDelay`, 1000 ms, randomized);
/// without a wait, a loaded server may not have seen the old connection end yet, so it has no
/// session to restore, and a correct server would fail for the runner's haste.
pub const RECONNECT_PAUSE_MS: u64 = 100;

/// The pause before a recovery reconnect ([`RECONNECT_PAUSE_MS`]).
pub async fn pause_before_reconnect(cx: &Ctx) {
    cx.pause(
        RECONNECT_PAUSE_MS,
        "before reconnecting, as a client waits, so the server has seen the old connection end",
    )
    .await;
}
