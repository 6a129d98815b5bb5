//! The pinned Node processes of `fixtures/node` (the oracle harness and the servers in
//! `targets/`), started on an ephemeral port of 127.0.0.1 and killed with their handle.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The Node harness process, killed (by its own handle) when the test ends.
pub struct Harness(Child);

impl Harness {
    /// Kills the process now (a server that dies in the middle of a run).
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// The harness's process id (the benchmark reads its CPU and memory from /proc).
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `fixtures/node`, where the pinned npm packages and the harness live.
pub fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/node")
}

/// Starts `node harness.mjs --port 0` and returns it with its URL, read from its one
/// `{"listening":…}` line (bounded wait). `None`, with a SKIPPED line, when `node` is missing
/// (a failure in CI, where `CI` is set: the oracle's tests cannot pass by not running).
pub fn start_node_harness() -> Option<(Harness, String)> {
    start_node("harness.mjs")
}

/// Starts `node <script> --port 0` in `fixtures/node` (the harness, or one of the servers in
/// `targets/`) and returns it with its URL, as [`start_node_harness`].
pub fn start_node(script: &str) -> Option<(Harness, String)> {
    if Command::new("node").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the Node oracle, but `node` is not on the PATH"
        );
        eprintln!("SKIPPED: `node` is not on the PATH; the Node oracle cannot be started");
        return None;
    }
    assert!(
        node_dir().join("node_modules").is_dir(),
        "fixtures/node/node_modules is missing: run `npm ci` in fixtures/node (or `cargo xtask serve`)"
    );
    let mut child = Command::new("node")
        .args([script, "--port", "0"])
        .current_dir(node_dir())
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting node {script}: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let harness = Harness(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the harness printed no listening line within 30 s");
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("listening line is JSON");
    let url = v["listening"].as_str().expect("listening URL").to_string();
    Some((harness, url))
}
