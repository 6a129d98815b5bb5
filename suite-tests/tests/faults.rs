//! Fault injection proves the conformance suite catches broken servers: for every injected
//! protocol bug (`sio_reference_server::fault::Fault`, armed through the contract server's
//! feature `faults`, which this crate turns on), the contract server with that one fault runs
//! in-process on an ephemeral port, the suite (all but the transcript replays) runs against it,
//! and at least one case must end `fail` (or `non-strict`, where the broken rule is a SHOULD).
//! The same run without a fault must have no case that did not pass, so the test cannot pass
//! vacuously.
//!
//! It prints the table fault → cases that caught it (`SIO_FAULTS_VERBOSE=1`: with each case's
//! first failure) and checks FAULTS.md against it: the same faults with the same descriptions,
//! and for each fault at least one of the documented cases caught it in this run (a few timing
//! cases catch some faults only under load, so the exact lists are not compared; differences are
//! printed). `SIO_FAULTS_BLESS=1 cargo test -p sio-suite-tests --test faults`
//! rewrites reference-server/FAULTS.md.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use sio_conformance::cases;
use sio_conformance::config::{Capability, Settings};
use sio_conformance::driver::Endpoint;
use sio_conformance::filter::{Globs, Selection};
use sio_conformance::runner::{self, RunOptions};
use sio_conformance::verdict::{CaseRecord, Verdict};
use sio_reference_server::fault::{Fault, Injected};

/// Suite runs at the same time (each has `JOBS` cases in flight).
const PARALLEL_RUNS: usize = 6;
/// Cases in flight per run, as `sio-conformance --jobs`.
const JOBS: usize = 4;
/// Left out: the transcript replays (`replay.*`) re-check what the hand-written cases check,
/// and would double the run's length.
const EXCLUDED: &[&str] = &["replay.*"];

/// The contract server with `fault` on an ephemeral port, served by this runtime.
async fn serve(fault: Option<Fault>) -> String {
    let router = sio_contract_server::build_with_fault(Injected::fault(fault)).router;
    format!("http://{}", sio_test_support::serve_here(router).await)
}

/// The whole suite against the contract server with `fault`, offering `capabilities`.
async fn run_suite(fault: Option<Fault>, capabilities: &BTreeSet<Capability>) -> Vec<CaseRecord> {
    let url = serve(fault).await;
    let mut settings = Settings::new(Endpoint::parse(&url).expect("server URL"));
    settings.capabilities = capabilities.clone();
    let options = RunOptions {
        jobs: JOBS,
        // A retry turns a timing accident into `flaky`; a real bug fails every attempt.
        retries: 1,
        selection: Selection {
            exclude: Globs::new(EXCLUDED),
            ..Selection::default()
        },
        ..RunOptions::default()
    };
    runner::run(&cases::all(), settings, &options, |_, _, _| {}).await
}

/// The verdict the fault-free reference server must get: `pass`, except `non-strict` for the
/// SHOULD cases where Node (and so the reference server) differs from the spec.
fn expected(record: &CaseRecord) -> Verdict {
    match record.node_differs {
        Some(_) => Verdict::NonStrict,
        None => Verdict::Pass,
    }
}

/// The cases that caught a bug: `fail`, `blocked` (by a finding another case reports), or
/// `non-strict` (a broken SHOULD) where the fault-free
/// server passes.
fn caught(records: &[CaseRecord]) -> Vec<&CaseRecord> {
    records
        .iter()
        // `blocked`: the case deviated too, under a rule another case reports as the finding.
        .filter(|r| {
            matches!(
                r.verdict,
                Verdict::Fail | Verdict::NonStrict | Verdict::Blocked
            )
        })
        .filter(|r| r.verdict != expected(r))
        .collect()
}

/// A catching case as FAULTS.md writes it.
fn cell(r: &CaseRecord) -> String {
    format!("`{}` ({})", r.id, r.verdict.name())
}

/// The rows of FAULTS.md's table: name → (description, imitates, catching case ids).
type Rows = BTreeMap<String, (String, String, BTreeSet<String>)>;

