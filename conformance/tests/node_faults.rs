//! The suite's power on the official Node server, not only on our own: every fault of
//! fixtures/node/faults/faults.mjs (one bug a real implementation shipped, patched into the
//! pinned Node packages in memory by `node --import faults/preload.mjs`, chosen by
//! `SIO_NODE_FAULT`) must make the `sio-conformance` binary exit 1 (a case failed), and the
//! pristine harness must pass the same cases (exit 0).
//!
//! The cases run per fault are read from fixtures/node/FAULTS.md (at most `CASES_PER_FAULT` of
//! those it lists, `fail` verdicts first), so a CI run stays short; `--strict` makes a broken
//! SHOULD count too, which is sound because only cases the pristine harness passes are listed.
//! FAULTS.md must describe the faults exactly as faults.mjs does. A fault that awaits a case
//! still being written (`awaiting` in faults.mjs) is only reported while the suite lacks that
//! case, and checked like the others once it has it.
//!
//! `SIO_NODE_FAULTS_BLESS=1 cargo test -p sio-conformance --test node_faults` runs the whole
//! suite (all but `replay.*`) against the harness with each fault and rewrites FAULTS.md.
//! Skipped, with a message, only when `node` is not installed (a failure in CI).

use sio_test_support as support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Faults checked at the same time (each is one Node process and one runner process).
const PARALLEL: usize = 4;
/// Cases run per fault in CI: enough that a timing accident in one cannot hide the fault.
const CASES_PER_FAULT: usize = 3;
/// Left out of the bless runs: the transcript replays re-check what the hand-written cases check.
const EXCLUDED: &str = "replay.*";
/// Bound on the harness printing its listening line.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on one runner process (a few cases in CI, the whole suite when blessing).
const RUN_TIMEOUT: Duration = Duration::from_secs(240);
const BLESS_VAR: &str = "SIO_NODE_FAULTS_BLESS";

/// One fault as faults.mjs describes it (`node faults/list.mjs`).
#[derive(Debug, Clone)]
struct Fault {
    name: String,
    layer: String,
    does: String,
    source: String,
    source_note: Option<String>,
    awaiting: Option<String>,
}

/// A child process killed (by its own handle) and reaped when dropped: on every path, panics
/// included.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `child` at most `limit`; kills it when the time is up (`None`).
fn wait_bounded(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Reads a child's pipe to the end on a thread of its own (so a full pipe never blocks it).
fn drain(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(pipe).read_to_string(&mut text);
        let _ = tx.send(text);
    });
    rx
}

/// `node --import ./faults/preload.mjs harness.mjs --port 0` in fixtures/node with
/// `SIO_NODE_FAULT=fault` (none: the pristine harness), running, and its URL.
fn start_harness(fault: Option<&str>) -> (support::Harness, String) {
    let env: Vec<(&str, &str)> = fault
        .map(|name| ("SIO_NODE_FAULT", name))
        .into_iter()
        .collect();
    support::start_node_with(&["--import", "./faults/preload.mjs", "harness.mjs"], &env)
        .expect("node is installed (checked before)")
}

