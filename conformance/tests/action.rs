//! The GitHub Action (action.yml) run here, without GitHub: its steps are
//! `conformance/action/gate.sh run` then `gate.sh verdict`, called with the environment the
//! action gives them, from a temporary directory with no checkout around it (as a user's
//! workspace), with the runner binary of this build in place of the one the action installs.
//!
//! Against the pristine Node harness, the whole suite: exit 0, the Markdown report in the job
//! summary, the JUnit, JSON and HTML reports and the server's output written. Against the harness
//! with a known bug (`SIO_NODE_FAULT=rooms-deliver-twice`, fixtures/node/FAULTS.md), the rooms
//! cases: exit 1 and a failing verdict step; blessed into a judgement file, exit 0; the
//! pristine harness against that file, exit 3 with the unexpected passes and a stale entry
//! reported. Skipped, with a message, when `node` or `bash` is missing (never in CI).

#![cfg(unix)]

use sio_test_support as support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sio-conformance");
const FAULT: &str = "rooms-deliver-twice";
/// The cases the fault breaks (FAULTS.md), and the area they are in.
const BROKEN: [&str; 2] = ["sio.rooms.several-rooms-once", "sio.rooms.rooms-others"];
const AREA: &str = "sio.rooms.*";

fn gate_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("action/gate.sh")
}

fn tools_available() -> bool {
    let runs = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    if runs("node") && runs("bash") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have node and bash"
    );
    eprintln!("SKIPPED: `node` or `bash` is not on the PATH");
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// What one run of the action's steps left behind.
struct Step {
    /// `exit-code` from the run step's outputs.
    exit_code: i32,
    /// The verdict step's exit status (what fails the job).
    verdict_status: i32,
    /// The run step's stdout and stderr.
    log: String,
}