fn parse_rows(md: &str) -> Rows {
    md.lines()
        .filter_map(|line| {
            let cols: Vec<&str> = line.strip_prefix("| `")?.split(" | ").collect();
            let [name, description, imitates, cases] = cols[..] else {
                return None;
            };
            let ids = cases
                .split("`")
                .skip(1)
                .step_by(2)
                .map(str::to_owned)
                .collect();
            Some((
                name.trim_end_matches('`').to_owned(),
                (
                    description.replace("\\|", "|"),
                    imitates.replace("\\|", "|"),
                    ids,
                ),
            ))
        })
        .collect()
}

/// FAULTS.md: every fault, what it does, what it imitates, the cases that caught it.
fn document(results: &[(Fault, Vec<String>)], total_cases: usize) -> String {
    let mut md = String::new();
    md.push_str(
        "# Injected faults\n\n\
         <!-- Generated by suite-tests/tests/faults.rs; do not edit by hand. Regenerate with\n\
         `SIO_FAULTS_BLESS=1 cargo test -p sio-suite-tests --test faults`. -->\n\n\
         The reference server passes every conformance case. To prove the suite catches broken\n\
         servers, the server can be given one realistic protocol bug at a time: one behaviour\n\
         change at the site where implementations got it wrong (`session/src/fault.rs`; each hook\n\
         is an `if config.fault.is(Fault::…)` beside Node's behaviour). Only a build with the\n\
         cargo feature `faults` (off by default, never in a production build) can arm one; a\n\
         server given none behaves the same in either build. It is chosen per server instance\n\
         (`EngineConfig::with_fault`, `SocketIoConfig::with_fault`, the contract server's\n\
         `build_with_fault`), or on the command line of the contract binary built with the\n\
         feature:\n\n\
         ```sh\n\
         cargo run -p sio-contract-server --features faults -- --port 0 --fault except-ignored\n\
         cargo xtask conformance --url http://127.0.0.1:PORT\n\
         ```\n\n",
    );
    let _ = write!(
        md,
        "`suite-tests/tests/faults.rs` runs the suite ({total_cases} cases: all but `{}`, `--jobs {JOBS}`, one retry) \
         against the server with each fault and asserts that at least one case ends `fail` \
         (`non-strict` where the broken rule is a SHOULD), and that the server without a fault \
         fails none. The last column is the cases that caught the fault when this file was \
         generated; the test checks that the faults and descriptions match `session/src/fault.rs` and that \
         at least one listed case still catches each fault (a few timing cases catch some faults \
         only under load, so the lists are not compared exactly).\n\n\
         The cluster faults of the Redis adapter, which the `cluster.*` cases catch, are listed \
         in [redis-adapter/README.md](../redis-adapter/README.md#injected-faults).\n\n",
        EXCLUDED.join("`, `")
    );
    md.push_str("| fault | what the server does wrong | imitates | caught by |\n");
    md.push_str("|---|---|---|---|\n");
    for (fault, cases) in results {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} |",
            fault.name(),
            fault.description().replace('|', "\\|"),
            fault.imitates().replace('|', "\\|"),
            cases.join(", "),
        );
    }
    md
}

