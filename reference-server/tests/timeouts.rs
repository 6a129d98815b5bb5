//! Timeouts that close or refuse something fire when Node's would: at the deadline, late only
//! by what a loaded machine adds (Node's are plain `setTimeout`s), whatever
//! `EngineConfig::timer_slack` is. The official suites' "closes the session upon ping timeout"
//! sleeps exactly pingInterval + pingTimeout and expects the session gone.
//!
//! Each check is one-sided and cannot be fooled by the test's own lateness: "not late" looks at
//! the server at a fixed time after the event that armed the timer was complete on our side (a
//! test that wakes late only gives the server more time), and "not early" looks just before
//! the deadline counted from before that event, and only counts if the look really happened
//! before it.

use std::time::{Duration, Instant};

use sio_contract_server as contract;
use sio_reference_server::Engine;

use crate::support::sio::{MAIN, SioWs};
use crate::support::{Seen, Server, sid_of, within};

/// The contract's heartbeat (the official suites' servers').
const PING_INTERVAL: Duration = Duration::from_millis(300);
const PING_TIMEOUT: Duration = Duration::from_millis(200);

/// How late a timeout may be seen: the server's timer latency on a loaded 2-core machine (two
/// busy loops beside the test) plus one local request. Node meets the official test with no
/// allowance at all (it sleeps the exact sum, then connects and sends its GET). The old
/// coalescing fired a polling ping timeout 20 ms late at the default `timer_slack` (10 ms
/// after the ping's due time, 10 ms after the pong deadline), 150 ms late at 75 ms.
const LATE: Duration = Duration::from_millis(10);

/// [`LATE`] for a timeout seen through a frame it makes the server send: the test's own wakeup
/// to read it is in the figure too (up to about 8 ms more under the load above).
const SEEN_LATE: Duration = Duration::from_millis(25);

/// How long before a deadline the "not early" look is taken.
const EARLY: Duration = Duration::from_millis(15);

async fn sleep_until(t: Instant) {
    tokio::time::sleep_until(t.into()).await;
}

/// Whether `check` held at a look taken before `deadline`; `None` if the look came too late to
/// tell (the test itself was not scheduled in time).
async fn look_before(deadline: Instant, check: impl FnOnce() -> bool) -> Option<bool> {
    sleep_until(deadline - EARLY).await;
    let seen = check();
    (Instant::now() < deadline).then_some(seen)
}

