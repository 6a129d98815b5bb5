//! sio-main's contract (fixtures/CONTRACT.md §4) with several raw clients: rooms and every
//! broadcast target, acks both ways (binary, timeout), middlewares, server disconnect,
//! `get-state`, dynamic namespaces. Expected frames are the Node transcripts' (fixtures/transcripts/sio.*).

use crate::support::Server;
use crate::support::sio::{SioWs, redact};

async fn three(srv: &Server) -> [(SioWs, String); 3] {
    [
        SioWs::connected(srv).await,
        SioWs::connected(srv).await,
        SioWs::connected(srv).await,
    ]
}

/// sio.rooms.join-leave: rooms in join order, own id first.
#[tokio::test]
async fn join_and_leave_ack_the_rooms() {
    let srv = Server::start().await;
    let (mut c, sid) = SioWs::connected(&srv).await;
    let ids = [(sid.as_str(), "sid")];
    for (send, expect) in [
        (r#"421["join","r1"]"#, r#"431[["<sid>","r1"]]"#),
        (
            r#"422["join",["r2","r3"]]"#,
            r#"432[["<sid>","r1","r2","r3"]]"#,
        ),
        (r#"423["join","r1"]"#, r#"433[["<sid>","r1","r2","r3"]]"#),
        (r#"424["leave","r2"]"#, r#"434[["<sid>","r1","r3"]]"#),
        (r#"425["leave",["r1","nope"]]"#, r#"435[["<sid>","r3"]]"#),
    ] {
        c.send(send).await;
        assert_eq!(redact(&c.text().await, &ids), expect);
    }
}

/// sio.rooms.targets: self, all (sender included, event before the ack), others.
#[tokio::test]
async fn broadcast_targets() {
    let srv = Server::start().await;
    let [(mut a, _), (mut b, _), (mut c, _)] = three(&srv).await;
    a.send(r#"421["broadcast",{"target":"self","event":"e-self","args":[1]}]"#)
        .await;
    a.expect(r#"42["e-self",1]"#).await;
    a.expect("431[]").await;
    a.send(r#"422["broadcast",{"target":"all","event":"e-all","args":[2]}]"#)
        .await;
    a.expect(r#"42["e-all",2]"#).await;
    a.expect("432[]").await;
    b.expect(r#"42["e-all",2]"#).await;
    c.expect(r#"42["e-all",2]"#).await;
    a.send(r#"423["broadcast",{"target":"others","event":"e-others","args":[3]}]"#)
        .await;
    a.expect("433[]").await;
    b.expect(r#"42["e-others",3]"#).await;
    c.expect(r#"42["e-others",3]"#).await;
    // `a` got nothing else: its next frame is the echo of this message.
    a.send(r#"42["message","a3"]"#).await;
    a.expect(r#"42["message-back","a3"]"#).await;
}

/// Rooms: a socket in several target rooms gets the event once; rooms-others leaves the
/// sender out; except leaves a room out.
#[tokio::test]
async fn rooms_once_rooms_others_and_except() {
    let srv = Server::start().await;
    let [(mut a, _), (mut b, _), (mut c, _)] = three(&srv).await;
    a.send(r#"421["join",["r1","r2"]]"#).await;
    a.text().await;
    b.send(r#"421["join","r1"]"#).await;
    b.text().await;
    c.send(r#"421["join","r2"]"#).await;
    c.text().await;
    a.send(r#"422["broadcast",{"target":"rooms","rooms":["r1","r2"],"event":"e","args":["x"]}]"#)
        .await;
    a.expect(r#"42["e","x"]"#).await;
    a.expect("432[]").await;
    b.expect(r#"42["e","x"]"#).await;
    c.expect(r#"42["e","x"]"#).await;
    a.send(r#"423["broadcast",{"target":"rooms-others","rooms":"r1","event":"f"}]"#)
        .await;
    a.expect("433[]").await;
    b.expect(r#"42["f"]"#).await;
    a.send(r#"424["broadcast",{"target":"all","except":"r1","event":"g"}]"#)
        .await;
    a.expect("434[]").await;
    c.expect(r#"42["g"]"#).await;
    // b got nothing after f.
    b.send(r#"42["message","b"]"#).await;
    b.expect(r#"42["message-back","b"]"#).await;
    // Leaving then broadcasting: b no longer gets r1 events.
    b.send(r#"422["leave","r1"]"#).await;
    b.text().await;
    c.send(r#"422["broadcast",{"target":"rooms","rooms":"r1","event":"h"}]"#)
        .await;
    c.expect("432[]").await;
    a.expect(r#"42["h"]"#).await;
    b.send(r#"42["message","b2"]"#).await;
    b.expect(r#"42["message-back","b2"]"#).await;
}

/// The private room named after each socket id; binary broadcast shares its attachments.
#[tokio::test]
async fn private_room_and_binary_broadcast() {
    let srv = Server::start().await;
    let [(mut a, _), (mut b, bsid), (mut c, _)] = three(&srv).await;
    a.send(&format!(
        r#"421["broadcast",{{"target":"rooms","rooms":"{bsid}","event":"dm","args":[1]}}]"#
    ))
    .await;
    a.expect("431[]").await;
    b.expect(r#"42["dm",1]"#).await;
    c.send(r#"451-["broadcast",{"target":"all","event":"bin","args":[{"_placeholder":true,"num":0}]}]"#)
        .await;
    c.send_binary(&[9, 8]).await;
    for x in [&mut a, &mut b, &mut c] {
        x.expect(r#"451-["bin",{"_placeholder":true,"num":0}]"#)
            .await;
        x.expect_binary(&[9, 8]).await;
    }
}

/// sio.rooms.unknown-target.
#[tokio::test]
async fn unknown_target() {
    let srv = Server::start().await;
    let (mut a, _) = SioWs::connected(&srv).await;
    a.send(r#"421["broadcast",{"target":"nowhere","event":"x"}]"#)
        .await;
    a.expect(r#"431[{"error":"unknown target"}]"#).await;
}

/// sio.server-ack.answered / timeout: ids from a per-namespace counter from 0; the result
/// event after the client's answer or the timeout; a late answer is ignored.
#[tokio::test]
async fn server_acks_answered_and_timed_out() {
    let srv = Server::start().await;
    let (mut a, _) = SioWs::connected(&srv).await;
    let (mut b, _) = SioWs::connected(&srv).await;
    a.send(r#"421["emit-with-ack",{"event":"ask","args":[1]}]"#)
        .await;
    a.expect(r#"420["ask",1]"#).await;
    a.expect("431[]").await;
    b.send(r#"422["emit-with-ack",{"event":"ask","args":[2,{"x":"y"}]}]"#)
        .await;
    b.expect(r#"421["ask",2,{"x":"y"}]"#).await;
    b.expect("432[]").await;
    b.send(r#"431["second",true]"#).await;
    b.expect(r#"42["emit-with-ack-result",{"args":["second",true]}]"#)
        .await;
    a.send("430[]").await;
    a.expect(r#"42["emit-with-ack-result",{"args":[]}]"#).await;
    // Timeout.
    a.send(r#"423["emit-with-ack",{"event":"ask","timeout":50}]"#)
        .await;
    a.expect(r#"422["ask"]"#).await;
    a.expect("433[]").await;
    a.expect(r#"42["emit-with-ack-result",{"error":"operation has timed out"}]"#)
        .await;
    a.send(r#"432["late"]"#).await;
    a.send(r#"42["message","still here"]"#).await;
    a.expect(r#"42["message-back","still here"]"#).await;
}

/// sio.server-ack.binary: a binary answer to a server ack.
#[tokio::test]
async fn server_ack_with_binary_answer() {
    let srv = Server::start().await;
    let (mut a, _) = SioWs::connected(&srv).await;
    a.send(r#"421["emit-with-ack",{"event":"ask"}]"#).await;
    a.expect(r#"420["ask"]"#).await;
    a.expect("431[]").await;
    a.send(r#"461-0[{"_placeholder":true,"num":0}]"#).await;
    a.send_binary(&[1, 2]).await;
    a.expect(r#"451-["emit-with-ack-result",{"args":[{"_placeholder":true,"num":0}]}]"#)
        .await;
    a.expect_binary(&[1, 2]).await;
}

/// sio.ack.chained-through-echo: `message` with an ack id passes the ack on.
#[tokio::test]
async fn ack_chained_through_echo() {
    let srv = Server::start().await;
    let (mut a, _) = SioWs::connected(&srv).await;
    a.send(r#"423["message","a"]"#).await;
    a.expect(r#"420["message-back","a"]"#).await;
    a.send(r#"430["b"]"#).await;
    a.expect(r#"433["b"]"#).await;
}

/// Middleware refusal with data, acceptance with socket.data, get-state.
#[tokio::test]
async fn middleware_and_get_state() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    c.send(r#"40/admin,{"token":"nope"}"#).await;
    c.expect(r#"44/admin,{"message":"Not authorized","data":{"reason":"no token"}}"#)
        .await;
    c.send("40/plain,").await;
    c.expect(r#"44/plain,{"message":"nope"}"#).await;
    c.send(r#"40/admin,{"token":"secret"}"#).await;
    let sid = c.connect_reply("/admin,").await;
    c.expect(r#"42/admin,["auth",{"token":"secret"}]"#).await;
    c.send(r#"42/admin,1["get-state"]"#).await;
    assert_eq!(
        redact(&c.text().await, &[(&sid, "sid")]),
        r#"43/admin,1[{"id":"<sid>","nsp":"/admin","auth":{"token":"secret"},"query":{"EIO":"4","transport":"websocket"},"data":{"user":"admin"},"rooms":["<sid>"],"recovered":false,"eio":4,"transport":"websocket"}]"#
    );
    // Without an ack id get-state does nothing.
    c.send(r#"42/admin,["get-state"]"#).await;
    c.send(r#"42/admin,["message","x"]"#).await;
    c.expect(r#"42/admin,["message-back","x"]"#).await;
}

/// sio.connect.dynamic-namespace.
#[tokio::test]
async fn dynamic_namespaces() {
    let srv = Server::start().await;
    let mut c = SioWs::open(&srv).await;
    c.send("40/dynamic-x,").await;
    c.expect(r#"44/dynamic-x,{"message":"Invalid namespace"}"#)
        .await;
    c.send("40/dynamic-1,").await;
    let sid = c.connect_reply("/dynamic-1,").await;
    c.expect(r#"42/dynamic-1,["auth",{}]"#).await;
    c.send(r#"42/dynamic-1,2["get-state"]"#).await;
    let state = redact(&c.text().await, &[(&sid, "sid")]);
    assert!(
        state.starts_with(r#"43/dynamic-1,2[{"id":"<sid>","nsp":"/dynamic-1","auth":{}"#),
        "{state}"
    );
}

/// sio.disconnect.server / server-close: `41<nsp,>` per namespace in join order, then close.
#[tokio::test]
async fn server_disconnect() {
    let srv = Server::start().await;
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("40/admin,{\"token\":\"secret\"}").await;
    c.connect_reply("/admin,").await;
    c.text().await;
    c.send(r#"42/admin,["server-disconnect",{"close":false}]"#)
        .await;
    c.expect("41/admin,").await;
    // The engine connection stays; `/` still answers.
    c.send(r#"42["message","x"]"#).await;
    c.expect(r#"42["message-back","x"]"#).await;

    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("40/custom,").await;
    c.connect_reply("/custom,").await;
    c.text().await;
    c.send("40/admin,{\"token\":\"secret\"}").await;
    c.connect_reply("/admin,").await;
    c.text().await;
    c.send(r#"42["server-disconnect",{"close":true}]"#).await;
    c.expect("41").await;
    c.expect("41/custom,").await;
    c.expect("41/admin,").await;
    c.expect_closed().await;
}

/// A client `41` leaves the namespace's rooms.
#[tokio::test]
async fn client_disconnect_leaves_rooms() {
    let srv = Server::start().await;
    let (mut a, _) = SioWs::connected(&srv).await;
    let (mut b, _) = SioWs::connected(&srv).await;
    b.send(r#"421["join","r"]"#).await;
    b.text().await;
    b.send("41").await;
    a.send(r#"421["broadcast",{"target":"rooms","rooms":"r","event":"e"}]"#)
        .await;
    a.expect("431[]").await;
    b.send("40").await;
    b.connect_reply("").await;
    b.expect(r#"42["auth",{}]"#).await;
}