/// One `sio-conformance` run against `url`: its exit code (`None`: killed at RUN_TIMEOUT) and
/// its summary line.
fn run_suite(url: &str, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sio-conformance"))
        .args(["--url", url, "--capability", "all", "--quiet", "--strict"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting sio-conformance");
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let status = wait_bounded(&mut child, RUN_TIMEOUT);
    let text = out.recv_timeout(Duration::from_secs(5)).unwrap_or_default()
        + &err.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    (status.and_then(|s| s.code()), text.trim().to_string())
}

/// The catalogue, from `node faults/list.mjs --check` (which also applies every fault, each in
/// a fresh process, and fails if one no longer applies to the installed packages).
fn catalogue() -> Vec<Fault> {
    let mut child = Command::new("node")
        .args(["faults/list.mjs", "--check"])
        .current_dir(support::node_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting node faults/list.mjs");
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let status = wait_bounded(&mut child, Duration::from_secs(120));
    let err = err.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()),
        "faults/list.mjs --check: some fault does not apply to the installed packages:\n{err}"
    );
    let out = out.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    let list: Vec<Value> = serde_json::from_str(out.trim()).expect("list.mjs prints a JSON array");
    let text = |v: &Value, k: &str| v[k].as_str().map(str::to_owned);
    list.iter()
        .map(|v| Fault {
            name: text(v, "name").expect("name"),
            layer: text(v, "layer").expect("layer"),
            does: text(v, "does").expect("does"),
            source: text(v, "source").expect("source"),
            source_note: text(v, "sourceNote"),
            awaiting: text(v, "awaiting"),
        })
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The FAULTS.md columns before "caught by", as the catalogue gives them.
fn describe(f: &Fault) -> String {
    let source = if f.source.starts_with("https://") {
        let short = f.source.trim_start_matches("https://github.com/");
        match &f.source_note {
            Some(note) => format!("[{short}]({}): {note}", f.source),
            None => format!("[{short}]({})", f.source),
        }
    } else {
        f.source.clone()
    };
    format!(
        "| `{}` | {} | {} | {} |",
        f.name,
        escape(&f.layer),
        escape(&f.does),
        escape(&source)
    )
}

/// What FAULTS.md says caught a fault: (case id, verdict) pairs, or the case it awaits.
#[derive(Debug, Default, Clone)]
struct Caught {
    cases: Vec<(String, String)>,
    awaiting: Option<String>,
}

/// FAULTS.md's rows: fault name → (description columns, catching cases).
fn parse_table(md: &str) -> BTreeMap<String, (String, Caught)> {
    let mut rows = BTreeMap::new();
    for line in md.lines().filter(|l| l.starts_with("| `")) {
        let Some((head, last)) = line.rsplit_once(" | ") else {
            continue;
        };
        let name = line[3..].split('`').next().unwrap_or_default().to_string();
        let mut caught = Caught::default();
        let mut last = last.trim_end_matches(" |").trim_end_matches('|').trim();
        if let Some(rest) = last.strip_prefix("awaiting case `") {
            let (case, rest) = rest.split_once('`').unwrap_or((rest, ""));
            caught.awaiting = Some(case.to_string());
            last = rest.trim_start_matches(':').trim();
        }
        {
            for cell in last.split(", ") {
                let mut parts = cell.split('`');
                let (Some(_), Some(id), Some(verdict)) = (parts.next(), parts.next(), parts.next())
                else {
                    continue;
                };
                let verdict = verdict.trim().trim_start_matches('(').trim_end_matches(')');
                caught.cases.push((id.to_string(), verdict.to_string()));
            }
        }
        rows.insert(name, (format!("{head} |"), caught));
    }
    rows
}

/// The cases CI runs for a fault: `fail` first, then `non-strict` (a broken SHOULD; `--strict`
/// counts it), at most CASES_PER_FAULT. `blocked` cases are left out: the runner does not count
/// them as failures.
fn selection(caught: &Caught) -> Vec<String> {
    let pick = |verdict: &str| -> Vec<String> {
        caught
            .cases
            .iter()
            .filter(|(_, v)| v == verdict)
            .map(|(id, _)| id.clone())
            .collect()
    };
    pick("fail")
        .into_iter()
        .chain(pick("non-strict"))
        .take(CASES_PER_FAULT)
        .collect()
}

/// Runs `job` over `items`, PARALLEL at a time, and returns the results in input order.
fn parallel<T: Send + Sync + 'static, R: Send + 'static>(
    items: Vec<T>,
    job: impl Fn(&T) -> R + Send + Sync + 'static,
) -> Vec<R> {
    let n = items.len();
    let items = Arc::new(items);
    let next = Arc::new(Mutex::new(0usize));
    let job = Arc::new(job);
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = (0..PARALLEL.min(n.max(1)))
        .map(|_| {
            let (items, next, job, tx) = (items.clone(), next.clone(), job.clone(), tx.clone());
            std::thread::spawn(move || {
                loop {
                    let i = {
                        let mut next = next.lock().expect("queue");
                        let i = *next;
                        *next += 1;
                        i
                    };
                    if i >= items.len() {
                        return;
                    }
                    let _ = tx.send((i, job(&items[i])));
                }
            })
        })
        .collect();
    drop(tx);
    let mut out: Vec<Option<R>> = (0..n).map(|_| None).collect();
    for (i, r) in rx {
        out[i] = Some(r);
    }
    for w in workers {
        if let Err(panic) = w.join() {
            std::panic::resume_unwind(panic);
        }
    }
    out.into_iter().map(|r| r.expect("every job ran")).collect()
}

/// Verdicts (`--json`) of the harness with `fault` on the cases `selection` picks (`--filter`
/// or `--exclude` arguments): case id → (verdict, node differs).
fn full_run(
    fault: Option<&str>,
    dir: &Path,
    selection: &[&str],
) -> BTreeMap<String, (String, bool)> {
    let (_harness, url) = start_harness(fault);
    let json = dir.join(format!(
        "{}-{}.json",
        fault.unwrap_or("pristine"),
        selection[0]
    ));
    let json_arg = json.to_string_lossy().to_string();
    // One retry: a case that fails only by a timing accident under load ends `flaky`, and is
    // not listed as catching the fault; a real bug fails both attempts.
    let mut args = selection.to_vec();
    args.extend(["--retries", "1", "--json", &json_arg]);
    let (code, summary) = run_suite(&url, &args);
    eprintln!(
        "{}: exit {code:?}: {summary}",
        fault.unwrap_or("(no fault)")
    );
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{json:?}: {e}")),
    )
    .expect("JSON report");
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id").to_string(),
                (
                    c["verdict"].as_str().expect("verdict").to_string(),
                    c["node_differs"].is_string(),
                ),
            )
        })
        .collect()
}

