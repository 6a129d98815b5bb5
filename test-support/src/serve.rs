//! Serving a router on an ephemeral port of 127.0.0.1: on a runtime of its own for the life of
//! the test process (for tests that are not async themselves), or in the calling test's runtime.

use std::sync::mpsc;
use std::time::Duration;

/// Binds 127.0.0.1:0 on a one-thread runtime of its own that lives as long as the test
/// process, runs `serve` on the listener there, and returns the URL once it is bound.
pub fn serve_on_own_runtime<F, Fut>(what: &'static str, serve: F) -> String
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{what} runtime: {e}"));
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .expect("bind 127.0.0.1:0");
            let addr = listener.local_addr().expect("local addr");
            tx.send(format!("http://{addr}")).expect("send url");
            serve(listener).await;
        });
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("the {what} did not start within 10 s"))
}

/// Serves `router` (built on the server's runtime by `make`: the reference server's engines
/// need a runtime) on 127.0.0.1:0, on a runtime of its own that lives as long as the test
/// process, and returns its URL.
pub fn serve_router(make: impl FnOnce() -> axum::Router + Send + 'static) -> String {
    use axum::serve::ListenerExt;
    serve_on_own_runtime("server", |listener| async move {
        // TCP_NODELAY, as Node's HTTP server sets it: without it each second small frame
        // waits ~40 ms for the client's delayed ACK (Nagle), and the property tests' steps
        // take longer than the recovery window (PROPTEST.md, findings).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, make()).await.expect("serve");
    })
}

/// Serves `router` on 127.0.0.1:0 in the calling test's runtime (with TCP_NODELAY, as above) and
/// returns the bound address.
pub async fn serve_here(router: axum::Router) -> std::net::SocketAddr {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}
