//! One step, one batch: the orderings Node gets from handling a POST's (or a socket read's)
//! packets in one tick, with the race each one is about forced deterministically (the
//! application holds its handling until the client's next request is where the race needs it).
//!
//! - a POST is answered `ok` only after the application has handled its messages, so the GET
//!   that follows gets every reply, and a close the application makes is `6␞1` on that GET;
//! - the CONNECT reply and what the connection handler emits reach one GET;
//! - two CONNECTs of one WebSocket burst both join (two sockets), as in Node.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use sio_contract_server as contract;
use sio_reference_server::socketio::{SocketIo, SocketIoConfig, Value};
use sio_reference_server::{Connection, Engine, EngineConfig, SocketEvent};

use crate::support::sio::SioWs;
use crate::support::{RawResponse, Seen, Server, raw_request, sid_of, within};

/// How long an application holds its handling waiting for the client's next request (the race
/// window made wide). Only the pre-fix server ever waits it out.
const HOLD: Duration = Duration::from_millis(150);

/// Serves `router` as the contract binary does (TCP_NODELAY, as Node).
async fn serve(router: axum::Router) -> SocketAddr {
    sio_test_support::serve_here(router).await
}

async fn request(addr: SocketAddr, method: &str, target: &str, body: &str) -> RawResponse {
    let headers = [("Content-Type", "text/plain;charset=UTF-8")];
    within(
        &format!("{method} {target}"),
        raw_request(addr, method, target, &headers, body.as_bytes()),
    )
    .await
    .unwrap()
}