#[test]
fn the_suite_catches_every_injected_fault() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let (baseline, results) = rt.block_on(async {
        // Without a fault: every offered capability detected, no case that did not pass.
        let url = serve(None).await;
        let found = runner::detect(&Settings::new(Endpoint::parse(&url).expect("URL")))
            .await
            .expect("the reference server answers")
            .capabilities;
        assert!(
            found.contains(&Capability::Sio) && found.contains(&Capability::Recovery),
            "capabilities of the reference server: {found:?}"
        );
        // The fault-free run, then every fault, PARALLEL_RUNS at a time, each against its own
        // server; the capabilities are the fault-free server's, so a fault cannot turn cases
        // into `unsupported`.
        let found = Arc::new(found);
        let gate = Arc::new(tokio::sync::Semaphore::new(PARALLEL_RUNS));
        let runs: Vec<_> = std::iter::once(None)
            .chain(Fault::ALL.iter().copied().map(Some))
            .map(|fault| {
                let (found, gate) = (found.clone(), gate.clone());
                tokio::spawn(async move {
                    let _permit = gate.acquire_owned().await;
                    let t = Instant::now();
                    let records = run_suite(fault, &found).await;
                    let name = fault.map_or("(no fault)", Fault::name);
                    eprintln!("{name}: {:.1} s", t.elapsed().as_secs_f64());
                    (fault, records)
                })
            })
            .collect();
        let mut baseline = Vec::new();
        let mut results = Vec::new();
        for run in runs {
            match run.await.expect("a suite run panicked") {
                (None, records) => baseline = records,
                (Some(fault), records) => results.push((fault, records)),
            }
        }
        (baseline, results)
    });
    eprintln!(
        "{} faults + the fault-free run: {:.1} s",
        Fault::ALL.len(),
        started.elapsed().as_secs_f64()
    );

    let not_passing: Vec<String> = baseline
        .iter()
        .filter(|r| r.verdict != expected(r))
        .filter(|r| !matches!(r.verdict, Verdict::Flaky | Verdict::Unsupported))
        .map(|r| format!("{} ({})", r.id, r.verdict.name()))
        .collect();
    assert!(
        not_passing.is_empty(),
        "without a fault the reference server must pass every case (the documented Node \
         differences: non-strict); got another verdict: {}",
        not_passing.join(", ")
    );
    let ran = baseline
        .iter()
        .filter(|r| r.verdict != Verdict::Unsupported)
        .count();

    let verbose = std::env::var_os("SIO_FAULTS_VERBOSE").is_some();
    eprintln!("\nfault → cases that caught it");
    for (fault, records) in &results {
        let cases = caught(records);
        eprintln!("  {:<32} {} case(s)", fault.name(), cases.len());
        for r in cases {
            eprintln!("      {}", cell(r));
            if let (true, Some(f)) = (verbose, r.failures.first()) {
                eprintln!(
                    "        at {:?}: expected {:?}, received {:?}",
                    f.step, f.expected, f.received
                );
            }
        }
    }
    let table: Vec<(Fault, Vec<String>)> = results
        .iter()
        .map(|(fault, records)| (*fault, caught(records).into_iter().map(cell).collect()))
        .collect();
    let errors: Vec<String> = results
        .iter()
        .flat_map(|(fault, records)| {
            records
                .iter()
                .filter(|r| r.verdict == Verdict::Error)
                .map(move |r| format!("{fault}: {}", r.id))
        })
        .collect();
    if !errors.is_empty() {
        eprintln!("cases that ended `error`: {}", errors.join(", "));
    }
    let missed: Vec<&str> = table
        .iter()
        .filter(|(_, cases)| cases.is_empty())
        .map(|(fault, _)| fault.name())
        .collect();
    assert!(
        missed.is_empty(),
        "no case caught these faults (every case passed against them): {}",
        missed.join(", ")
    );

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../reference-server/FAULTS.md");
    let generated = document(&table, ran);
    if std::env::var_os("SIO_FAULTS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("writing FAULTS.md");
        return;
    }
    let bless = "regenerate it with `SIO_FAULTS_BLESS=1 cargo test -p sio-suite-tests --test \
                 faults` and review the diff";
    let committed = parse_rows(&std::fs::read_to_string(&path).unwrap_or_default());
    let observed = parse_rows(&generated);
    let describe = |rows: &Rows| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|(n, (d, i, _))| (n.clone(), d.clone(), i.clone()))
            .collect()
    };
    assert_eq!(
        describe(&committed),
        describe(&observed),
        "FAULTS.md does not list the faults of session/src/fault.rs as they are; {bless}"
    );
    let mut stale = Vec::new();
    for (name, (_, _, now)) in &observed {
        let documented = &committed[name].2;
        if documented.is_disjoint(now) {
            stale.push(name.as_str());
        }
        let (gone, new): (Vec<_>, Vec<_>) = (
            documented.difference(now).collect(),
            now.difference(documented).collect(),
        );
        if !gone.is_empty() || !new.is_empty() {
            eprintln!("note: {name}: not caught this run by {gone:?}; newly caught by {new:?}");
        }
    }
    assert!(
        stale.is_empty(),
        "none of the cases FAULTS.md lists caught these faults in this run: {}; {bless}",
        stale.join(", ")
    );
}
