//! Rooms and emit targets through the contract's control events (`join`, `leave`,
//! `broadcast`): join/leave acks, the five broadcast targets, `except`, the private room named
//! after the socket id, and rooms forgotten on disconnect.
//!
//! Every case runs in a namespace of its own (`/dynamic-<n>`, see
//! [`own_namespace`](super::support::own_namespace)), so a broadcast to `all` never reaches the
//! clients of a case running beside it. Each client reads every frame it receives; "not
//! received" is proved by a [`marker`](super::support::marker) round trip whose echo must be the
//! next frame, never by a sleep. Transcripts: fixtures/transcripts/sio.rooms.*.

use super::support::*;
use crate::case::{CONTRACT, Case};
use crate::config::{Capability, Server};
use crate::context::{Ctx, Ws};
use crate::expect::Want;
use crate::failure::{CaseResult, Failure};

/// Sends a control event with ack id `id` and expects its ack `43<nsp>,<id><ack>`.
async fn control(ws: &mut Ws, n: &str, id: u32, event: &str, ack: &str) -> CaseResult {
    ws.send(&format!("42{n}{id}{event}")).await?;
    ws.expect("control event ack", t(&format!("43{n}{id}{ack}")))
        .await?;
    Ok(())
}

/// `join` with ack: the ack lists the socket's rooms, its own id first.
async fn join_rooms(ws: &mut Ws, n: &str, id: u32, rooms: &str, ack_rooms: &str) -> CaseResult {
    control(
        ws,
        n,
        id,
        &format!(r#"["join",{rooms}]"#),
        &format!("[{ack_rooms}]"),
    )
    .await
}

/// `broadcast` with ack: the sender's own copy (`copy`, if it gets one) comes before the ack.
async fn broadcast(ws: &mut Ws, n: &str, id: u32, spec: &str, copy: Option<&str>) -> CaseResult {
    ws.send(&format!(r#"42{n}{id}["broadcast",{spec}]"#))
        .await?;
    if let Some(copy) = copy {
        ws.expect(
            "the sender's own copy (before the ack)",
            t(&format!("42{n}{copy}")),
        )
        .await?;
    }
    ws.expect("broadcast ack", t(&format!("43{n}{id}[]")))
        .await?;
    Ok(())
}

/// The next frame is the broadcast event `body` on the namespace.
async fn receives(ws: &mut Ws, n: &str, body: &str) -> CaseResult {
    ws.expect("broadcast event", t(&format!("42{n}{body}")))
        .await
        .map(|_| ())
}

async fn three(cx: &mut Ctx) -> Result<(String, [(Ws, String); 3]), Failure> {
    let nsp = own_namespace();
    let a = ws_in(cx, &nsp).await?;
    let b = ws_in(cx, &nsp).await?;
    let c = ws_in(cx, &nsp).await?;
    Ok((nsp, [a, b, c]))
}

async fn join_leave(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, s) = ws_in(cx, &nsp).await?;
    join_rooms(&mut a, &n, 1, r#""r1""#, &format!(r#"["{s}","r1"]"#)).await?;
    join_rooms(
        &mut a,
        &n,
        2,
        r#"["r2","r3"]"#,
        &format!(r#"["{s}","r1","r2","r3"]"#),
    )
    .await?;
    // Joining a room twice changes nothing.
    join_rooms(
        &mut a,
        &n,
        3,
        r#""r1""#,
        &format!(r#"["{s}","r1","r2","r3"]"#),
    )
    .await?;
    control(
        &mut a,
        &n,
        4,
        r#"["leave","r2"]"#,
        &format!(r#"[["{s}","r1","r3"]]"#),
    )
    .await?;
    // Leaving a room the socket is not in is harmless.
    control(
        &mut a,
        &n,
        5,
        r#"["leave",["r1","nope"]]"#,
        &format!(r#"[["{s}","r3"]]"#),
    )
    .await?;
    a.send(&format!(r#"42{n}6["get-state"]"#)).await?;
    a.expect(
        "get-state agrees with the acks",
        Want::json(
            format!("43{n}6"),
            &format!(
                r#"[{{"id":"{s}","nsp":"{nsp}","auth":{{}},"query":{{"EIO":"4","transport":"websocket"}},"data":{{}},"rooms":["{s}","r3"],"recovered":false,"eio":4,"transport":"websocket"}}]"#
            ),
        ),
    )
    .await?;
    marker(&mut a, &nsp, "a").await
}

async fn to_self(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, _) = ws_in(cx, &nsp).await?;
    let (mut b, _) = ws_in(cx, &nsp).await?;
    broadcast(
        &mut a,
        &n,
        1,
        r#"{"target":"self","event":"e-self","args":[1]}"#,
        Some(r#"["e-self",1]"#),
    )
    .await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut a, &nsp, "a").await
}

async fn to_all(cx: &mut Ctx) -> CaseResult {
    let (nsp, [(mut a, _), (mut b, _), (mut c, _)]) = three(cx).await?;
    let n = prefix(&nsp);
    broadcast(
        &mut a,
        &n,
        1,
        r#"{"target":"all","event":"e-all","args":[2]}"#,
        Some(r#"["e-all",2]"#),
    )
    .await?;
    receives(&mut b, &n, r#"["e-all",2]"#).await?;
    receives(&mut c, &n, r#"["e-all",2]"#).await?;
    marker(&mut a, &nsp, "a").await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut c, &nsp, "c").await
}

async fn to_others(cx: &mut Ctx) -> CaseResult {
    let (nsp, [(mut a, _), (mut b, _), (mut c, _)]) = three(cx).await?;
    let n = prefix(&nsp);
    broadcast(
        &mut a,
        &n,
        1,
        r#"{"target":"others","event":"e-others","args":[3]}"#,
        None,
    )
    .await?;
    receives(&mut b, &n, r#"["e-others",3]"#).await?;
    receives(&mut c, &n, r#"["e-others",3]"#).await?;
    // The sender gets no copy: its next frame after the ack is its marker's echo.
    marker(&mut a, &nsp, "a").await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut c, &nsp, "c").await
}

async fn to_room(cx: &mut Ctx) -> CaseResult {
    let (nsp, [(mut a, sa), (mut b, sb), (mut c, _)]) = three(cx).await?;
    let n = prefix(&nsp);
    join_rooms(&mut a, &n, 1, r#""r1""#, &format!(r#"["{sa}","r1"]"#)).await?;
    join_rooms(&mut b, &n, 1, r#""r1""#, &format!(r#"["{sb}","r1"]"#)).await?;
    // The sender is in r1, so it gets its copy (before the ack); c is in no room.
    broadcast(
        &mut a,
        &n,
        2,
        r#"{"target":"rooms","rooms":["r1"],"event":"hi","args":[1,"two"]}"#,
        Some(r#"["hi",1,"two"]"#),
    )
    .await?;
    receives(&mut b, &n, r#"["hi",1,"two"]"#).await?;
    marker(&mut c, &nsp, "c").await?;
    marker(&mut a, &nsp, "a").await?;
    marker(&mut b, &nsp, "b").await
}

async fn several_rooms_once(cx: &mut Ctx) -> CaseResult {
    let (nsp, [(mut a, _), (mut b, sb), (mut c, sc)]) = three(cx).await?;
    let n = prefix(&nsp);
    join_rooms(
        &mut b,
        &n,
        1,
        r#"["r1","r2"]"#,
        &format!(r#"["{sb}","r1","r2"]"#),
    )
    .await?;
    join_rooms(&mut c, &n, 1, r#""r2""#, &format!(r#"["{sc}","r2"]"#)).await?;
    broadcast(
        &mut a,
        &n,
        1,
        r#"{"target":"rooms","rooms":["r1","r2"],"event":"once","args":[]}"#,
        None,
    )
    .await?;
    // b is in both rooms and gets the event once: the marker's echo comes right after it.
    receives(&mut b, &n, r#"["once"]"#).await?;
    marker(&mut b, &nsp, "b").await?;
    receives(&mut c, &n, r#"["once"]"#).await?;
    marker(&mut c, &nsp, "c").await?;
    marker(&mut a, &nsp, "a").await
}

async fn rooms_others(cx: &mut Ctx) -> CaseResult {
    let (nsp, [(mut a, sa), (mut b, sb), (mut c, _)]) = three(cx).await?;
    let n = prefix(&nsp);
    join_rooms(&mut a, &n, 1, r#""r1""#, &format!(r#"["{sa}","r1"]"#)).await?;
    join_rooms(
        &mut b,
        &n,
        1,
        r#"["r1","r2"]"#,
        &format!(r#"["{sb}","r1","r2"]"#),
    )
    .await?;
    // The sender is in r1 but rooms-others leaves it out.
    broadcast(
        &mut a,
        &n,
        2,
        r#"{"target":"rooms-others","rooms":["r1","r2"],"event":"only-b"}"#,
        None,
    )
    .await?;
    receives(&mut b, &n, r#"["only-b"]"#).await?;
    marker(&mut a, &nsp, "a").await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut c, &nsp, "c").await
}

async fn except(cx: &mut Ctx) -> CaseResult {
    let (nsp, [(mut a, sa), (mut b, sb), (mut c, sc)]) = three(cx).await?;
    let n = prefix(&nsp);
    join_rooms(&mut a, &n, 1, r#""r1""#, &format!(r#"["{sa}","r1"]"#)).await?;
    join_rooms(
        &mut b,
        &n,
        1,
        r#"["r1","r2"]"#,
        &format!(r#"["{sb}","r1","r2"]"#),
    )
    .await?;
    join_rooms(&mut c, &n, 1, r#""r2""#, &format!(r#"["{sc}","r2"]"#)).await?;
    // all except r1 → c only (a and b are in r1).
    broadcast(
        &mut a,
        &n,
        2,
        r#"{"target":"all","except":["r1"],"event":"e1"}"#,
        None,
    )
    .await?;
    receives(&mut c, &n, r#"["e1"]"#).await?;
    // rooms [r2] except r1 (a string) → c only (b is in r1).
    broadcast(
        &mut a,
        &n,
        3,
        r#"{"target":"rooms","rooms":["r2"],"except":"r1","event":"e2"}"#,
        None,
    )
    .await?;
    receives(&mut c, &n, r#"["e2"]"#).await?;
    // others except r2 → nobody (b and c are in r2).
    broadcast(
        &mut a,
        &n,
        4,
        r#"{"target":"others","except":["r2"],"event":"e3"}"#,
        None,
    )
    .await?;
    marker(&mut a, &nsp, "a").await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut c, &nsp, "c").await
}

async fn leave_then_broadcast(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, _) = ws_in(cx, &nsp).await?;
    let (mut b, sb) = ws_in(cx, &nsp).await?;
    join_rooms(&mut b, &n, 1, r#""r1""#, &format!(r#"["{sb}","r1"]"#)).await?;
    broadcast(
        &mut a,
        &n,
        1,
        r#"{"target":"rooms","rooms":["r1"],"event":"first"}"#,
        None,
    )
    .await?;
    receives(&mut b, &n, r#"["first"]"#).await?;
    control(
        &mut b,
        &n,
        2,
        r#"["leave","r1"]"#,
        &format!(r#"[["{sb}"]]"#),
    )
    .await?;
    broadcast(
        &mut a,
        &n,
        2,
        r#"{"target":"rooms","rooms":["r1"],"event":"second"}"#,
        None,
    )
    .await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut a, &nsp, "a").await
}

async fn private_room(cx: &mut Ctx) -> CaseResult {
    let (nsp, [(mut a, sa), (mut b, sb), (mut c, _)]) = three(cx).await?;
    let n = prefix(&nsp);
    broadcast(
        &mut a,
        &n,
        1,
        &format!(r#"{{"target":"rooms","rooms":["{sb}"],"event":"direct","args":["to b"]}}"#),
        None,
    )
    .await?;
    receives(&mut b, &n, r#"["direct","to b"]"#).await?;
    broadcast(
        &mut a,
        &n,
        2,
        &format!(r#"{{"target":"rooms-others","rooms":["{sa}"],"event":"nobody"}}"#),
        None,
    )
    .await?;
    marker(&mut a, &nsp, "a").await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut c, &nsp, "c").await
}

async fn disconnect_leaves_rooms(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, sa) = ws_in(cx, &nsp).await?;
    let (mut b, sb) = ws_in(cx, &nsp).await?;
    join_rooms(&mut a, &n, 1, r#""r1""#, &format!(r#"["{sa}","r1"]"#)).await?;
    join_rooms(&mut b, &n, 1, r#""r1""#, &format!(r#"["{sb}","r1"]"#)).await?;
    // b leaves the namespace; a round trip on /custom proves the 41 was handled.
    join(&mut b, "/custom").await?;
    b.send(&format!("41{n}")).await?;
    marker(&mut b, "/custom", "sync").await?;
    // b joins again on the same engine connection: a new socket, in no room but its own.
    let sb2 = join(&mut b, &nsp).await?;
    b.send(&format!(r#"42{n}2["get-state"]"#)).await?;
    b.expect(
        "get-state: only the socket's own room",
        Want::json(
            format!("43{n}2"),
            &format!(
                r#"[{{"id":"{sb2}","nsp":"{nsp}","auth":{{}},"query":{{"EIO":"4","transport":"websocket"}},"data":{{}},"rooms":["{sb2}"],"recovered":false,"eio":4,"transport":"websocket"}}]"#
            ),
        ),
    )
    .await?;
    broadcast(
        &mut a,
        &n,
        2,
        r#"{"target":"rooms","rooms":["r1"],"event":"r1-only"}"#,
        Some(r#"["r1-only"]"#),
    )
    .await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut a, &nsp, "a").await
}

async fn unknown_target(cx: &mut Ctx) -> CaseResult {
    let nsp = own_namespace();
    let n = prefix(&nsp);
    let (mut a, _) = ws_in(cx, &nsp).await?;
    let (mut b, _) = ws_in(cx, &nsp).await?;
    control(
        &mut a,
        &n,
        1,
        r#"["broadcast",{"target":"nowhere","event":"x"}]"#,
        r#"[{"error":"unknown target"}]"#,
    )
    .await?;
    marker(&mut b, &nsp, "b").await?;
    marker(&mut a, &nsp, "a").await
}

/// The rooms cases.
pub fn cases() -> Vec<Case> {
    let case = |id, title, body, section: &'static str| {
        Case::new(id, title, body)
            .spec(CONTRACT, section)
            .server(Server::SioMain)
            .requires(Capability::ContractExtensions)
            .tags(&["websocket", "rooms", "contract"])
    };
    vec![
        case(
            "sio.rooms.join-leave",
            "join/leave acks list the socket's rooms in join order, its own id first; get-state agrees",
            crate::body!(join_leave),
            "§4 control events (join, leave, get-state)",
        ),
        case(
            "sio.rooms.to-self",
            "A broadcast to self reaches the sender only, before its ack",
            crate::body!(to_self),
            "§4 broadcast targets (self)",
        ),
        case(
            "sio.rooms.to-all",
            "A broadcast to all reaches every socket of the namespace, the sender first (before its ack)",
            crate::body!(to_all),
            "§4 broadcast targets (all)",
        ),
        case(
            "sio.rooms.to-others",
            "A broadcast to others reaches every socket but the sender",
            crate::body!(to_others),
            "§4 broadcast targets (others)",
        ),
        case(
            "sio.rooms.to-room",
            "A broadcast to one room reaches its members (the sender too) and nobody else",
            crate::body!(to_room),
            "§4 broadcast targets (rooms)",
        ),
        case(
            "sio.rooms.several-rooms-once",
            "A broadcast to several rooms reaches a socket in two of them once",
            crate::body!(several_rooms_once),
            "§4 broadcast targets (rooms)",
        ),
        case(
            "sio.rooms.rooms-others",
            "rooms-others reaches the rooms' members but not the sender",
            crate::body!(rooms_others),
            "§4 broadcast targets (rooms-others)",
        ),
        case(
            "sio.rooms.except",
            "except leaves out the sockets of the given rooms (all, rooms, others)",
            crate::body!(except),
            "§4 broadcast (except)",
        ),
        case(
            "sio.rooms.leave-then-broadcast",
            "After leaving a room a socket no longer gets its broadcasts",
            crate::body!(leave_then_broadcast),
            "§4 control events (leave)",
        ),
        case(
            "sio.rooms.private-room",
            "Each socket is in a room named after its id: rooms [id] reaches that socket only",
            crate::body!(private_room),
            "§4 control events (join: own id first)",
        ),
        case(
            "sio.rooms.disconnect-leaves-rooms",
            "A socket that disconnects leaves its rooms: after re-joining, the old room's broadcast misses it",
            crate::body!(disconnect_leaves_rooms),
            "§4 broadcast targets (rooms)",
        ),
        case(
            "sio.rooms.unknown-target",
            "A broadcast to an unknown target is acked with an error and emits nothing",
            crate::body!(unknown_target),
            "§4 broadcast (unknown target)",
        ),
    ]
}