/// Blocks (this is a synchronous handler's view) until `sid` holds a GET, at most [`HOLD`].
fn hold_until_get_held(engine: &Engine, sid: &str) {
    let start = Instant::now();
    while !engine.has_held_get(sid) && start.elapsed() < HOLD {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// An engine whose application, for each message, first waits until the client's GET is held
/// (at most [`HOLD`]), then echoes it, or closes the session on `close`.
async fn holding_echo(config: EngineConfig) -> (SocketAddr, Engine) {
    let cell: Arc<OnceLock<Engine>> = Arc::new(OnceLock::new());
    let c = cell.clone();
    let engine = Engine::new(config, move |mut conn: Connection| {
        let engine = c
            .get()
            .cloned()
            .expect("the engine is set before any request");
        tokio::spawn(async move {
            while let Some(event) = conn.recv().await {
                let SocketEvent::Message(data) = event else {
                    continue;
                };
                let sid = conn.socket().id().to_owned();
                let e = engine.clone();
                tokio::task::spawn_blocking(move || hold_until_get_held(&e, &sid))
                    .await
                    .unwrap();
                match data {
                    sio_reference_server::EngineData::Text(t) if t == "close" => {
                        conn.socket().close()
                    }
                    data => {
                        conn.socket().send(data);
                    }
                }
            }
        });
    });
    let _ = cell.set(engine.clone());
    (serve(engine.router()).await, engine)
}

/// The echo server's options with no ping during the test.
fn quiet() -> EngineConfig {
    let mut config = contract::echo_config();
    config.ping_interval = Duration::from_secs(25);
    config.ping_timeout = Duration::from_secs(20);
    config
}

async fn handshake(addr: SocketAddr) -> String {
    let r = request(addr, "GET", "/engine.io/?EIO=4&transport=polling", "").await;
    sid_of(&r.text()[1..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_answered_after_the_application_has_handled_its_messages() {
    // eio.message.polling.text-and-binary, replay.eio.polling.batch-binary: the echo of a
    // 2-packet POST comes back in the one GET issued after the `ok`.
    let (addr, _engine) = holding_echo(quiet()).await;
    let sid = handshake(addr).await;
    let q = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    request(addr, "POST", &q, "4hello\u{1e}bAQIDBA==")
        .await
        .is_ok();
    request(addr, "GET", &q, "")
        .await
        .is_payload("4hello\u{1e}bAQIDBA==");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_close_while_handling_a_post_comes_before_the_next_get() {
    // replay.sio.errors.event-before-connect: the close happens before `ok`, so the GET issued
    // after it finds an orderly close waiting: `6␞1`, never a bare `1`.
    let (addr, engine) = holding_echo(quiet()).await;
    let sid = handshake(addr).await;
    let q = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    request(addr, "POST", &q, "4close").await.is_ok();
    request(addr, "GET", &q, "").await.is_payload("6\u{1e}1");
    assert!(!engine.has_session(&sid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_application_holds_a_post_only_for_application_wait() {
    // The application takes its first batch and never asks for more.
    let config = {
        let mut c = contract::echo_config();
        c.application_wait = Duration::from_millis(200);
        c
    };
    let engine = Engine::new(config, |mut conn: Connection| {
        tokio::spawn(async move {
            let _first = conn.recv_batch().await;
            std::future::pending::<()>().await;
        });
    });
    let addr = serve(engine.router()).await;
    let sid = handshake(addr).await;
    let q = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    let start = Instant::now();
    request(addr, "POST", &q, "4a").await.is_ok();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(190) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    // A POST without messages does not wait.
    let start = Instant::now();
    request(addr, "POST", &q, "6").await.is_ok();
    assert!(start.elapsed() < Duration::from_millis(150));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connect_reply_and_the_connection_handlers_emits_reach_one_get() {
    // eio3.heartbeat.polling.ping, eio3.polling.binary-b64, eio3.polling.utf16-length: after
    // the v3 handshake, Node's first GET gets `2:40` and `13:42["auth",{}]` together (the
    // implicit join of `/` writes both in one tick). Here the connection handler holds until
    // that GET is held, so without the cork the GET would take `2:40` alone.
    let cell: Arc<OnceLock<Engine>> = Arc::new(OnceLock::new());
    let io = SocketIo::new(SocketIoConfig::default());
    let c = cell.clone();
    io.of("/").on_connection(move |socket| {
        if let Some(engine) = c.get() {
            hold_until_get_held(engine, socket.conn().id());
        }
        let _ = socket.emit_args("auth", vec![Value::Object(Vec::new())]);
    });
    let engine = io.engine({
        let mut c = contract::engine_config("/socket.io-eio3/");
        c.allow_eio3 = true;
        c
    });
    let _ = cell.set(engine.clone());
    let addr = serve(engine.router()).await;
    let open = request(addr, "GET", "/socket.io-eio3/?EIO=3&transport=polling", "").await;
    let text = open.text();
    let sid = sid_of(&text[text.find(":0").unwrap() + 2..]);
    let q = format!("/socket.io-eio3/?EIO=3&transport=polling&sid={sid}");
    request(addr, "GET", &q, "")
        .await
        .is_payload(r#"2:4013:42["auth",{}]"#);
}

/// sio-main on its own, with its Socket.IO server (to look at the namespaces).
async fn sio_main() -> (Server, SocketIo) {
    let io = contract::sio::sio_main(&|c| c);
    let sio = io.engine(contract::engine_config("/socket.io/"));
    let addr = serve(sio.router()).await;
    let idle = || Engine::new(EngineConfig::default(), |_| {});
    let srv = Server {
        addr,
        engine: idle(),
        sio,
        recovery: idle(),
    };
    (srv, io)
}

#[tokio::test]
async fn two_connects_in_one_websocket_burst_make_two_sockets() {
    // replay.client.websocket-only: socket.io-client wrote `40/custom,` twice back to back;
    // both joins start before either completes, so Node has two sockets (two replies, two
    // `auth`), and the namespace's packets go to the last one.
    let (srv, io) = sio_main().await;
    let custom = io.of("/custom");
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("40/custom,").await;
    c.send("40/custom,").await;
    let first = c.connect_reply("/custom,").await;
    c.expect(r#"42/custom,["auth",{}]"#).await;
    let second = c.connect_reply("/custom,").await;
    c.expect(r#"42/custom,["auth",{}]"#).await;
    assert_ne!(first, second);
    assert_eq!(custom.sockets().len(), 2);
    c.send(r#"42/custom,["message","x"]"#).await;
    c.expect(r#"42/custom,["message-back","x"]"#).await;
    // The namespace is joined now: another CONNECT closes the whole connection, and both
    // sockets leave.
    c.send("40/custom,").await;
    c.expect_closed().await;
    within("both sockets to leave", async {
        while !custom.sockets().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_client_namespace_disconnect_of_one_of_two_sockets_leaves_the_other_connected() {
    // The rest of replay.client.websocket-only: `41/custom,` removes the socket the client's
    // map points to (the last); the first stays in the namespace until the connection closes.
    let (srv, io) = sio_main().await;
    let custom = io.of("/custom");
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send("40/custom,").await;
    c.send("40/custom,").await;
    let first = c.connect_reply("/custom,").await;
    c.expect(r#"42/custom,["auth",{}]"#).await;
    let _second = c.connect_reply("/custom,").await;
    c.expect(r#"42/custom,["auth",{}]"#).await;
    c.send("41/custom,").await;
    c.send("41").await;
    within("the second socket to leave", async {
        while custom.sockets().len() != 1 {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(custom.sockets()[0].id(), first);
    c.ws.ws.close(None).await.unwrap();
    assert!(matches!(c.ws.next().await, Seen::Close(_) | Seen::Gone));
    within("the first socket to leave", async {
        while !custom.sockets().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await;
}

/// How long the `block` handler holds the connection's task: both later reads arrive within it.
const BLOCKED: Duration = Duration::from_millis(400);

/// The gap between the frames meant to be read apart.
const READ_GAP: Duration = Duration::from_millis(100);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_completes_between_two_reads_queued_while_the_application_was_busy() {
    // A CONNECT in one read and an EVENT for that namespace in a later read: Node completes the
    // join (`process.nextTick`) before it handles the next read, so the event reaches the new
    // socket. Here both reads queue up while a handler blocks the connection's task (the
    // WebSocket reader runs on the other thread): they must still be handled as two inputs,
    // with the join completed in between, not as one batch where the EVENT would find the
    // namespace not joined yet and close the connection.
    let (srv, io) = sio_main().await;
    io.of("/").on_connection(|socket| {
        socket.on("block", || {
            tokio::task::block_in_place(|| std::thread::sleep(BLOCKED));
        });
    });
    let (mut c, _) = SioWs::connected(&srv).await;
    c.send(r#"42["block"]"#).await;
    // Each frame in a read of its own: the reader takes what has arrived, at once (the gaps
    // are wide so that a loaded machine still reads them apart).
    tokio::time::sleep(READ_GAP).await;
    c.send("40/custom,").await;
    tokio::time::sleep(READ_GAP).await;
    c.send(r#"42/custom,["message","x"]"#).await;
    c.connect_reply("/custom,").await;
    c.expect(r#"42/custom,["auth",{}]"#).await;
    c.expect(r#"42/custom,["message-back","x"]"#).await;
}
