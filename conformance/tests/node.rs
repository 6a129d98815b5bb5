//! The whole suite against the Node oracle (fixtures/node/harness.mjs on an ephemeral port):
//! every case passes, except the SHOULD cases documented as Node differences, which must be
//! `non-strict` (a stale difference, one Node now meets, fails the test too), and the replay
//! cases of transcripts that are not replayable, which are `unsupported`.
//! Skipped, with a message, only when `node` is not installed.

use sio_conformance::cases;
use sio_conformance::config::{Capability, Settings};
use sio_conformance::driver::Endpoint;
use sio_conformance::runner::{self, RunOptions};
use sio_conformance::verdict::Verdict;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The harness process, killed (by its own handle) when the test ends.
struct Harness(Child);

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/node")
}

fn start_harness() -> Option<(Harness, String)> {
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED: `node` is not on the PATH; the Node oracle cannot be started");
        return None;
    }
    assert!(
        node_dir().join("node_modules").is_dir(),
        "fixtures/node/node_modules is missing: run `npm ci` in fixtures/node (or `cargo xtask serve`)"
    );
    let mut child = Command::new("node")
        .args(["harness.mjs", "--port", "0"])
        .current_dir(node_dir())
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .expect("starting node harness.mjs");
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

#[test]
fn the_whole_suite_passes_against_node() {
    let Some((_harness, url)) = start_harness() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let records = rt.block_on(async {
        let mut settings = Settings::new(Endpoint::parse(&url).expect("harness URL"));
        let found = runner::detect(&settings)
            .await
            .expect("the harness answers");
        assert_eq!(
            found,
            Capability::ALL.into_iter().collect(),
            "the Node harness offers every capability"
        );
        settings.capabilities = found;
        let options = RunOptions {
            jobs: 4,
            ..RunOptions::default()
        };
        runner::run(&cases::all(), settings, &options, |_, _, _| {}).await
    });
    assert_eq!(records.len(), cases::all().len());
    let mut wrong = Vec::new();
    for r in &records {
        let not_replayable = r
            .skipped_because
            .as_deref()
            .is_some_and(|s| s.starts_with("not replayable"));
        let expected = if not_replayable {
            Verdict::Unsupported
        } else if r.node_differs.is_some() {
            Verdict::NonStrict
        } else {
            Verdict::Pass
        };
        if r.verdict != expected {
            let first = r.failures.first().map_or(String::new(), |f| {
                format!(
                    " at {:?}: expected {:?}, received {:?}",
                    f.step, f.expected, f.received
                )
            });
            wrong.push(format!(
                "{}: {} (expected {}){first}",
                r.id,
                r.verdict.name(),
                expected.name()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "cases whose verdict against Node is wrong:\n{}",
        wrong.join("\n")
    );
}
