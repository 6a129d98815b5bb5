//! The contract binary prints its one line and serves; the router's routes outside the engines;
//! `--fault` without the feature that arms it is refused with a reason; `--redis` joins a cluster.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use sio_test_support::raw_http::{RawResponse, raw_request};

/// How long one exchange may take.
const WAIT: Duration = Duration::from_secs(5);

/// The contract router served in this test's runtime.
async fn serve() -> SocketAddr {
    sio_test_support::serve_here(sio_contract_server::router()).await
}

async fn get(addr: SocketAddr, target: &str) -> RawResponse {
    tokio::time::timeout(WAIT, raw_request(addr, "GET", target, &[], b""))
        .await
        .expect("an answer in time")
        .expect("a complete response")
}

#[tokio::test]
async fn health_is_ok_and_other_paths_are_404() {
    let addr = serve().await;
    get(addr, "/health").await.is(200, Some("text/plain"), "ok");
    get(addr, "/nope")
        .await
        .is(404, Some("text/plain"), "not found");
    // Node's attach() matches the prefix "/engine.io/": no trailing slash is not the engine.
    get(addr, "/engine.io?EIO=4&transport=polling")
        .await
        .is(404, Some("text/plain"), "not found");
    // …and anything under the prefix is.
    get(addr, "/engine.io/x?EIO=4")
        .await
        .is_error(0, "Transport unknown");
}

/// Starts the binary with `args`; returns it with the first line it printed on stdout (empty
/// when it exited without one). The line comes at once or the process ends, so the read ends.
fn start_binary(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sio-contract-server"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

#[tokio::test]
async fn the_binary_prints_one_listening_line_and_serves() {
    let (mut child, line) = start_binary(&["--port", "0"]);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = v["listening"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let addr = url.trim_start_matches("http://").parse().unwrap();
    let r = raw_request(addr, "GET", "/health", &[], b"").await.unwrap();
    let _ = child.kill();
    let _ = child.wait();
    r.is(200, Some("text/plain"), "ok");
}

#[tokio::test]
async fn an_upgrade_to_an_unknown_path_is_404_and_closed() {
    let addr = serve().await;
    let raw = String::from_utf8(
        tokio::time::timeout(WAIT, async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            tcp.write_all(
                b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            )
            .await
            .unwrap();
            let mut out = Vec::new();
            tcp.read_to_end(&mut out).await.unwrap();
            out
        })
        .await
        .expect("the server closes the connection"),
    )
    .unwrap();
    assert!(raw.starts_with("HTTP/1.1 404 Not Found\r\n"), "{raw}");
    assert!(raw.ends_with("\r\n\r\nnot found"), "{raw}");
}

/// In a build without the feature `faults` (`cargo test -p sio-contract-server`), `--fault NAME`
/// is refused with the reason, not ignored: a fault run that silently tests a correct server
/// would pass for the wrong reason. With the feature the binary starts with the fault armed.
#[test]
fn a_fault_is_armed_only_with_the_feature() {
    let (mut child, line) = start_binary(&["--port", "0", "--fault", "except-ignored"]);
    if cfg!(feature = "faults") {
        assert!(line.contains("\"listening\""), "{line}");
        let _ = child.kill();
        let _ = child.wait();
    } else {
        assert!(line.is_empty(), "a server started: {line}");
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("feature `faults`"), "{stderr}");
    }
    // An unknown name is refused before anything is bound, in every build.
    let out = Command::new(env!("CARGO_BIN_EXE_sio-contract-server"))
        .args(["--port", "0", "--fault", "no-such-fault"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{stderr}");
    assert!(stderr.contains("unknown fault no-such-fault"), "{stderr}");
}

#[cfg(feature = "redis")]
/// `--redis URL` makes the binary a cluster node: its sio-main namespaces subscribe to their
/// request channels (PUBSUB NUMSUB counts it), and an unreachable Redis is refused at start.
#[tokio::test]
async fn with_redis_the_binary_joins_a_cluster() {
    let Some(redis) = sio_test_support::RedisServer::start() else {
        return;
    };
    let (mut child, line) = start_binary(&["--port", "0", "--redis", &redis.url()]);
    assert!(line.contains("\"listening\""), "{line}");
    let config = sio_redis_adapter::RedisAdapterConfig::new(redis.url());
    let observer = sio_redis_adapter::RedisCluster::connect(config)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    for nsp in ["/", "/custom", "/admin", "/plain"] {
        while observer.server_count(nsp).await != 1 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{nsp} never subscribed"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let _ = child.kill();
    let _ = child.wait();

    let closed_port = format!("redis://127.0.0.1:{}", redis.port());
    drop(redis);
    let (child, line) = start_binary(&["--port", "0", "--redis", &closed_port]);
    assert!(line.is_empty(), "a server started without Redis: {line}");
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connect to Redis"), "{stderr}");
}
