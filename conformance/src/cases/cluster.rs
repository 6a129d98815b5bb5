//! Cluster cases: the nodes given as `--url A --url B …` are one deployment whose adapter
//! (`@socket.io/redis-adapter` or anything that shares rooms and broadcasts) must make the nodes
//! act as one server. Clients are spread over the nodes; an operation started on one node must
//! reach the sockets of another, through the contract's control events (fixtures/CONTRACT.md
//! §4 and the cluster control events of §7).
//!
//! The cases run only with two URLs or more, each alone (they use `/`, shared by every client of
//! a node, and broadcast to all of it). "Not received" across nodes is proved by a second
//! broadcast from the same node to the client's own room (its socket id): the messages one node
//! publishes reach every other node in the order it published them, so when that marker is the
//! client's next frame, the first broadcast did not reach it. A client on the sender's own node
//! uses the ordinary [`marker`] round trip.

use super::support::*;
use crate::case::{CONTRACT, Case};
use crate::catalogue::OPEN_PACKET;
use crate::config::{Capability, Server};
use crate::context::{Ctx, Ws};
use crate::expect::Want;
use crate::failure::{CaseResult, Failure};

/// Case `$name` runs `$once` twice: sent on node 1 and received on node 0, then the other way
/// (in a mixed cluster, each implementation both sends and receives).
macro_rules! both_ways {
    ($name:ident, $once:ident) => {
        async fn $name(cx: &mut Ctx) -> CaseResult {
            for (from, to) in [(1, 0), (0, 1)] {
                $once(cx, from, to)
                    .await
                    .map_err(|f| f.note(format!("sent on node {from}, received on node {to}")))?;
            }
            Ok(())
        }
    };
}

/// A room name no other run of the case uses.
fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{tag}-{}-{n}", std::process::id())
}

/// A client joined to `/` on node `node`: the open packet, CONNECT, the auth event.
async fn client(cx: &mut Ctx, node: usize) -> Result<(Ws, String), Failure> {
    let mut ws = cx.ws_on(node, WEBSOCKET).await?;
    ws.expect(&format!("open packet from node {node}"), cx.handshake(&[]))
        .await
        .map_err(|f| f.rule(OPEN_PACKET))?;
    let sid = join(&mut ws, "/").await?;
    Ok((ws, sid))
}

/// Sends the control event `event` (the whole `["name",…]` array) with ack id `id` and
/// expects its ack.
async fn control(ws: &mut Ws, id: u32, event: &str, ack: Want) -> Result<(), Failure> {
    ws.send(&format!("42{id}{event}")).await?;
    ws.expect("control event ack", ack).await?;
    Ok(())
}

