//! The contract binary prints its one line and serves; the router's other routes.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{Server, raw_request};

#[tokio::test]
async fn health_is_ok_and_other_paths_are_404() {
    let srv = Server::start().await;
    srv.request("GET", "/health", &[], b"")
        .await
        .is(200, Some("text/plain"), "ok");
    srv.request("GET", "/nope", &[], b"")
        .await
        .is(404, Some("text/plain"), "not found");
    // Node's attach() matches the prefix "/engine.io/": no trailing slash is not the engine.
    srv.request("GET", "/engine.io?EIO=4&transport=polling", &[], b"")
        .await
        .is(404, Some("text/plain"), "not found");
    // …and anything under the prefix is.
    srv.request("GET", "/engine.io/x?EIO=4", &[], b"")
        .await
        .is_error(0, "Transport unknown");
}

#[tokio::test]
async fn the_binary_prints_one_listening_line_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sio-contract-server"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
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
    let srv = Server::start().await;
    let raw = String::from_utf8(
        tokio::time::timeout(crate::support::WAIT, async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut tcp = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
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
