//! Interop with the real official client: socket.io-client 4.8.4 from fixtures/node/node_modules,
//! driven by `tests/node/official-client.mjs` against the in-process contract server, over
//! polling only, WebSocket only, and polling then upgrade. Skipped (with a message) when `node`
//! or the module is missing.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::Server;

fn fixtures_node() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/node")
}

async fn run(mode: &str) {
    let fixtures = fixtures_node();
    if !fixtures
        .join("node_modules/socket.io-client/package.json")
        .exists()
    {
        eprintln!("SKIP official client ({mode}): run `npm ci` in fixtures/node first");
        return;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/official-client.mjs");
    let srv = Server::start().await;
    let url = format!("http://{}", srv.addr);
    let child = tokio::process::Command::new("node")
        .arg(&script)
        .arg(&url)
        .arg(mode)
        .env("SIO_FIXTURES_NODE", &fixtures)
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(Duration::from_secs(20), child).await {
        Err(_) => panic!("the official client ({mode}) did not finish within 20 s"),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIP official client ({mode}): `node` is not installed");
            return;
        }
        Ok(r) => r.unwrap(),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(&format!("OK {mode}")),
        "official client ({mode}) failed\nstdout: {stdout}\nstderr: {stderr}"
    );
}

#[tokio::test]
async fn polling_only() {
    run("polling").await;
}

#[tokio::test]
async fn websocket_only() {
    run("websocket").await;
}

#[tokio::test]
async fn polling_then_upgrade() {
    run("upgrade").await;
}
