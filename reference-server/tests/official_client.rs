//! Interop with the real official client: socket.io-client 4.8.4 from fixtures/node/node_modules,
//! driven by `tests/node/official-client.mjs` against the in-process contract server, over
//! polling only, WebSocket only, and polling then upgrade: events, acks both ways, binary,
//! namespaces, middlewares, every `broadcast` target, reconnection after a network drop and
//! connection state recovery. The same script also runs against the pinned Node harness (the
//! oracle), so a failure here that the oracle test does not share is the reference server's.
//! Skipped (with a message) when `node` or the module is missing.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::Server;

/// How long one run of the script may take (it needs about 2 s alone; the machine is shared).
const SCRIPT_LIMIT: Duration = Duration::from_secs(20);

fn fixtures_node() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/node")
}

/// Prints a SKIP line for a developer without Node; in CI (`CI` set) a skip is a failure, so
/// the interop tests cannot pass by not running.
fn skip(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the interop tests, but {why}"
    );
    eprintln!("SKIP {why}");
}

/// `false` (with a SKIP line) when the pinned client is not installed.
fn client_installed(what: &str) -> bool {
    let ok = fixtures_node()
        .join("node_modules/socket.io-client/package.json")
        .exists();
    if !ok {
        skip(&format!(
            "official client ({what}): run `npm ci` in fixtures/node first"
        ));
    }
    ok
}

/// Runs the script against `url` in `mode` and asserts it passed. Returns `false` (after a SKIP
/// line) when `node` is not installed.
async fn run_script(url: &str, mode: &str, server: &str) -> bool {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/official-client.mjs");
    let child = tokio::process::Command::new("node")
        .arg(&script)
        .arg(url)
        .arg(mode)
        .env("SIO_FIXTURES_NODE", fixtures_node())
        .kill_on_drop(true)
        .output();
    let out = match tokio::time::timeout(SCRIPT_LIMIT, child).await {
        Err(_) => {
            panic!("the official client ({mode}, {server}) did not finish within {SCRIPT_LIMIT:?}")
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            skip(&format!(
                "official client ({mode}): `node` is not installed"
            ));
            return false;
        }
        Ok(r) => r.unwrap(),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(&format!("OK {mode}")),
        "official client ({mode}) failed against {server}\nstdout: {stdout}\nstderr: {stderr}"
    );
    true
}

async fn run(mode: &str) {
    if !client_installed(mode) {
        return;
    }
    let srv = Server::start().await;
    run_script(
        &format!("http://{}", srv.addr),
        mode,
        "the reference server",
    )
    .await;
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

/// The script's expectations hold on the oracle: `node harness.mjs --port 0` (fresh ids and
/// recovery store), the three modes against it. Killed when the test ends.
#[tokio::test]
async fn script_passes_against_the_node_harness() {
    if !client_installed("node harness") {
        return;
    }
    let spawned = tokio::process::Command::new("node")
        .args(["harness.mjs", "--port", "0"])
        .current_dir(fixtures_node())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut harness = match spawned {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            skip("official client (node harness): `node` is not installed");
            return;
        }
        r => r.expect("starting node harness.mjs"),
    };
    // Its one stdout line: {"listening":"http://127.0.0.1:PORT"}.
    let mut line = String::new();
    let stdout = harness.stdout.take().expect("piped stdout");
    tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the harness printed no listening line within 30 s")
    .expect("reading the harness's stdout");
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("listening line is JSON");
    let url = v["listening"].as_str().expect("listening URL").to_string();
    // One mode after the other: the script broadcasts to all sockets of `/`, so runs sharing a
    // server would see each other's events.
    for mode in ["polling", "websocket", "upgrade"] {
        run_script(&url, mode, "the Node harness").await;
    }
    let _ = harness.kill().await;
}
