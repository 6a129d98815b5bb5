//! What a server leaves behind when its engine goes away with sessions open: its sockets leave
//! their namespaces, so nothing they hold (handlers, rooms, the namespace itself) outlives it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_reference_server::EngineConfig;
use sio_reference_server::socketio::{SocketIo, SocketIoConfig};
use sio_test_support::raw_http::raw_request;

use super::support::{sid_of, within};

/// One polling request on a fresh connection (none is kept open to hold the router).
async fn polling(addr: SocketAddr, method: &str, query: &str, body: &str) -> String {
    let target = format!("/socket.io/?EIO=4&transport=polling{query}");
    let response = within(
        "a polling request",
        raw_request(
            addr,
            method,
            &target,
            &[("Content-Type", "text/plain")],
            body.as_bytes(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 200, "{method} {target}");
    String::from_utf8(response.body).unwrap()
}

/// Found by the `front` fuzz target (a leak report): an engine built by `io.engine(..)` and
/// dropped while a polling session had joined `/` ended the session's events without a close,
/// and the socket stayed in its namespace for ever, the namespace and the socket's handlers
/// holding each other. The socket now leaves with "server shutting down".
#[tokio::test]
async fn dropping_the_engine_disconnects_its_sockets() {
    let io = SocketIo::new(SocketIoConfig::default());
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let seen = reasons.clone();
    io.of("/").on_connection(move |socket| {
        let seen = seen.clone();
        socket.on_disconnect(move |_s, reason| seen.lock().unwrap().push(reason.as_str()));
    });
    let mut config = EngineConfig::default();
    config.path = "/socket.io/".into();
    let engine = io.engine(config);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(axum::serve(listener, engine.router::<()>()).into_future());

    let open = polling(addr, "GET", "", "").await;
    let sid = sid_of(open.trim_start_matches('0'));
    assert_eq!(
        polling(addr, "POST", &format!("&sid={sid}"), "40").await,
        "ok"
    );
    assert!(
        polling(addr, "GET", &format!("&sid={sid}"), "")
            .await
            .starts_with("40{")
    );
    assert_eq!(io.of("/").sockets().len(), 1);

    served.abort();
    let _ = served.await;
    drop(engine);
    within("the socket to leave", async {
        while !io.of("/").sockets().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(*reasons.lock().unwrap(), ["server shutting down"]);
}