/// The workspace of one test: a temporary directory, the action's output and summary files.
struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    fn new(name: &str) -> Workspace {
        let dir = std::env::temp_dir().join(format!("sio-action-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Workspace { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `gate.sh run` with the action's inputs (`SIO_*`), then `gate.sh verdict` with its output,
    /// as action.yml chains them. A fresh server on a free port each time.
    fn run_action(&self, fault: Option<&str>, inputs: &[(&str, &str)]) -> Step {
        let port = free_port();
        let fault_env = fault.map_or(String::new(), |f| format!("SIO_NODE_FAULT={f} "));
        let server = format!(
            "cd '{}' && {fault_env}exec node --import ./faults/preload.mjs harness.mjs --port {port}",
            support::node_dir().display()
        );
        let output_file = self.path("github_output");
        let _ = std::fs::remove_file(&output_file);
        let _ = std::fs::remove_file(self.path("summary.md"));
        let started = Instant::now();
        let out = Command::new("bash")
            .arg(gate_script())
            .arg("run")
            .current_dir(&self.dir)
            .env("SIO_RUNNER", BIN)
            .env("SIO_URL", format!("http://127.0.0.1:{port}"))
            .env("SIO_SERVER_COMMAND", &server)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_STEP_SUMMARY", self.path("summary.md"))
            .envs(inputs.iter().copied())
            .output()
            .expect("bash runs gate.sh");
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "the run step itself must succeed: {log}"
        );
        // Bounded by the runner's own bounds; this says when a run is far slower than it was.
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{:?}",
            started.elapsed()
        );
        let outputs = std::fs::read_to_string(&output_file).expect("the step's outputs");
        let exit_code: i32 = outputs
            .lines()
            .find_map(|l| l.strip_prefix("exit-code="))
            .unwrap_or_else(|| panic!("no exit-code output: {outputs}"))
            .parse()
            .expect("a number");
        let verdict = Command::new("bash")
            .arg(gate_script())
            .arg("verdict")
            .env("SIO_EXIT_CODE", exit_code.to_string())
            .output()
            .expect("bash runs gate.sh");
        Step {
            exit_code,
            verdict_status: verdict.status.code().expect("an exit code"),
            log,
        }
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The whole suite from a directory with no checkout: the runner needs nothing from the
/// repository at run time (the transcripts are embedded), and the action's reports are all
/// there.
#[test]
fn the_action_passes_the_node_harness_with_the_whole_suite() {
    if !tools_available() {
        return;
    }
    let ws = Workspace::new("pristine");
    let step = ws.run_action(None, &[("SIO_TIER", "full")]);
    assert_eq!(step.exit_code, 0, "{}", step.log);
    assert_eq!(step.verdict_status, 0);
    let summary = ws.read("summary.md");
    assert!(
        summary.starts_with("### Socket.IO conformance: "),
        "{summary}"
    );
    assert!(summary.contains("tier full"), "{summary}");
    let json: serde_json::Value =
        serde_json::from_str(&ws.read("sio-conformance-report/results.json")).expect("JSON");
    let index = json["index"].as_array().expect("an index");
    assert_eq!(
        index.len(),
        sio_conformance::cases::all().len(),
        "every case ran"
    );
    let replays = index
        .iter()
        .filter(|r| r["id"].as_str().is_some_and(|id| id.starts_with("replay.")))
        .filter(|r| r["verdict"] == "pass")
        .count();
    assert!(
        replays >= 140,
        "the embedded transcripts replayed: {replays}"
    );
    assert!(
        ws.read("sio-conformance-report/junit.xml")
            .contains("<testsuite")
    );
    assert!(ws.path("sio-conformance-report/html/index.html").is_file());
    assert!(
        ws.read("sio-conformance-report/server.log")
            .contains("listening")
    );
}

/// A known bug: the job fails (exit 1); blessed into the judgement file it passes (exit 0);
/// fixed, the file's entries are unexpected passes (exit 3), and an entry for no case is stale.
#[test]
fn a_known_failure_fails_the_job_until_it_is_in_the_judgement_file() {
    if !tools_available() {
        return;
    }
    let ws = Workspace::new("fault");
    let area = [("SIO_FILTER", AREA)];

    let failing = ws.run_action(Some(FAULT), &area);
    assert_eq!(failing.exit_code, 1, "{}", failing.log);
    assert_eq!(failing.verdict_status, 1, "the job fails");
    let summary = ws.read("summary.md");
    for id in BROKEN {
        assert!(summary.contains(id), "{id} in the summary: {summary}");
    }

    let blessing = ws.run_action(
        Some(FAULT),
        &[
            ("SIO_FILTER", AREA),
            ("SIO_JUDGEMENT", "known-failures.json"),
            ("SIO_BLESS", "true"),
        ],
    );
    assert_eq!(blessing.exit_code, 0, "{}", blessing.log);
    // What a maintainer commits: the placeholder reasons replaced by real ones.
    let blessed = ws.read("known-failures.json");
    assert_eq!(
        blessed,
        ws.read("sio-conformance-report/known-failures.json"),
        "the blessed file is in the artifact"
    );
    let mut file: serde_json::Value = serde_json::from_str(&blessed).expect("JSON");
    let entries = file["judgements"].as_array_mut().expect("judgements");
    let verdicts: BTreeMap<String, String> = entries
        .iter()
        .filter(|e| e["verdict"] != "pass")
        .map(|e| {
            (
                e["id"].as_str().unwrap().into(),
                e["verdict"].as_str().unwrap().into(),
            )
        })
        .collect();
    for id in BROKEN {
        assert_eq!(
            verdicts.get(id).map(String::as_str),
            Some("fail"),
            "{verdicts:?}"
        );
    }
    for e in entries.iter_mut().filter(|e| e["verdict"] != "pass") {
        e["reason"] = "our rooms adapter delivers once per room (issue 42)".into();
    }
    std::fs::write(ws.path("known-failures.json"), file.to_string()).expect("write");

    let judged = ws.run_action(
        Some(FAULT),
        &[
            ("SIO_FILTER", AREA),
            ("SIO_JUDGEMENT", "known-failures.json"),
        ],
    );
    assert_eq!(judged.exit_code, 0, "{}", judged.log);
    assert_eq!(judged.verdict_status, 0, "the job passes");
    let summary = ws.read("summary.md");
    assert!(summary.contains("fail (expected)"), "{summary}");
    assert!(
        summary.contains("issue 42"),
        "the reason is shown: {summary}"
    );

    // Fixed, and a case id that no longer exists left in the file.
    let mut file: serde_json::Value =
        serde_json::from_str(&ws.read("known-failures.json")).expect("JSON");
    file["judgements"]
        .as_array_mut()
        .expect("judgements")
        .push(serde_json::json!({"id": "sio.rooms.renamed-long-ago", "verdict": "pass"}));
    std::fs::write(ws.path("known-failures.json"), file.to_string()).expect("write");
    let fixed = ws.run_action(
        None,
        &[
            ("SIO_FILTER", AREA),
            ("SIO_JUDGEMENT", "known-failures.json"),
        ],
    );
    assert_eq!(fixed.exit_code, 3, "{}", fixed.log);
    assert_eq!(fixed.verdict_status, 3, "the job fails");
    for id in BROKEN {
        assert!(
            fixed
                .log
                .contains(&format!("{id}: passed unexpectedly, recorded fail")),
            "{}",
            fixed.log
        );
    }
    assert!(
        fixed
            .log
            .contains("sio.rooms.renamed-long-ago: in the file (pass) but no such case (stale)"),
        "{}",
        fixed.log
    );
}

/// A missing `url` input stops the run step with a message naming it.
#[test]
fn the_gate_script_refuses_a_run_without_a_url() {
    if !tools_available() {
        return;
    }
    let ws = Workspace::new("no-url");
    let out = Command::new("bash")
        .arg(gate_script())
        .arg("run")
        .current_dir(&ws.dir)
        .env("SIO_RUNNER", BIN)
        .env_remove("SIO_URL")
        .output()
        .expect("bash runs gate.sh");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SIO_URL"));
}

/// The action installs the runner and runs it from the user's workspace, where this repository
/// is not: nothing of the checkout may be read at run time. The transcripts are embedded
/// (build.rs, `include_str!`); this keeps any later code from reading a file of the checkout by
/// path (the whole-suite run above would not notice: the checkout is there in CI).
#[test]
fn the_runner_reads_nothing_of_the_checkout_at_run_time() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![src];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("src")
            .map(|e| e.expect("entry").path())
        {
            if entry.is_dir() {
                dirs.push(entry);
            } else if entry.extension().is_some_and(|x| x == "rs") {
                files.push(entry);
            }
        }
    }
    // Split so this file does not match itself; the test modules (at the end of a file, after
    // `#[cfg(test)]`) may read the checkout, they run in it.
    let needles = [
        ["CARGO_MANIFEST", "_DIR"],
        ["transcripts", "_dir("],
        ["load", "_dir("],
        ["Transcript::", "load("],
    ]
    .map(|[a, b]| format!("{a}{b}"));
    let mut offending = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file");
        let runtime = text.split("#[cfg(test)]").next().unwrap_or_default();
        for needle in &needles {
            if runtime.contains(needle.as_str()) {
                offending.push(format!("{}: {needle}", file.display()));
            }
        }
    }
    assert!(files.len() > 40, "found the sources: {}", files.len());
    assert!(offending.is_empty(), "{offending:#?}");
}

