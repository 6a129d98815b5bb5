//! The pinned Node processes of `fixtures/node` (the oracle harness and the servers in
//! `targets/`), started on an ephemeral port of 127.0.0.1 and killed with their handle.

use std::io::{BufRead, BufReader, Read};
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
    start_node_with(&[script], &[])
}

/// Starts `node <args…> --port 0` in `fixtures/node` with `env` added (e.g. the fault preload:
/// `["--import", "./faults/preload.mjs", "harness.mjs"]` and `SIO_NODE_FAULT`), and returns it
/// with its URL, as [`start_node_harness`]. `SIO_NODE_FAULT` is only set when `env` sets it, so
/// a developer's shell cannot arm a fault. A process that prints no listening line within 30 s
/// fails the test with what it wrote on stderr.
pub fn start_node_with(args: &[&str], env: &[(&str, &str)]) -> Option<(Harness, String)> {
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
    let mut command = Command::new("node");
    command
        .args(args)
        .args(["--port", "0"])
        .current_dir(node_dir())
        .env_remove("SIO_NODE_FAULT")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("starting node {args:?} {env:?}: {e}"));
    let v = listening_line(&mut child, args);
    let url = v["listening"].as_str().expect("listening URL").to_string();
    Some((Harness(child), url))
}

/// Reads a started process's one `{"listening":…}` line (bounded by [`START_TIMEOUT`]); fails
/// the test with what it wrote on stderr when there is none.
fn listening_line(child: &mut Child, what: &[&str]) -> serde_json::Value {
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
    match serde_json::from_str::<serde_json::Value>(line.trim()) {
        Ok(v) => v,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr
                .recv_timeout(Duration::from_secs(5))
                .unwrap_or_default();
            panic!("node {what:?} printed no listening line within {START_TIMEOUT:?}: {err}");
        }
    }
}

/// How long a Node process may take to print its listening line (the machine is shared).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Reads a child's pipe to the end on a thread of its own (so a full pipe never blocks it, and
/// the child never writes to a closed one); keeps the first MiB and sends it at the end.
fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    const KEPT: usize = 1 << 20;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut chunk = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            let room = KEPT.saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..n.min(room)]);
        }
        let _ = tx.send(String::from_utf8_lossy(&kept).into_owned());
    });
    rx
}