/// The official "closes the session upon ping timeout" over polling at `path`, whose engine is
/// `engine`: a handshake, no pong, and a GET exactly pingInterval + pingTimeout later (plus
/// [`LATE`]) is refused as for an unknown sid.
async fn polling_ping_timeout(srv: &Server, path: &str, engine: &Engine) {
    let heartbeat = PING_INTERVAL + PING_TIMEOUT;
    let before = Instant::now();
    let r = srv
        .request("GET", &format!("{path}?EIO=4&transport=polling"), &[], b"")
        .await;
    let after = Instant::now();
    assert_eq!(r.status, 200, "{r:?}");
    let sid = sid_of(&r.text()[1..]);
    let alive = look_before(before + heartbeat, || engine.has_session(&sid)).await;
    assert_ne!(
        alive,
        Some(false),
        "closed before pingInterval + pingTimeout"
    );
    sleep_until(after + heartbeat + LATE).await;
    let poll = format!("{path}?EIO=4&transport=polling&sid={sid}");
    srv.request("GET", &poll, &[], b"")
        .await
        .is_error(1, "Session ID unknown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_ping_timeout_closes_at_interval_plus_timeout_engine_io() {
    let srv = Server::start().await;
    assert_eq!(srv.engine.config().timer_slack, Duration::from_millis(10));
    polling_ping_timeout(&srv, "/engine.io/", &srv.engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_ping_timeout_closes_at_interval_plus_timeout_socket_io() {
    let srv = Server::start().await;
    polling_ping_timeout(&srv, MAIN, &srv.sio).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_ping_timeout_is_exact_at_the_largest_slack() {
    // 75 ms is as early as a ping may leave at a 300 ms interval (a quarter of it).
    let srv = Server::start_with({
        let mut c = contract::echo_config();
        c.timer_slack = Duration::from_millis(75);
        c
    })
    .await;
    polling_ping_timeout(&srv, "/engine.io/", &srv.engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_ping_timeout_is_exact_at_a_large_slack() {
    let srv = Server::start_with({
        let mut c = contract::echo_config();
        c.timer_slack = Duration::from_millis(75);
        c
    })
    .await;
    let heartbeat = PING_INTERVAL + PING_TIMEOUT;
    let before = Instant::now();
    let mut ws = srv.ws("EIO=4&transport=websocket").await;
    let sid = sid_of(&ws.open_packet().await);
    let after = Instant::now();
    // The ping comes, and is not answered.
    ws.expect_text("2").await;
    let alive = look_before(before + heartbeat, || srv.engine.has_session(&sid)).await;
    assert_ne!(
        alive,
        Some(false),
        "closed before pingInterval + pingTimeout"
    );
    sleep_until(after + heartbeat + LATE).await;
    assert!(
        !srv.engine.has_session(&sid),
        "open {:?} after pingInterval + pingTimeout",
        after.elapsed() - heartbeat
    );
    assert_eq!(
        within("the close frame", ws.next()).await,
        Seen::Close(None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upgrade_timeout_is_exact_at_a_large_slack() {
    let upgrade_timeout = Duration::from_millis(200);
    let srv = Server::start_with({
        let mut c = contract::echo_config();
        c.timer_slack = Duration::from_millis(75);
        c.upgrade_timeout = upgrade_timeout;
        c
    })
    .await;
    let sid = srv.handshake().await;
    let before = Instant::now();
    let mut ws = srv
        .ws(&format!("EIO=4&transport=websocket&sid={sid}"))
        .await;
    // The upgrade starts on the server's side once the 101 is out: wait to see it.
    within("the upgrade to start", async {
        while !srv.engine.is_upgrading(&sid) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    let after = Instant::now();
    // No probe: "client did not complete upgrade - closing transport".
    let upgrading = look_before(before + upgrade_timeout, || srv.engine.is_upgrading(&sid)).await;
    assert_ne!(upgrading, Some(false), "given up before upgradeTimeout");
    sleep_until(after + upgrade_timeout + LATE).await;
    assert!(
        !srv.engine.is_upgrading(&sid),
        "still upgrading {:?} after upgradeTimeout",
        after.elapsed() - upgrade_timeout
    );
    assert!(srv.engine.has_session(&sid), "only the new transport ends");
    assert_eq!(
        within("the close frame", ws.next()).await,
        Seen::Close(None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connect_timeout_is_exact() {
    let srv = Server::start().await;
    let before = Instant::now();
    let c = SioWs::open(&srv).await;
    let after = Instant::now();
    let eio_sid = c.eio_sid.clone();
    // No CONNECT; the pings are answered so that only connectTimeout can end the session.
    let reader = tokio::spawn(async move {
        let mut c = c;
        c.next().await
    });
    let timeout = contract::sio::CONNECT_TIMEOUT;
    let alive = look_before(before + timeout, || srv.sio.has_session(&eio_sid)).await;
    assert_ne!(alive, Some(false), "closed before connectTimeout");
    sleep_until(after + timeout + LATE).await;
    assert!(
        !srv.sio.has_session(&eio_sid),
        "open {:?} after connectTimeout",
        after.elapsed() - timeout
    );
    assert_eq!(
        within("the close frame", reader).await.unwrap(),
        Seen::Close(None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_timeout_is_exact() {
    let srv = Server::start().await;
    let (mut a, _) = SioWs::connected(&srv).await;
    let timeout = Duration::from_millis(300);
    let before = Instant::now();
    a.send(r#"42["emit-with-ack",{"event":"ask","timeout":300}]"#)
        .await;
    a.expect(r#"420["ask"]"#).await;
    let after = Instant::now();
    // Not answered: the callback gets the timeout, and says so.
    a.expect(r#"42["emit-with-ack-result",{"error":"operation has timed out"}]"#)
        .await;
    let seen = Instant::now();
    assert!(
        seen >= before + timeout,
        "timed out after {:?}",
        seen - before
    );
    assert!(
        seen <= after + timeout + SEEN_LATE,
        "timed out {:?} late",
        seen - after - timeout
    );
}