/// action.yml and gate.sh stay in step: every input is passed to a step, every `SIO_*` variable
/// the action sets is one gate.sh reads, and every gate.sh subcommand the action calls exists.
/// (GitHub reads action.yml only when a workflow uses it; a typo there would reach users first.)
#[test]
fn action_yml_and_the_gate_script_agree() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let action = std::fs::read_to_string(root.join("action.yml")).expect("action.yml");
    let gate = std::fs::read_to_string(gate_script()).expect("gate.sh");
    let section = |name: &str| -> Vec<String> {
        // The keys indented two spaces under a top-level `name:` line.
        action
            .lines()
            .skip_while(|l| *l != format!("{name}:"))
            .skip(1)
            .take_while(|l| l.starts_with(' ') || l.is_empty())
            .filter_map(|l| {
                let key = l.strip_prefix("  ")?.strip_suffix(':')?;
                (!key.starts_with(' ')).then(|| key.to_string())
            })
            .collect()
    };
    let inputs = section("inputs");
    assert!(inputs.len() >= 10, "{inputs:?}");
    for input in &inputs {
        assert!(
            action.contains(&format!("${{{{ inputs.{input} }}}}")),
            "input {input} is passed to no step"
        );
    }
    let variables: Vec<&str> = action
        .match_indices("SIO_")
        .map(|(i, _)| {
            let rest = &action[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect();
    assert!(variables.len() >= 10, "{variables:?}");
    for v in &variables {
        assert!(gate.contains(&format!("${{{v}")), "gate.sh never reads {v}");
    }
    for sub in action.match_indices("gate.sh\" ").map(|(i, m)| {
        action[i + m.len()..]
            .split_whitespace()
            .next()
            .unwrap_or("")
    }) {
        assert!(
            gate.contains(&format!("\n{sub})\n")),
            "gate.sh has no `{sub}`"
        );
    }
}

/// The `args` input is split on spaces, and a glob in it reaches the runner as written, even
/// when a file in the workspace matches it.
#[test]
fn extra_args_reach_the_runner_unexpanded() {
    if !tools_available() {
        return;
    }
    let ws = Workspace::new("args");
    std::fs::write(ws.path("sio.rooms.glob"), "").expect("a file the glob matches");
    let out = Command::new("bash")
        .arg(gate_script())
        .arg("run")
        .current_dir(&ws.dir)
        .env("SIO_RUNNER", BIN)
        .env("SIO_URL", "http://127.0.0.1:1")
        .env("SIO_ARGS", "--list  --filter sio.rooms.*")
        .env("GITHUB_OUTPUT", ws.path("github_output"))
        .output()
        .expect("bash runs gate.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(ws.read("github_output").contains("exit-code=0"), "{stdout}");
    assert!(stdout.contains("sio.rooms.to-self"), "{stdout}");
    assert!(!stdout.contains("sio.connect.main "), "{stdout}");
}
