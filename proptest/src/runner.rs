//! Our runner on top of proptest's `TestRunner`: fixed seeds in CI, bounded case counts,
//! failure persistence under `proptest/proptest-regressions/`, shrinking against the live
//! server, and a failure report that is a replayable transcript (the operations, the frames)
//! plus the command that replays it.

use super::live::{Live, Outcome, StepFailure, run_case};
use super::model::Fault;
use super::ops::{Case, ClientTransport, Kind, cases};
use ::proptest::test_runner::{
    Config, FailurePersistence, FileFailurePersistence, PersistedSeed, RngAlgorithm, TestCaseError,
    TestError, TestRng, TestRunner,
};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How one property run is set up.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The server and the wait bound.
    pub live: Live,
    /// Which server and operation mix.
    pub kind: Kind,
    /// New cases to generate (persisted regressions run first and do not count).
    pub cases: u32,
    /// Longest operation sequence.
    pub max_ops: usize,
    /// The RNG seed; `None` = a random one (printed).
    pub seed: Option<u64>,
    /// The failure persistence file ([`persistence_file`]), `None` = off.
    pub persistence: Option<&'static str>,
    /// Whether a new failure is written into the persistence file (a tracked file of the
    /// checkout); off, the persisted regressions are still run first.
    pub persist_new: bool,
    /// A deliberate model bug (tests that prove the property can fail).
    pub fault: Option<Fault>,
    /// Bound on shrink iterations (each is one live run).
    pub max_shrink_iters: u32,
    /// How to name the target in the replay command (`--target reference`, `--url …`).
    pub target_flag: String,
}

/// The fixed seed of CI runs, per kind (so CI is reproducible).
pub fn ci_seed(kind: Kind) -> u64 {
    match kind {
        Kind::Rooms => 0x5101_0000_0000_0001,
        Kind::Recovery => 0x5101_0000_0000_0002,
        Kind::Upgrade => 0x5101_0000_0000_0003,
        Kind::Cluster => 0x5101_0000_0000_0004,
    }
}

/// The persistence file of a kind's regressions: `proptest-regressions/<kind>.txt` of this
/// crate's directory in the checkout it was built from, so the tests (run in the crate
/// directory) and the binary (run from anywhere) read and write the same tracked files.
pub fn persistence_file(kind: Kind) -> &'static str {
    match kind {
        Kind::Rooms => concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/rooms.txt"
        ),
        Kind::Recovery => concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/recovery.txt"
        ),
        Kind::Upgrade => concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/upgrade.txt"
        ),
        Kind::Cluster => concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/cluster.txt"
        ),
    }
}

impl Settings {
    /// `cases` new cases of `kind` against `live` from `seed` (`None`: a random one, printed),
    /// the persisted regressions run first and a new failure written into them.
    pub fn new(live: Live, kind: Kind, cases: u32, seed: Option<u64>) -> Settings {
        Settings {
            live,
            kind,
            cases,
            max_ops: match kind {
                Kind::Rooms | Kind::Cluster => 24,
                Kind::Recovery => 16,
                Kind::Upgrade => 20,
            },
            seed,
            persistence: Some(persistence_file(kind)),
            persist_new: true,
            fault: None,
            max_shrink_iters: 400,
            target_flag: "--target reference".into(),
        }
    }

    /// As [`Settings::new`], for the tests: `PROPTEST_CASES` (else `default_cases`),
    /// `SIO_PROPTEST_SEED` (else the fixed CI seed when `CI` is set, else random).
    pub fn from_env(live: Live, kind: Kind, default_cases: u32) -> Settings {
        let cases = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default_cases);
        let seed = std::env::var("SIO_PROPTEST_SEED")
            .ok()
            .and_then(|v| parse_seed(&v))
            .or_else(|| std::env::var_os("CI").map(|_| ci_seed(kind)));
        Settings::new(live, kind, cases, seed)
    }
}

