//! Connection state recovery on sio-recovery (`/socket.io-recovery/`, window 1000 ms;
//! behaviour tag §5 and the transcripts sio.recovery.*).

use crate::support::Server;
use crate::support::sio::SioWs;

const PATH: &str = "/socket.io-recovery/";

/// The last array element of an EVENT frame, which must be a string offset.
fn offset(frame: &str) -> String {
    let json = &frame[frame.find('[').unwrap()..];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v.as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// `40{"sid","pid"}`: both ids.
async fn connect_reply(c: &mut SioWs) -> (String, String) {
    let t = c.text().await;
    let v: serde_json::Value = serde_json::from_str(t.strip_prefix("40").unwrap()).unwrap();
    let o = v.as_object().unwrap();
    assert_eq!(o.keys().collect::<Vec<_>>(), ["sid", "pid"], "{t}");
    (
        o["sid"].as_str().unwrap().to_owned(),
        o["pid"].as_str().unwrap().to_owned(),
    )
}

/// A fresh connection to `/`: (client, sid, pid, offset of the auth event).
async fn fresh(srv: &Server) -> (SioWs, String, String, String) {
    let mut c = SioWs::open_at(srv, PATH).await;
    c.send("40").await;
    let (sid, pid) = connect_reply(&mut c).await;
    let auth = c.text().await;
    assert!(auth.starts_with(r#"42["auth",{},""#), "{auth}");
    let off = offset(&auth);
    (c, sid, pid, off)
}

/// Drops the WebSocket without a close frame and waits until the server saw it.
async fn drop_connection(srv: &Server, c: SioWs) {
    let eio = c.eio_sid.clone();
    drop(c);
    crate::support::within("the server to see the drop", async {
        while srv.recovery.has_session(&eio) {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// sio.recovery.offsets: EVENTs without an ack id carry an offset; acks, events with an ack
/// id and volatile events do not.
#[tokio::test]
async fn offsets_on_events_only() {
    let srv = Server::start().await;
    let (mut c, _, _, _) = fresh(&srv).await;
    c.send(r#"42["message",1]"#).await;
    let back = c.text().await;
    assert!(back.starts_with(r#"42["message-back",1,""#), "{back}");
    c.send(r#"421["message-with-ack",1]"#).await;
    c.expect("431[1]").await;
    c.send(r#"423["broadcast",{"target":"self","event":"vol","volatile":true}]"#)
        .await;
    c.expect(r#"42["vol"]"#).await;
    c.expect("433[]").await;
    c.send(r#"424["emit-with-ack",{"event":"ask"}]"#).await;
    c.expect(r#"420["ask"]"#).await;
    c.expect("434[]").await;
    c.send(r#"430["yes"]"#).await;
    let result = c.text().await;
    assert!(
        result.starts_with(r#"42["emit-with-ack-result",{"args":["yes"]},""#),
        "{result}"
    );
}

/// sio.recovery.missed-broadcast: the missed packets come before the CONNECT reply, with
/// their offsets; same sid and pid, rooms and auth kept, `recovered` true.
#[tokio::test]
async fn missed_packets_then_connect() {
    let srv = Server::start().await;
    let (mut a, sid, pid, off) = fresh(&srv).await;
    a.send(r#"421["join","r1"]"#).await;
    a.expect(&format!(r#"431[["{sid}","r1"]]"#)).await;
    let (mut b, _, _, _) = fresh(&srv).await;
    drop_connection(&srv, a).await;
    b.send(r#"421["broadcast",{"target":"all","event":"news","args":[1]}]"#)
        .await;
    let news = b.text().await;
    b.expect("431[]").await;
    b.send(r#"422["broadcast",{"target":"rooms","rooms":"r1","event":"room","args":[2]}]"#)
        .await;
    b.expect("432[]").await;
    let mut a = SioWs::open_at(&srv, PATH).await;
    a.send(&format!(r#"40{{"pid":"{pid}","offset":"{off}"}}"#))
        .await;
    a.expect(&news).await;
    let room = a.text().await;
    assert!(room.starts_with(r#"42["room",2,""#), "{room}");
    assert_eq!(connect_reply(&mut a).await, (sid.clone(), pid.clone()));
    let auth = a.text().await;
    assert!(
        auth.starts_with(&format!(
            r#"42["auth",{{"pid":"{pid}","offset":"{off}"}},""#
        )),
        "{auth}"
    );
    a.send(r#"422["get-state"]"#).await;
    let state = a.text().await;
    assert!(
        state.contains(&format!(r#""rooms":["{sid}","r1"],"recovered":true"#)),
        "{state}"
    );
}

/// No recovery after a client DISCONNECT, nor with an unknown pid or offset: a fresh socket.
#[tokio::test]
async fn non_recovery_cases() {
    let srv = Server::start().await;
    let (mut a, sid, pid, off) = fresh(&srv).await;
    a.send("41").await;
    a.send(&format!(r#"40{{"pid":"{pid}","offset":"{off}"}}"#))
        .await;
    let (sid2, pid2) = connect_reply(&mut a).await;
    assert_ne!((sid2.as_str(), pid2.as_str()), (sid.as_str(), pid.as_str()));
    a.text().await;

    let (c, _, pid3, off3) = fresh(&srv).await;
    drop_connection(&srv, c).await;
    for auth in [
        format!(r#"{{"pid":"nope","offset":"{off3}"}}"#),
        format!(r#"{{"pid":"{pid3}","offset":"nope"}}"#),
    ] {
        let mut c = SioWs::open_at(&srv, PATH).await;
        c.send(&format!("40{auth}")).await;
        let (_, pid) = connect_reply(&mut c).await;
        assert_ne!(pid, pid3);
    }
}

/// sio.recovery.middlewares-skipped: `/counted` reads 1 on a fresh and on a recovered socket.
#[tokio::test]
async fn middlewares_skipped_on_recovery() {
    let srv = Server::start().await;
    let mut c = SioWs::open_at(&srv, PATH).await;
    c.send("40/counted,").await;
    let t = c.text().await;
    let v: serde_json::Value =
        serde_json::from_str(t.strip_prefix("40/counted,").unwrap()).unwrap();
    let pid = v["pid"].as_str().unwrap().to_owned();
    let off = offset(&c.text().await);
    drop_connection(&srv, c).await;
    let mut c = SioWs::open_at(&srv, PATH).await;
    c.send(&format!(r#"40/counted,{{"pid":"{pid}","offset":"{off}"}}"#))
        .await;
    assert!(c.text().await.contains(&pid));
    c.text().await;
    c.send(r#"42/counted,1["get-state"]"#).await;
    let state = c.text().await;
    assert!(
        state.contains(r#""data":{"middlewareRuns":1}"#) && state.contains(r#""recovered":true"#),
        "{state}"
    );
}