/// `join` of `rooms` by the socket `sid`; the ack lists its rooms, its own id first.
async fn join_rooms(ws: &mut Ws, id: u32, sid: &str, rooms: &[&str]) -> CaseResult {
    let quoted: Vec<String> = rooms.iter().map(|r| format!("\"{r}\"")).collect();
    control(
        ws,
        id,
        &format!(r#"["join",[{}]]"#, quoted.join(",")),
        t(&format!(r#"43{id}[["{sid}",{}]]"#, quoted.join(","))),
    )
    .await
}

/// A `broadcast` with `spec` from a sender that gets no copy of it: the ack is its next frame.
async fn broadcast(ws: &mut Ws, id: u32, spec: &str) -> CaseResult {
    control(
        ws,
        id,
        &format!(r#"["broadcast",{spec}]"#),
        t(&format!("43{id}[]")),
    )
    .await
}

/// A `broadcast` of `event`(`arg`, a JSON value) to `rooms` from `sender`, which is in none of
/// them.
async fn to_rooms(sender: &mut Ws, id: u32, rooms: &[&str], event: &str, arg: &str) -> CaseResult {
    let rooms: Vec<String> = rooms.iter().map(|r| format!("\"{r}\"")).collect();
    let rooms = rooms.join(",");
    broadcast(
        sender,
        id,
        &format!(r#"{{"target":"rooms","rooms":[{rooms}],"event":"{event}","args":[{arg}]}}"#),
    )
    .await
}

/// The next frame of `ws` is the event `event`(`arg`).
async fn receives(ws: &mut Ws, step: &str, event: &str, arg: &str) -> CaseResult {
    ws.expect(step, t(&format!(r#"42["{event}",{arg}]"#)))
        .await
        .map(|_| ())
}

/// Proves that `target` (on another node than `sender`) received nothing since its last frame:
/// `sender` broadcasts `marker`(`tag`) to `target`'s own room, and that must be its next frame.
async fn remote_marker(
    sender: &mut Ws,
    id: u32,
    target: &mut Ws,
    target_sid: &str,
    tag: &str,
) -> CaseResult {
    let tag_json = format!("\"{tag}\"");
    to_rooms(sender, id, &[target_sid], "marker", &tag_json).await?;
    receives(
        target,
        &format!("next frame is marker {tag:?} from the other node (nothing else was received)"),
        "marker",
        &tag_json,
    )
    .await
}

both_ways!(broadcast_all, broadcast_all_once);

async fn broadcast_all_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let (mut a, _) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    // Integers of one, two and four bytes and a negative one: a node's encoder must keep each.
    c.send(r#"421["broadcast",{"target":"all","event":"c-all","args":[1,300,70000,-200]}]"#)
        .await?;
    let event = r#"42["c-all",1,300,70000,-200]"#;
    c.expect("the sender's own copy (before the ack)", t(event))
        .await?;
    c.expect("broadcast ack", t("431[]")).await?;
    a.expect(
        "the broadcast, on the other node, every argument intact",
        t(event),
    )
    .await?;
    Ok(())
}

both_ways!(broadcast_others, broadcast_others_once);

async fn broadcast_others_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let (mut a, _) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    broadcast(
        &mut c,
        1,
        r#"{"target":"others","event":"c-others","args":[2]}"#,
    )
    .await?;
    receives(&mut a, "the broadcast, on the other node", "c-others", "2").await?;
    marker(&mut c, "/", "sender-left-out").await
}

both_ways!(broadcast_room, broadcast_room_once);

async fn broadcast_room_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let room = unique("room");
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut d, d_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    join_rooms(&mut a, 1, &a_sid, &[&room]).await?;
    to_rooms(&mut c, 1, &[&room], "c-room", "3").await?;
    receives(
        &mut a,
        "the broadcast to its room, from the other node",
        "c-room",
        "3",
    )
    .await?;
    remote_marker(&mut c, 2, &mut d, &d_sid, "not-in-the-room").await
}

both_ways!(several_rooms_once, several_rooms_once_once);

async fn several_rooms_once_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let (r1, r2) = (unique("r1"), unique("r2"));
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    join_rooms(&mut a, 1, &a_sid, &[&r1, &r2]).await?;
    to_rooms(&mut c, 1, &[&r1, &r2], "c-once", "4").await?;
    receives(&mut a, "the broadcast, once", "c-once", "4").await?;
    remote_marker(&mut c, 2, &mut a, &a_sid, "no-second-copy").await
}

both_ways!(except, except_once);

async fn except_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let (r1, r2) = (unique("r1"), unique("r2"));
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut b, b_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    join_rooms(&mut a, 1, &a_sid, &[&r1, &r2]).await?;
    join_rooms(&mut b, 1, &b_sid, &[&r1]).await?;
    broadcast(
        &mut c,
        1,
        &format!(
            r#"{{"target":"rooms","rooms":["{r1}"],"except":["{r2}"],"event":"c-except","args":[5]}}"#
        ),
    )
    .await?;
    receives(
        &mut b,
        "the broadcast (not in the excepted room)",
        "c-except",
        "5",
    )
    .await?;
    remote_marker(&mut c, 2, &mut a, &a_sid, "excepted").await
}

both_ways!(to_socket_id, to_socket_id_once);

async fn to_socket_id_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    to_rooms(&mut c, 1, &[&a_sid], "c-private", "6").await?;
    receives(
        &mut a,
        "the broadcast to its own room (its id), from the other node",
        "c-private",
        "6",
    )
    .await?;
    Ok(())
}

both_ways!(binary, binary_once);

async fn binary_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    c.send(&format!(
        r#"451-1["broadcast",{{"target":"rooms","rooms":["{a_sid}"],"event":"c-bin","args":[{{"_placeholder":true,"num":0}}]}}]"#
    ))
    .await?;
    c.send_binary(&[1, 2, 3]).await?;
    c.expect("broadcast ack", t("431[]")).await?;
    a.expect(
        "the binary broadcast's header, from the other node",
        t(r#"451-["c-bin",{"_placeholder":true,"num":0}]"#),
    )
    .await?;
    a.expect("its attachment, unchanged", Want::binary(&[1, 2, 3]))
        .await?;
    Ok(())
}

both_ways!(leave, leave_once);

async fn leave_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let room = unique("left");
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    join_rooms(&mut a, 1, &a_sid, &[&room]).await?;
    control(
        &mut a,
        2,
        &format!(r#"["leave","{room}"]"#),
        t(&format!(r#"432[["{a_sid}"]]"#)),
    )
    .await?;
    to_rooms(&mut c, 1, &[&room], "c-left", "7").await?;
    remote_marker(&mut c, 2, &mut a, &a_sid, "after-leave").await
}

/// The `fetch-sockets` ack for `sockets` (id, rooms after it), sorted by id.
fn fetched(id: u32, sockets: &[(&str, &str)]) -> Want {
    let mut sockets = sockets.to_vec();
    sockets.sort();
    let list: Vec<serde_json::Value> = sockets
        .iter()
        .map(|(sid, room)| serde_json::json!({"id": sid, "rooms": [sid, room]}))
        .collect();
    Want::Json(format!("43{id}"), serde_json::json!([list]))
}

both_ways!(fetch_sockets, fetch_sockets_once);

async fn fetch_sockets_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let room = unique("fetched");
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut b, b_sid) = client(cx, from).await?;
    let (mut c, _) = client(cx, from).await?;
    join_rooms(&mut a, 1, &a_sid, &[&room]).await?;
    join_rooms(&mut b, 1, &b_sid, &[&room]).await?;
    control(
        &mut c,
        1,
        &format!(r#"["fetch-sockets",{{"rooms":["{room}"]}}]"#),
        fetched(
            1,
            &[
                (a_sid.as_str(), room.as_str()),
                (b_sid.as_str(), room.as_str()),
            ],
        ),
    )
    .await
}

both_ways!(sockets_join, sockets_join_once);

async fn sockets_join_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let room = unique("joined");
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    control(
        &mut c,
        1,
        &format!(r#"["sockets-join",{{"rooms":["{a_sid}"],"join":"{room}"}}]"#),
        t("431[]"),
    )
    .await?;
    control(
        &mut c,
        2,
        &format!(r#"["fetch-sockets",{{"rooms":["{room}"]}}]"#),
        fetched(2, &[(a_sid.as_str(), room.as_str())]),
    )
    .await?;
    to_rooms(&mut c, 3, &[&room], "c-joined", "8").await?;
    receives(
        &mut a,
        "the broadcast to the room the other node made it join",
        "c-joined",
        "8",
    )
    .await?;
    Ok(())
}

both_ways!(sockets_leave, sockets_leave_once);

async fn sockets_leave_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let room = unique("made-to-leave");
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    join_rooms(&mut a, 1, &a_sid, &[&room]).await?;
    control(
        &mut c,
        1,
        &format!(r#"["sockets-leave",{{"rooms":["{a_sid}"],"leave":"{room}"}}]"#),
        t("431[]"),
    )
    .await?;
    to_rooms(&mut c, 2, &[&room], "c-made-to-leave", "9").await?;
    remote_marker(&mut c, 3, &mut a, &a_sid, "after-sockets-leave").await
}

both_ways!(disconnect_sockets, disconnect_sockets_once);

async fn disconnect_sockets_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let room = unique("disconnected");
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    join_rooms(&mut a, 1, &a_sid, &[&room]).await?;
    control(
        &mut c,
        1,
        &format!(r#"["disconnect-sockets",{{"rooms":["{room}"]}}]"#),
        t("431[]"),
    )
    .await?;
    a.expect(
        "DISCONNECT, from the other node's disconnectSockets",
        t("41"),
    )
    .await?;
    marker(&mut c, "/", "sender-still-connected").await
}

both_ways!(server_side_emit, server_side_emit_once);

async fn server_side_emit_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let (mut a, _) = client(cx, to).await?;
    let (mut c, _) = client(cx, from).await?;
    control(
        &mut c,
        1,
        r#"["server-side-emit",{"args":[1,"x"]}]"#,
        t("431[]"),
    )
    .await?;
    a.expect(
        "the other node's answer to the server-side event",
        t(r#"42["server-side-event",1,"x"]"#),
    )
    .await?;
    // serverSideEmit reaches the other nodes only.
    marker(&mut c, "/", "not-on-the-sender's-node").await
}

both_ways!(server_side_emit_with_ack, server_side_emit_with_ack_once);

/// Every node but `from` answers, whatever `_to`.
async fn server_side_emit_with_ack_once(cx: &mut Ctx, from: usize, _to: usize) -> CaseResult {
    let others = cx.node_count() - 1;
    let (mut c, _) = client(cx, from).await?;
    let answers = vec![serde_json::json!("ok"); others];
    control(
        &mut c,
        1,
        r#"["server-side-emit",{"args":[2],"ack":true}]"#,
        Want::Json("431".into(), serde_json::json!([answers])),
    )
    .await
}

async fn server_count(cx: &mut Ctx) -> CaseResult {
    let nodes = cx.node_count();
    for node in 0..nodes {
        let (mut c, _) = client(cx, node).await?;
        control(
            &mut c,
            1,
            r#"["server-count"]"#,
            t(&format!("431[{nodes}]")),
        )
        .await?;
    }
    Ok(())
}

both_ways!(broadcast_with_ack, broadcast_with_ack_once);

async fn broadcast_with_ack_once(cx: &mut Ctx, from: usize, to: usize) -> CaseResult {
    let room = unique("acked");
    let (mut a, a_sid) = client(cx, to).await?;
    let (mut b, b_sid) = client(cx, from).await?;
    let (mut c, _) = client(cx, from).await?;
    join_rooms(&mut a, 1, &a_sid, &[&room]).await?;
    join_rooms(&mut b, 1, &b_sid, &[&room]).await?;
    control(
        &mut c,
        1,
        &format!(
            r#"["broadcast-with-ack",{{"rooms":["{room}"],"event":"q","args":[1],"timeout":2000}}]"#
        ),
        t("431[]"),
    )
    .await?;
    for (ws, answer) in [(&mut a, "from-a"), (&mut b, "from-b")] {
        let asked = ws
            .expect("the event, asking for an ack", p(r#"42<ack>["q",1]"#))
            .await?;
        ws.send(&format!(r#"43{}["{answer}"]"#, asked["ack"]))
            .await?;
    }
    c.expect(
        "every answer, from both nodes",
        t(r#"42["broadcast-with-ack-result",{"responses":["from-a","from-b"]}]"#),
    )
    .await?;
    Ok(())
}

/// The cluster cases (run only with two `--url` or more).
pub fn cases() -> Vec<Case> {
    let case = |id, title, body, section: &'static str| {
        Case::new(id, title, body)
            .spec(CONTRACT, section)
            .server(Server::SioMain)
            .requires(Capability::ContractExtensions)
            .tags(&["websocket", "cluster", "contract"])
            .alone()
    };
    vec![
        case(
            "cluster.broadcast.all",
            "A broadcast to all from one node reaches the sockets of another node",
            crate::body!(broadcast_all),
            "§7 cluster (broadcast, target all)",
        ),
        case(
            "cluster.broadcast.others",
            "A broadcast to others reaches another node's sockets and leaves out the sender",
            crate::body!(broadcast_others),
            "§7 cluster (broadcast, target others)",
        ),
        case(
            "cluster.broadcast.room",
            "A broadcast to one room reaches its members on another node and nobody else there",
            crate::body!(broadcast_room),
            "§7 cluster (broadcast, target rooms)",
        ),
        case(
            "cluster.broadcast.several-rooms-once",
            "A broadcast to two rooms reaches a socket of another node in both of them once",
            crate::body!(several_rooms_once),
            "§7 cluster (broadcast, target rooms)",
        ),
        case(
            "cluster.broadcast.except",
            "A broadcast's except rooms are left out on another node too",
            crate::body!(except),
            "§7 cluster (broadcast, except)",
        ),
        case(
            "cluster.broadcast.to-socket-id",
            "A broadcast to a socket's own room (its id) reaches it from another node",
            crate::body!(to_socket_id),
            "§7 cluster (broadcast, target rooms)",
        ),
        case(
            "cluster.broadcast.binary",
            "A broadcast with a binary argument reaches another node's socket with its attachment intact",
            crate::body!(binary),
            "§7 cluster (broadcast, binary arguments)",
        ),
        case(
            "cluster.rooms.leave",
            "A socket that left a room gets no more of its broadcasts from another node",
            crate::body!(leave),
            "§7 cluster (rooms)",
        ),
        case(
            "cluster.fetch-sockets",
            "fetchSockets lists the sockets of a room on every node",
            crate::body!(fetch_sockets),
            "§7 cluster control events (fetch-sockets)",
        ),
        case(
            "cluster.sockets-join",
            "socketsJoin from one node makes another node's socket join the room",
            crate::body!(sockets_join),
            "§7 cluster control events (sockets-join)",
        ),
        case(
            "cluster.sockets-leave",
            "socketsLeave from one node makes another node's socket leave the room",
            crate::body!(sockets_leave),
            "§7 cluster control events (sockets-leave)",
        ),
        case(
            "cluster.disconnect-sockets",
            "disconnectSockets from one node disconnects another node's socket",
            crate::body!(disconnect_sockets),
            "§7 cluster control events (disconnect-sockets)",
        ),
        case(
            "cluster.server-side-emit",
            "serverSideEmit reaches every other node, not the sender's",
            crate::body!(server_side_emit),
            "§7 cluster control events (server-side-emit)",
        ),
        case(
            "cluster.server-side-emit-with-ack",
            "serverSideEmitWithAck gathers one answer from every other node",
            crate::body!(server_side_emit_with_ack),
            "§7 cluster control events (server-side-emit)",
        ),
        case(
            "cluster.server-count",
            "Every node counts every node of the cluster (serverCount)",
            crate::body!(server_count),
            "§7 cluster control events (server-count)",
        ),
        case(
            "cluster.broadcast-with-ack",
            "A broadcast with acks gathers the answers of sockets on every node",
            crate::body!(broadcast_with_ack),
            "§7 cluster control events (broadcast-with-ack)",
        ),
    ]
}