/// The FAULTS.md document.
fn document(faults: &[Fault], caught: &BTreeMap<String, Caught>, total: usize) -> String {
    let mut md = String::new();
    md.push_str(
        "# Injected faults in the Node harness\n\n\
         <!-- Generated by conformance/tests/node_faults.rs; do not edit by hand. Regenerate with\n\
         `SIO_NODE_FAULTS_BLESS=1 cargo test -p sio-conformance --test node_faults`. -->\n\n\
         The official Node server (fixtures/node/harness.mjs) is the suite's oracle: it passes every\n\
         case. To prove the suite catches real bugs on a real server, not only on the reference\n\
         server (reference-server/FAULTS.md), `faults/preload.mjs` gives the Node harness one bug at\n\
         a time, each modelled on one that an implementation shipped. The packages are patched in\n\
         memory, through their CommonJS modules, before the harness builds its servers; the\n\
         harness and node_modules are untouched. The fault is chosen by `SIO_NODE_FAULT`; an\n\
         unknown name, or a patch whose target is missing or has changed shape, makes the harness\n\
         refuse to start (exit 2, the reason on stderr):\n\n\
         ```sh\n\
         cd fixtures/node && SIO_NODE_FAULT=rooms-deliver-twice node --import ./faults/preload.mjs harness.mjs --port 0\n\
         SIO_NODE_FAULT=rooms-deliver-twice cargo xtask serve --target node   # the same, through xtask\n\
         node faults/list.mjs --check   # the catalogue as JSON; applies every fault, each in a fresh process\n\
         ```\n\n",
    );
    let _ = write!(
        md,
        "The last column is the cases that caught each fault when this file was generated: the \
         suite ({total} cases: all but `{EXCLUDED}`, `--strict`, one retry) against the harness with the fault, \
         every case whose verdict is not the pristine harness's, confirmed by a second run on a \
         fresh harness (`fail`: a MUST broke; `non-strict`: a SHOULD broke; `blocked`: the case \
         deviated under a rule another case reports). `tests/node_faults.rs` checks in CI that this table describes the faults of \
         `faults/faults.mjs` exactly, and that for each fault the binary run on up to \
         {CASES_PER_FAULT} of its cases (`fail` first, `--strict`) exits 1 while the pristine \
         harness passes them all. \"Awaiting case\" names the case written for a fault's bug \
         class; while the suite does not have it the fault is reported, not asserted.\n\n"
    );
    md.push_str("| fault | layer | what the server does wrong | shipped by | caught by |\n");
    md.push_str("|---|---|---|---|---|\n");
    for f in faults {
        let c = &caught[&f.name];
        let list = c
            .cases
            .iter()
            .map(|(id, v)| format!("`{id}` ({v})"))
            .collect::<Vec<_>>()
            .join(", ");
        let cell = match (&f.awaiting, list.is_empty()) {
            (Some(case), true) => format!("awaiting case `{case}`"),
            (Some(case), false) => format!("awaiting case `{case}`: {list}"),
            (None, _) => list,
        };
        let _ = writeln!(md, "{} {cell} |", describe(f));
    }
    md
}

fn faults_md() -> PathBuf {
    support::node_dir().join("FAULTS.md")
}

fn node_available() -> bool {
    if Command::new("node").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the Node oracle, but `node` is not on the PATH"
    );
    eprintln!("SKIPPED: `node` is not on the PATH; the Node harness cannot be started");
    false
}