/// `0x…` hex or decimal.
pub fn parse_seed(v: &str) -> Option<u64> {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

/// A minimal failing case, ready to print and replay.
#[derive(Debug)]
pub struct Failure {
    /// The shrunk case.
    pub case: Case,
    /// Operations in the first failing case found, before shrinking.
    pub original_ops: usize,
    /// Live runs spent shrinking.
    pub shrink_runs: u32,
    /// Why it failed (on the last run of the minimal case).
    pub failure: Option<StepFailure>,
    /// The minimal case passed when run once more: `failure` and `transcript` are those of
    /// the last failing run during shrinking (a timing-dependent failure).
    pub flaky: bool,
    /// The wire transcript of that run.
    pub transcript: Vec<String>,
    /// The operations as applied in that run (client picked, or skipped).
    pub steps: Vec<String>,
    /// Where the replay file was written.
    pub replay_file: Option<PathBuf>,
    /// The command that replays it.
    pub replay_command: String,
}

/// What a property run gave.
#[derive(Debug)]
pub struct Report {
    /// The kind.
    pub kind: Kind,
    /// The seed used.
    pub seed: u64,
    /// Cases run (including shrink runs).
    pub runs: u32,
    /// Operations that applied, over all runs.
    pub applied: usize,
    /// Reconnects that recovered a session, over all runs.
    pub recoveries: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// The minimal failure, if the property failed.
    pub failure: Option<Failure>,
}

impl Report {
    /// A human-readable report.
    pub fn render(&self) -> String {
        let mut out = format!(
            "proptest {}: {} runs, {} operations applied, {} recoveries, {:.1} s, seed {:#x}\n",
            self.kind.name(),
            self.runs,
            self.applied,
            self.recoveries,
            self.elapsed.as_secs_f64(),
            self.seed
        );
        if let Some(f) = &self.failure {
            out.push_str(&f.render());
        }
        out
    }
}

impl Failure {
    /// The replayable transcript: operations, the failure, the frames, the command.
    pub fn render(&self) -> String {
        let mut out = format!(
            "PROPERTY FAILED; minimal case: {} operations (shrunk from {} in {} runs), {} clients ({})\n",
            self.case.ops.len(),
            self.original_ops,
            self.shrink_runs,
            self.case.clients,
            self.case.describe_transports()
        );
        for (i, op) in self.steps.iter().enumerate() {
            out.push_str(&format!("  {:>2}. {op}\n", i + 1));
        }
        if self.flaky {
            out.push_str("NOTE: the minimal case passed when run once more (timing-dependent?); shown: its last failing run\n");
        }
        match &self.failure {
            Some(f) => out.push_str(&format!("failure: {f}")),
            None => out.push_str("failure: (not recorded)\n"),
        }
        out.push_str("transcript:\n");
        for line in &self.transcript {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&format!(
            "case (JSON): {}\n",
            serde_json::to_string(&self.case).unwrap_or_default()
        ));
        out.push_str(&format!("replay: {}\n", self.replay_command));
        out
    }
}

fn rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&seed.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Runs one case once (a replay), with its transcript.
pub fn replay(live: &Live, case: &Case, fault: Option<Fault>) -> Outcome {
    runtime().block_on(run_case(live, case, fault))
}

/// Where replay files go: `<workspace>/target/proptest-failures/`.
pub fn failures_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")))
        .join("proptest-failures")
}

/// A persistence file whose regressions are run but that is never written: a run against
/// somebody else's server must not change a tracked file of the checkout unless asked to.
#[derive(Clone, Debug, PartialEq)]
struct ReadOnly(FileFailurePersistence);

impl FailurePersistence for ReadOnly {
    fn load_persisted_failures2(&self, source_file: Option<&'static str>) -> Vec<PersistedSeed> {
        self.0.load_persisted_failures2(source_file)
    }

    fn save_persisted_failure2(
        &mut self,
        _source_file: Option<&'static str>,
        _seed: PersistedSeed,
        _shrunken_value: &dyn std::fmt::Debug,
    ) {
    }

    fn box_clone(&self) -> Box<dyn FailurePersistence> {
        Box::new(self.clone())
    }

