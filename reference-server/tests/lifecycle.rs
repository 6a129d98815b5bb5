//! What a server leaves behind when its engine goes away with sessions open: its sockets leave
//! their namespaces, so nothing they hold (handlers, rooms, the namespace itself) outlives it;
//! and what a closed socket's pending ack callbacks keep: nothing, though a timed one still
//! fires.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_reference_server::socketio::{AckError, Socket, SocketIo, SocketIoConfig};
use sio_reference_server::{Engine, EngineConfig};
use sio_test_support::raw_http::raw_request;
use tokio::task::JoinHandle;

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

/// Serves `io` at `/socket.io/` on an ephemeral port in the current runtime: its engine, the
/// address, and the serving task (which holds the engine's router).
async fn serve(io: &SocketIo) -> (Engine, SocketAddr, JoinHandle<std::io::Result<()>>) {
    let mut config = EngineConfig::default();
    config.path = "/socket.io/".into();
    let engine = io.engine(config);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(axum::serve(listener, engine.router::<()>()).into_future());
    (engine, addr, served)
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
    let (engine, addr, served) = serve(&io).await;

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

/// A server whose `/` emits `ask` with an ack to every socket that joins, through `emit` (given
/// the socket, so that its callback can capture it as applications do), served on an ephemeral
/// port in the current runtime.
async fn asking_server(
    emit: impl Fn(&Socket) + Send + Sync + 'static,
) -> (
    SocketIo,
    SocketAddr,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let io = SocketIo::new(SocketIoConfig::default());
    io.of("/").on_connection(move |socket| emit(socket));
    let (_engine, addr, served) = serve(&io).await;
    (io, addr, served)
}

/// Joins `/` over polling, reads the CONNECT reply and the `ask` event, then leaves the
/// namespace (`41`) and waits until the server's socket has gone.
async fn join_then_leave(io: &SocketIo, addr: SocketAddr) {
    let open = polling(addr, "GET", "", "").await;
    let sid = sid_of(open.trim_start_matches('0'));
    assert_eq!(
        polling(addr, "POST", &format!("&sid={sid}"), "40").await,
        "ok"
    );
    let received = polling(addr, "GET", &format!("&sid={sid}"), "").await;
    assert!(received.starts_with("40{"), "{received}");
    if !received.contains("[\"ask\"]") {
        let asked = polling(addr, "GET", &format!("&sid={sid}"), "").await;
        assert_eq!(asked, "20[\"ask\"]");
    }
    assert_eq!(
        polling(addr, "POST", &format!("&sid={sid}"), "41").await,
        "ok"
    );
    within("the socket to leave", async {
        while !io.of("/").sockets().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// A marker that the ack callback of the next socket holds alone: the test keeps only a weak
/// handle on it, which dies with the callback.
#[derive(Clone, Default)]
struct CallbackMarker(Arc<Mutex<std::sync::Weak<()>>>);

impl CallbackMarker {
    /// A new marker for a callback to hold, remembered weakly.
    fn make(&self) -> Arc<()> {
        let marker = Arc::new(());
        *self.0.lock().unwrap() = Arc::downgrade(&marker);
        marker
    }

    /// Whether the last marker made is still held.
    fn held(&self) -> bool {
        self.0.lock().unwrap().strong_count() > 0
    }
}

/// An ack callback without a timeout that captures its socket, as an application's does to
/// answer on it, was kept in that socket's table after the client left, and the two kept each
/// other for ever. Node never calls it either; the socket now drops it on close.
#[tokio::test]
async fn a_closed_socket_lets_go_of_its_ack_callbacks() {
    let marker = CallbackMarker::default();
    let made = marker.clone();
    let (io, addr, served) = asking_server(move |socket| {
        let (me, held) = (socket.clone(), made.make());
        socket
            .emit_with_ack("ask", vec![], move |_| drop((me, held)))
            .unwrap();
    })
    .await;
    join_then_leave(&io, addr).await;
    within("the callback to be dropped", async {
        while marker.held() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    served.abort();
}

/// Node keeps a closed socket's acks: one with a timeout still fires, with the timeout error.
#[tokio::test]
async fn a_timed_ack_still_fires_after_its_socket_closed() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Arc::new(Mutex::new(Some(tx)));
    let (io, addr, served) = asking_server(move |socket| {
        let (me, tx) = (socket.clone(), tx.clone());
        socket
            .timeout(Duration::from_millis(300))
            .emit_with_ack("ask", vec![], move |answer| {
                let _ = tx
                    .lock()
                    .unwrap()
                    .take()
                    .unwrap()
                    .send((answer, me.connected()));
            })
            .unwrap();
    })
    .await;
    join_then_leave(&io, addr).await;
    let (answer, connected) = within("the timeout", rx).await.unwrap();
    assert_eq!(answer, Err(AckError::Timeout));
    assert!(!connected, "the timeout came after the close");
    served.abort();
}

/// Found by the `front` fuzz target (a leak report): a closed socket's timed ack callback,
/// which captured the socket, stayed in the socket's table while its timeout task slept; when
/// the runtime went away with that task unrun, the socket and the callback kept each other.
/// The table now lets go on close and the task alone holds the callback.
#[test]
fn a_runtime_dropped_before_an_ack_timeout_leaks_nothing() {
    let marker = CallbackMarker::default();
    let made = marker.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let (io, addr, served) = asking_server(move |socket| {
            let (me, held) = (socket.clone(), made.make());
            socket
                .timeout(Duration::from_secs(3600))
                .emit_with_ack("ask", vec![], move |_| drop((me, held)))
                .unwrap();
        })
        .await;
        join_then_leave(&io, addr).await;
        served.abort();
        let _ = served.await;
    });
    assert!(
        marker.held(),
        "the timeout task still sleeps with the callback"
    );
    drop(runtime);
    assert!(!marker.held(), "the callback went with the runtime");
}