/// An unknown fault name is refused: the harness exits non-zero, says why on stderr, and never
/// prints a listening line.
#[test]
fn an_unknown_fault_is_refused() {
    if !node_available() {
        return;
    }
    let mut child = Command::new("node")
        .args([
            "--import",
            "./faults/preload.mjs",
            "harness.mjs",
            "--port",
            "0",
        ])
        .current_dir(support::node_dir())
        .env("SIO_NODE_FAULT", "no-such-fault")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the Node harness");
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let status = wait_bounded(&mut child, START_TIMEOUT);
    let _guard = Killed(child);
    let out = out.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    let err = err.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
    assert!(
        status.is_some_and(|s| !s.success()),
        "the harness started with an unknown fault: {status:?}"
    );
    assert!(out.is_empty(), "it printed on stdout: {out:?}");
    assert!(
        err.contains("refusing to start") && err.contains("no-such-fault"),
        "stderr: {err:?}"
    );
}

#[test]
fn the_suite_catches_every_fault_injected_into_node() {
    if !node_available() {
        return;
    }
    assert!(
        support::node_dir().join("node_modules").is_dir(),
        "fixtures/node/node_modules is missing: run `npm ci` in fixtures/node"
    );
    let started = Instant::now();
    let faults = catalogue();
    assert!(
        faults.len() >= 25,
        "faults.mjs has {} faults, fewer than 25",
        faults.len()
    );

    if std::env::var_os(BLESS_VAR).is_some() {
        bless(&faults);
        return;
    }

    let bless_hint = format!(
        "regenerate it with `{BLESS_VAR}=1 cargo test -p sio-conformance --test node_faults` and \
         review the diff"
    );
    let committed = parse_table(&std::fs::read_to_string(faults_md()).unwrap_or_default());
    let expected: BTreeMap<String, String> = faults
        .iter()
        .map(|f| (f.name.clone(), describe(f)))
        .collect();
    let documented: BTreeMap<String, String> = committed
        .iter()
        .map(|(n, (d, _))| (n.clone(), d.clone()))
        .collect();
    assert_eq!(
        documented, expected,
        "fixtures/node/FAULTS.md does not describe the faults of faults/faults.mjs as they are; \
         {bless_hint}"
    );

    // The cases each fault is checked with. A listed case the suite does not have (yet, or any
    // more) is left out with a note: cases are written in parallel with this table. A fault that
    // awaits a case the suite does not have yet is only reported; any other fault must keep at
    // least one listed case.
    let known: BTreeSet<String> = list_cases();
    let mut checked = Vec::new();
    let mut awaiting = Vec::new();
    for f in &faults {
        let mut caught = committed[&f.name].1.clone();
        let (present, absent): (Vec<_>, Vec<_>) = caught
            .cases
            .into_iter()
            .partition(|(id, _)| known.contains(id));
        caught.cases = present;
        if !absent.is_empty() {
            eprintln!(
                "note: {}: FAULTS.md lists cases the suite does not have: {absent:?}",
                f.name
            );
        }
        let cases = selection(&caught);
        let waits_for = f.awaiting.as_ref().filter(|case| !known.contains(*case));
        if let Some(case) = waits_for {
            awaiting.push((f.name.clone(), case.clone()));
        } else {
            assert!(
                !cases.is_empty(),
                "FAULTS.md lists no case of the suite that catches {}; {bless_hint}",
                f.name
            );
            checked.push((f.name.clone(), cases));
        }
    }

    // The pristine harness passes every case that is used (so a fault's exit 1 is the fault's).
    let union: BTreeSet<String> = checked.iter().flat_map(|(_, c)| c.clone()).collect();
    let union = union.into_iter().collect::<Vec<_>>().join(",");
    {
        let (_harness, url) = start_harness(None);
        // A retry absorbs a timing accident on a loaded machine (`flaky` is not a failure).
        let (code, summary) = run_suite(&url, &["--filter", &union, "--retries", "1"]);
        assert_eq!(
            code,
            Some(0),
            "the pristine harness must pass every case the faults are checked with \
             (--strict --filter {union}): {summary}"
        );
    }

    // Each fault, PARALLEL at a time, on its own harness: exit 1 (a case failed), not 0 and not
    // 2 (a harness error). With one retry a case counts only if it fails twice, so a timing
    // accident cannot stand in for a fault that is no longer caught.
    let results = parallel(checked.clone(), |(name, cases)| {
        let (_harness, url) = start_harness(Some(name));
        let filter = cases.join(",");
        let t = Instant::now();
        let (code, summary) = run_suite(&url, &["--filter", &filter, "--retries", "1"]);
        eprintln!(
            "{name}: exit {code:?} in {:.1} s ({filter}): {summary}",
            t.elapsed().as_secs_f64()
        );
        (name.clone(), filter, code, summary)
    });
    let missed: Vec<String> = results
        .iter()
        .filter(|(_, _, code, _)| *code != Some(1))
        .map(|(name, filter, code, summary)| {
            format!("{name}: exit {code:?} with --filter {filter}: {summary}")
        })
        .collect();

    for (name, case) in &awaiting {
        eprintln!("{name}: awaiting case `{case}` (not in the suite yet): not checked");
    }
    eprintln!(
        "{} faults checked, {} awaiting a case, in {:.1} s",
        checked.len(),
        awaiting.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        missed.is_empty(),
        "the suite did not fail (exit 1) against these faults:\n{}",
        missed.join("\n")
    );
}