    fn eq(&self, other: &dyn FailurePersistence) -> bool {
        other
            .as_any()
            .downcast_ref::<ReadOnly>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Runs the property: generate, run live, shrink the first failure, report.
pub fn run(settings: &Settings) -> Report {
    let start = Instant::now();
    let seed = settings.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let config = Config {
        cases: settings.cases,
        failure_persistence: settings.persistence.map(|p| {
            let file = FileFailurePersistence::Direct(p);
            if settings.persist_new {
                Box::new(file) as Box<dyn FailurePersistence>
            } else {
                Box::new(ReadOnly(file)) as _
            }
        }),
        max_shrink_iters: settings.max_shrink_iters,
        max_shrink_time: 120_000,
        max_global_rejects: 10_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng(seed));
    let rt = runtime();
    let stats = Mutex::new((0u32, 0usize, None::<usize>, 0usize));
    // The last failing run: shown when the minimal case passes when run once more (timing).
    let last_failure = Mutex::new(None::<(StepFailure, Vec<String>, Vec<String>)>);
    let strategy = cases(settings.kind, settings.max_ops);
    let result = runner.run(&strategy, |case| {
        let outcome = rt.block_on(run_case(&settings.live, &case, settings.fault));
        let mut s = stats.lock().expect("stats");
        s.0 += 1;
        s.1 += outcome.applied;
        s.3 += outcome.recoveries;
        match outcome.result {
            Ok(()) => Ok(()),
            Err(f) => {
                if s.2.is_none() {
                    s.2 = Some(case.ops.len());
                }
                let lines = outcome
                    .transcript
                    .entries()
                    .iter()
                    .map(|e| e.line())
                    .collect();
                let message = f.to_string();
                *last_failure.lock().expect("last failure") = Some((f, lines, outcome.steps));
                Err(TestCaseError::fail(message))
            }
        }
    });
    let (mut runs, mut applied, first_len, mut recoveries) = *stats.lock().expect("stats");
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Abort(why)) => Some(Failure {
            case: Case {
                kind: settings.kind,
                clients: 0,
                ops: Vec::new(),
                transports: Vec::new(),
            },
            original_ops: 0,
            shrink_runs: 0,
            flaky: false,
            steps: Vec::new(),
            failure: Some(StepFailure {
                step: 0,
                op: "-".into(),
                client: 0,
                what: format!("proptest aborted: {why}"),
                expected: Vec::new(),
                received: Vec::new(),
            }),
            transcript: Vec::new(),
            replay_file: None,
            replay_command: String::new(),
        }),
        Err(TestError::Fail(_, case)) => {
            // proptest's vector shrinking deletes operations before it simplifies them, so an
            // operation that became unnecessary only after a later one was simplified stays
            // (a `join` before what ended up a broadcast to `others`), nor always the client
            // count: delete single operations again, last first, then a client (down to the
            // generated minimum of 2), while the case still fails, within the same bound.
            let mut case = case;
            let mut budget = settings.max_shrink_iters.saturating_sub(runs);
            let mut deleted = true;
            while deleted && budget > 0 {
                deleted = false;
                // Candidates, tried last first: each operation deleted, one client fewer, each
                // client's transport made plain WebSocket (proptest shrinks the transports only
                // before the operations, so one can stay needlessly polling).
                let mut i = case.ops.len() + 1 + case.clients as usize;
                while i > 0 && budget > 0 {
                    i -= 1;
                    let mut smaller = case.clone();
                    if i > case.ops.len() {
                        let c = i - case.ops.len() - 1;
                        if case.transport(c as u8) == ClientTransport::Websocket {
                            continue;
                        }
                        smaller.transports.resize(4, ClientTransport::Websocket);
                        smaller.transports[c] = ClientTransport::Websocket;
                    } else if i == case.ops.len() {
                        if case.clients <= 2 {
                            continue;
                        }
                        smaller.clients -= 1;
                    } else {
                        smaller.ops.remove(i);
                    }
                    budget -= 1;
                    let outcome = rt.block_on(run_case(&settings.live, &smaller, settings.fault));
                    runs += 1;
                    applied += outcome.applied;
                    recoveries += outcome.recoveries;
                    if let Err(f) = outcome.result {
                        let lines = outcome
                            .transcript
                            .entries()
                            .iter()
                            .map(|e| e.line())
                            .collect();
                        *last_failure.lock().expect("last failure") =
                            Some((f, lines, outcome.steps));
                        case = smaller;
                        deleted = true;
                    }
                }
            }
            let outcome = rt.block_on(run_case(&settings.live, &case, settings.fault));
            let original = first_len.unwrap_or(case.ops.len());
            let (replay_file, replay_command) = save_replay(settings, &case);
            let lines: Vec<String> = outcome
                .transcript
                .entries()
                .iter()
                .map(|e| e.line())
                .collect();
            let (failure, transcript, steps, flaky) = match outcome.result {
                Err(f) => (Some(f), lines, outcome.steps, false),
                Ok(()) => match last_failure.lock().expect("last failure").take() {
                    Some((f, lines, steps)) => (Some(f), lines, steps, true),
                    None => (None, lines, outcome.steps, true),
                },
            };
            Some(Failure {
                shrink_runs: runs.saturating_sub(1),
                original_ops: original,
                failure,
                flaky,
                transcript,
                steps,
                case,
                replay_file,
                replay_command,
            })
        }
    };
    Report {
        kind: settings.kind,
        seed,
        runs,
        applied,
        recoveries,
        elapsed: start.elapsed(),
        failure,
    }
}

fn save_replay(settings: &Settings, case: &Case) -> (Option<PathBuf>, String) {
    let dir = failures_dir();
    let file = dir.join(format!(
        "{}-{}.json",
        case.kind.name(),
        super::live::unique()
    ));
    let json = serde_json::to_string_pretty(case).unwrap_or_default();
    let saved = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&file, json))
        .is_ok();
    let shown = if saved {
        file.display().to_string()
    } else {
        "<file with the case JSON above>".into()
    };
    let fault = if settings.fault.is_some() {
        " (with the deliberately broken model of the test)"
    } else {
        ""
    };
    (
        saved.then_some(file),
        format!(
            "cargo xtask proptest {} --replay {shown}{fault}",
            settings.target_flag
        ),
    )
}
