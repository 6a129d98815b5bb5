//! `sio-conformance doctor` as a user runs it: its exit codes (0 nothing failed, 1 a check
//! failed, 2 usage error or nothing answers) and `--json`, against the Node harness served
//! directly (no proxy: every check passes) and against a port where nothing listens.

use sio_test_support as support;
use std::process::{Command, Output};

fn doctor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sio-conformance"))
        .arg("doctor")
        .args(args)
        .output()
        .expect("run sio-conformance doctor")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_healthy_server_exits_0_and_json_lists_every_check() {
    let Some((_node, url)) = support::start_node_harness() else {
        return;
    };
    let out = doctor(&[
        "--url",
        &url,
        "--idle",
        "1",
        "--rounds",
        "3",
        "--origin",
        "https://app.example",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json is JSON");
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        ids,
        [
            "path",
            "handshake.polling",
            "websocket.direct",
            "cors",
            "sticky",
            "websocket.upgrade",
            "payload",
            "heartbeat",
            "idle",
            "eio3",
            "tls",
            "rtt"
        ]
    );
    assert!(
        report["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["status"] != "fail")
    );
    // The contract allows any origin (`*`), which browsers refuse with credentials: a warning,
    // with the header that shows it, and exit 0 all the same.
    let cors = &report["checks"][3];
    assert_eq!(cors["status"], "warn", "{cors}");
    assert!(
        cors["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|line| line
                .as_str()
                .unwrap_or("")
                .contains("access-control-allow-origin: \"*\"")),
        "{cors}"
    );
}

#[test]
fn a_wrong_path_exits_1_and_names_the_path_that_answers() {
    let Some((_node, url)) = support::start_node_harness() else {
        return;
    };
    let out = doctor(&["--url", &url, "--path", "/nope", "--idle", "0"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL  path") && stdout.contains("/socket.io/ answers the handshake"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fix: the server answers at /socket.io/"),
        "{stdout}"
    );
}

#[test]
fn nothing_listening_exits_2() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let url = format!("http://127.0.0.1:{port}");
    let out = doctor(&["--url", &url, "--idle", "0", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json is JSON");
    assert_eq!(report["unreachable"], true);
    assert_eq!(report["checks"][0]["id"], "path");
}

#[test]
fn a_usage_error_exits_2_and_the_runner_is_unchanged() {
    let out = doctor(&["--idle", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--url"));
    let help = doctor(&["--help"]);
    assert!(text(&help.stdout).contains("Exit codes"));
    // Without `doctor` the command line is the runner's.
    let list = Command::new(env!("CARGO_BIN_EXE_sio-conformance"))
        .args(["--list", "--filter", "eio.handshake.*"])
        .output()
        .expect("run sio-conformance --list");
    assert_eq!(list.status.code(), Some(0));
    assert!(text(&list.stdout).contains("eio.handshake."));
}