/// The ids of every case of the suite (`sio-conformance --list`).
fn list_cases() -> BTreeSet<String> {
    let (code, out) = run_suite("http://127.0.0.1:9", &["--list"]);
    assert_eq!(code, Some(0), "sio-conformance --list: {out}");
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| id.contains('.'))
        .map(str::to_owned)
        .collect()
}

/// Runs the whole suite against the pristine harness and against each fault and rewrites
/// FAULTS.md with the cases whose verdict differs from the pristine one.
fn bless(faults: &[Fault]) {
    let dir = std::env::temp_dir().join(format!("sio-node-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let pristine = full_run(None, &dir, &["--exclude", EXCLUDED]);
    let not_passing: Vec<&String> = pristine
        .iter()
        .filter(|(_, (v, differs))| v != "pass" && !(*differs && v == "non-strict"))
        .map(|(id, _)| id)
        .collect();
    assert!(
        not_passing.is_empty(),
        "the pristine harness must pass every case but the documented Node differences: {not_passing:?}"
    );
    let pristine = Arc::new(pristine);
    let names: Vec<String> = faults.iter().map(|f| f.name.clone()).collect();
    let dir2 = dir.clone();
    let p2 = pristine.clone();
    let runs = parallel(names, move |name| {
        let caught = |verdicts: &BTreeMap<String, (String, bool)>| -> BTreeMap<String, String> {
            verdicts
                .iter()
                .filter(|(id, (v, _))| {
                    matches!(v.as_str(), "fail" | "non-strict" | "blocked")
                        && p2.get(*id).is_some_and(|(pv, _)| pv == "pass")
                })
                .map(|(id, (v, _))| (id.clone(), v.clone()))
                .collect()
        };
        let first = caught(&full_run(Some(name), &dir2, &["--exclude", EXCLUDED]));
        if first.is_empty() {
            return (name.clone(), Vec::new());
        }
        // Confirmed on a fresh harness: a case that caught the fault only once (a timing case
        // on a loaded machine) is not listed.
        let filter = first.keys().cloned().collect::<Vec<_>>().join(",");
        let again = caught(&full_run(Some(name), &dir2, &["--filter", &filter]));
        let cases: Vec<(String, String)> = first
            .into_iter()
            .filter(|(id, _)| again.contains_key(id))
            .collect();
        (name.clone(), cases)
    });
    // Suite order (the pristine report's order is the JSON's; keep the case list's order).
    let order: Vec<String> = list_cases_ordered();
    let rank = |id: &String| order.iter().position(|o| o == id).unwrap_or(usize::MAX);
    let caught: BTreeMap<String, Caught> = runs
        .into_iter()
        .map(|(name, mut cases)| {
            cases.sort_by_key(|(id, _)| rank(id));
            (
                name,
                Caught {
                    cases,
                    awaiting: None,
                },
            )
        })
        .collect();
    let missed: Vec<&String> = faults
        .iter()
        .filter(|f| caught[&f.name].cases.is_empty() && f.awaiting.is_none())
        .map(|f| &f.name)
        .collect();
    std::fs::write(faults_md(), document(faults, &caught, pristine.len())).expect("FAULTS.md");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        missed.is_empty(),
        "no case caught these faults (FAULTS.md was written anyway): {missed:?}"
    );
}

/// The case ids in the suite's order (`--list`), replays left out.
fn list_cases_ordered() -> Vec<String> {
    let (code, out) = run_suite("http://127.0.0.1:9", &["--list", "--exclude", EXCLUDED]);
    assert_eq!(code, Some(0), "sio-conformance --list: {out}");
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| id.contains('.'))
        .map(str::to_owned)
        .collect()
}
