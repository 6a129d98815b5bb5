//! `EngineConfig::timer_slack`: pings that fall due within the slack of each other leave in
//! one wakeup, the later ones early, never late. Real time, with margins wide enough for a
//! loaded machine: two sessions opened [`SPACING`] apart get their first pings together with a
//! slack that covers the spacing, and [`SPACING`] apart without one.

use std::time::{Duration, Instant};

use sio_contract_server as contract;

use crate::support::{Seen, Server, WsClient};

const PING_INTERVAL: Duration = Duration::from_millis(800);
/// Between the two sessions' opens, so between their first pings' deadlines.
const SPACING: Duration = Duration::from_millis(100);

/// When `ws`'s first ping arrived.
async fn first_ping(ws: &mut WsClient) -> Instant {
    assert_eq!(ws.next().await, Seen::Text("2".into()));
    Instant::now()
}

/// Opens two WebSocket sessions [`SPACING`] apart; returns how long the first one waited for
/// its first ping, and the time between the two first pings.
async fn two_sessions(slack: Duration) -> (Duration, Duration) {
    let srv = Server::start_with({
        let mut c = contract::echo_config();
        c.ping_interval = PING_INTERVAL;
        c.ping_timeout = Duration::from_secs(2);
        c.timer_slack = slack;
        c
    })
    .await;
    let query = "EIO=4&transport=websocket";
    let mut a = srv.ws(query).await;
    a.open_packet().await;
    let opened = Instant::now();
    tokio::time::sleep(SPACING).await;
    let mut b = srv.ws(query).await;
    b.open_packet().await;
    let (ping_a, ping_b) = tokio::join!(first_ping(&mut a), first_ping(&mut b));
    let between = ping_b
        .checked_duration_since(ping_a)
        .unwrap_or_else(|| ping_a - ping_b);
    (ping_a - opened, between)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_due_within_the_slack_fire_together() {
    // The first session's ping is due at 800 ms, the second's at about 900 ms and may leave
    // from 700 ms (a slack over a quarter of the interval counts as 200 ms): the driver wakes
    // at 800 ms and sends both (100 ms to spare if the second open is late).
    let (waited, between) = two_sessions(Duration::from_millis(400)).await;
    assert!(
        between < SPACING / 2,
        "pings {between:?} apart: not coalesced"
    );
    // The first ping is the earliest due: it leaves when due, not early. The session was
    // created before its open packet reached us: a ping sent on time could arrive a hair under
    // the interval after that.
    assert!(
        waited >= PING_INTERVAL - Duration::from_millis(10),
        "ping after {waited:?}: earlier than pingInterval"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_slack_each_timer_fires_when_due() {
    let (waited, between) = two_sessions(Duration::ZERO).await;
    assert!(
        between >= SPACING / 2,
        "pings {between:?} apart: fired together without slack"
    );
    assert!(waited >= PING_INTERVAL - Duration::from_millis(10));
}
