//! The property tests catch the reference server's room and recovery bugs: for every injected
//! fault the model can observe (`sio_reference_server::fault::Fault`, feature `faults`, turned on
//! by this crate's dev-dependency), the contract router with that one fault runs in-process, the
//! property set that exercises it runs with a fixed seed and a bounded number of cases, and it
//! must FAIL; the shrunk counterexample's length is recorded.
//!
//! It prints the table fault → failed property → shrunk steps and checks the section "Faults the
//! property tests catch" of PROPTEST.md against it: the same faults (caught and not observable),
//! the same property sets and failed properties (the shrunk lengths may differ by timing; the
//! differences are printed). `SIO_PROPTEST_BLESS=1 cargo test -p sio-proptest --test proptest
//! faults` rewrites that section. Every fault of `Fault::ALL` must be in one of the two lists, so
//! a new fault cannot be forgotten.

use super::{live, serve};
use sio_proptest::StepFailure;
use sio_proptest::ops::Kind;
use sio_proptest::runner::{self, Settings};
use sio_reference_server::fault::Fault;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The faults the model observes, each with the property set that exercises it.
const CAUGHT: &[(Fault, Kind)] = &[
    // The slowest first (each failing run waits out a bound), so the 3 workers finish together.
    (Fault::PingTimeoutNeverFires, Kind::Recovery),
    (Fault::UpgradeNoNoop, Kind::Upgrade),
    (Fault::UpgradeDropsBuffered, Kind::Upgrade),
    (Fault::UpgradeSendsBufferedTwice, Kind::Upgrade),
    (Fault::PongNotRescheduling, Kind::Recovery),
    (Fault::BroadcastReachesSender, Kind::Rooms),
    (Fault::RoomsDeliverTwice, Kind::Rooms),
    (Fault::ExceptIgnored, Kind::Rooms),
    (Fault::DisconnectKeepsRooms, Kind::Rooms),
    (Fault::AckWithoutNamespace, Kind::Rooms),
    (Fault::AckIdNotForgotten, Kind::Rooms),
    (Fault::ConnectReplyWithoutComma, Kind::Rooms),
    (Fault::RecoveryReplayAfterConnect, Kind::Recovery),
    (Fault::RecoveryOffsetMissing, Kind::Recovery),
    // Transports (polling clients, upgrades, polling drops).
    (Fault::PollingNoSeparator, Kind::Rooms),
    (Fault::WebsocketHandshakeUpgrades, Kind::Rooms),
    (Fault::UnknownSidWrongCode, Kind::Recovery),
];

/// The faults outside what the properties look at, and why.
const NOT_OBSERVABLE: &[(Fault, &str)] = &[
    (
        Fault::HandshakeNoMaxPayload,
        "the open packet is only checked to start with `0{\"sid\":`",
    ),
    (
        Fault::DuplicateGetAccepted,
        "the polling clients keep exactly one GET pending, as the official client does",
    ),
    (
        Fault::PostLimitUnenforced,
        "no POST body over maxHttpBufferSize is sent",
    ),
    (
        Fault::WsLimitUnenforced,
        "no message over maxHttpBufferSize is sent",
    ),
    (Fault::ClientPingAnswered, "the clients never send a ping"),
    (
        Fault::ConnectErrorWithoutData,
        "no middleware refuses a property client",
    ),
    (
        Fault::DecodeErrorIgnored,
        "the clients send only valid packets",
    ),
    (
        Fault::EventBeforeConnectIgnored,
        "the clients send packets only in namespaces they joined",
    ),
    (
        Fault::ConnectTimeoutNeverFires,
        "every connection joins its namespaces at once",
    ),
    (
        Fault::UnknownTransportAsPolling,
        "the clients ask only for the transports `polling` and `websocket`",
    ),
    (
        Fault::BinaryEmitAckAsBinaryAck,
        "no operation carries binary arguments",
    ),
    (
        Fault::ErrorEventKillsSessions,
        "no client emits an event named `error`",
    ),
    (
        Fault::EventNameUnchecked,
        "the clients send only valid packets",
    ),
    (
        Fault::PlaceholderIndexUnchecked,
        "no operation carries binary arguments",
    ),
    (
        Fault::AttachmentLimitUnenforced,
        "no operation carries binary arguments",
    ),
];

/// Fault runs at the same time (each with its own server and a 2-thread runtime; 2 cores).
const WORKERS: usize = 3;
/// New cases per fault: any failure shrinks, and every fault here fails within a few cases.
const CASES: u32 = 24;
/// Bound on shrinking (live runs) per fault.
const SHRINK_RUNS: u32 = 200;

/// One fault's result.
struct Caught {
    fault: Fault,
    kind: Kind,
    /// The property that failed on the minimal case.
    property: String,
    /// Where: `initial connect` or `step N`.
    at: String,
    /// The minimal case: its clients and operations, as applied (client picked).
    clients: u8,
    /// `c0 polling, c1 websocket`.
    transports: String,
    ops: usize,
    steps: Vec<String>,
    original: usize,
    runs: u32,
    flaky: bool,
    elapsed: Duration,
}

/// The property a failure broke, in the words of PROPTEST.md ("Properties").
fn property(f: &StepFailure) -> String {
    let what = f.what.as_str();
    let p = if what.contains("received more than predicted") {
        "exact delivery: nothing extra"
    } else if what.contains("some predicted frames are missing") {
        "exact delivery: nothing missing"
    } else if what.starts_with("frames up to the marker echo differ") {
        "exact delivery: the predicted frames, in order"
    } else if what.contains("the echo never came") {
        "exact delivery: the marker echo arrives"
    } else if what == "the acting client's next frame" {
        "the acting client's frames, in order"
    } else if what == "the connection closes" {
        "the acting client's connection closes"
    } else if what.contains("offset") {
        "offsets: one per packet, unique, re-sent unchanged"
    } else if what.contains("socket id") || what.contains("pid") {
        "a fresh socket does not reuse the old sid/pid"
    } else if what.contains("server ack id") {
        "server ack ids: one counter per namespace"
    } else {
        what
    };
    p.to_string()
}

fn run_fault(fault: Fault, kind: Kind) -> Caught {
    let started = Instant::now();
    let mut settings = Settings::from_env(live(&serve(Some(fault))), kind, CASES);
    settings.cases = CASES;
    settings.seed = Some(runner::ci_seed(kind));
    // The regressions files are the fault-free server's.
    settings.persistence = None;
    settings.max_shrink_iters = SHRINK_RUNS;
    settings.target_flag = "--url http://127.0.0.1:PORT".into();
    let report = runner::run(&settings);
    let Some(f) = report.failure else {
        panic!(
            "{fault}: no property failed in {CASES} cases ({} runs, seed {:#x}): the fault went unnoticed",
            report.runs, report.seed
        );
    };
    eprintln!(
        "{fault}: {}(the server: `cargo run -p sio-contract-server --features faults -- --port PORT --fault {fault}`)",
        f.render()
    );
    let (property, at) = match &f.failure {
        Some(s) if s.step == 0 => (property(s), "initial connect".to_string()),
        Some(s) => (property(s), format!("step {}", s.step)),
        None => ("(not recorded)".to_string(), "-".to_string()),
    };
    Caught {
        fault,
        kind,
        property,
        at,
        clients: f.case.clients,
        transports: f.case.describe_transports(),
        ops: f.case.ops.len(),
        steps: f.steps.clone(),
        original: f.original_ops,
        runs: f.shrink_runs,
        flaky: f.flaky,
        elapsed: started.elapsed(),
    }
}

const HEADING: &str = "## Faults the property tests catch\n";
/// The section that follows it in PROPTEST.md (where a missing section is inserted).
const NEXT_HEADING: &str = "## Not covered yet\n";

/// The PROPTEST.md section: the faults caught (with the minimal case), the others with why.
fn section(results: &[Caught]) -> String {
    let mut md = String::from(HEADING);
    md.push_str(
        "\n<!-- Generated by tests/proptest/faults.rs; do not edit by hand. Regenerate with\n\
         `SIO_PROPTEST_BLESS=1 cargo test -p sio-proptest --test proptest faults`. -->\n\n",
    );
    let _ = write!(
        md,
        "The reference server's fault injection (`reference-server/session/src/fault.rs`, cargo feature \
         `faults`, on for this crate's tests through its dev-dependency; \
         [FAULTS.md](../reference-server/FAULTS.md)) gives the contract router one realistic bug \
         at a time. `faults::every_room_and_recovery_fault_fails_a_property` serves it in-process \
         with each fault the properties can observe, runs the property set that exercises it \
         (the fixed CI seed, at most {CASES} new cases, at most {SHRINK_RUNS} shrink runs, \
         no persistence, {WORKERS} faults at a time) and asserts that a property FAILS. Each row \
         is the property the minimal case broke, where, and the minimal case (each client's \
         transport, the operations as applied; the clients are connected first, and an upgrade \
         still under way at the end is completed). The test checks this table's faults, sets \
         and properties; the minimal cases are printed when they differ (timing). A failing \
         case replays with `cargo xtask proptest --url http://127.0.0.1:PORT --replay FILE` \
         against `cargo run -p sio-contract-server --features faults \
         -- --port PORT --fault NAME`.\n\n"
    );
    md.push_str("| fault | set | failed property | at | shrunk steps | minimal case |\n");
    md.push_str("|---|---|---|---|---|---|\n");
    for r in results {
        let case = if r.steps.is_empty() {
            format!(
                "{} clients ({}); fails while connecting them",
                r.clients, r.transports
            )
        } else {
            format!(
                "{} clients ({}): {}",
                r.clients,
                r.transports,
                r.steps
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} | {} |",
            r.fault,
            r.kind.name(),
            r.property,
            r.at,
            r.ops,
            case
        );
    }
    md.push_str(
        "\nThe other faults are outside what the properties look at (they are the conformance \
         cases' job):\n\n| fault | why the properties cannot see it |\n|---|---|\n",
    );
    for (fault, why) in NOT_OBSERVABLE {
        let _ = writeln!(md, "| `{fault}` | {why} |");
    }
    md.push('\n');
    md
}

/// What the check compares: the caught rows' fault, set and property; the other rows whole.
fn stable(section: &str) -> Vec<String> {
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cols: Vec<&str> = l.split(" | ").collect();
            if cols.len() >= 6 {
                cols[..3].join(" | ")
            } else {
                l.to_string()
            }
        })
        .collect()
}

fn check_doc(generated: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("PROPTEST.md");
    let doc = std::fs::read_to_string(&path).expect("reading PROPTEST.md");
    let current = doc.find(HEADING).map(|start| {
        let end = doc[start + HEADING.len()..]
            .find("\n## ")
            .map_or(doc.len(), |e| start + HEADING.len() + e + 1);
        (start, end)
    });
    if std::env::var_os("SIO_PROPTEST_BLESS").is_some() {
        let updated = match current {
            Some((start, end)) => format!("{}{generated}{}", &doc[..start], &doc[end..]),
            None => match doc.find(NEXT_HEADING) {
                Some(at) => format!("{}{generated}{}", &doc[..at], &doc[at..]),
                None => format!("{doc}\n{generated}"),
            },
        };
        std::fs::write(&path, updated).expect("writing PROPTEST.md");
        eprintln!("PROPTEST.md: section {HEADING:?} rewritten");
        return;
    }
    let Some((start, end)) = current else {
        panic!(
            "PROPTEST.md has no section {HEADING:?}; run with SIO_PROPTEST_BLESS=1 to write it:\n{generated}"
        );
    };
    let written = &doc[start..end];
    assert_eq!(
        stable(written),
        stable(generated),
        "PROPTEST.md {HEADING:?} is out of date (faults, sets or properties); \
         run with SIO_PROPTEST_BLESS=1 to rewrite it. This run:\n{generated}"
    );
    if written != generated {
        eprintln!(
            "NOTE: the minimal cases differ from PROPTEST.md's (timing?); this run:\n{generated}"
        );
    }
}

#[test]
fn every_room_and_recovery_fault_fails_a_property() {
    // Every fault is either caught here or listed with a reason.
    for &f in Fault::ALL {
        let n = CAUGHT.iter().filter(|(c, _)| *c == f).count()
            + NOT_OBSERVABLE.iter().filter(|(c, _)| *c == f).count();
        assert_eq!(n, 1, "{f}: list it once in CAUGHT or NOT_OBSERVABLE");
    }
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(fault, kind)) = CAUGHT.get(i) else {
                        break;
                    };
                    let r = run_fault(fault, kind);
                    results.lock().expect("results").insert(i, r);
                }
            });
        }
    });
    let results: Vec<Caught> = results
        .into_inner()
        .expect("results")
        .into_values()
        .collect();
    assert_eq!(results.len(), CAUGHT.len(), "a fault run panicked");
    eprintln!("fault → failed property → shrunk steps:");
    for r in &results {
        eprintln!(
            "  {:<30} {:<8} {} ({}) → {} ops (from {} in {} runs{}), {:.1} s",
            r.fault.name(),
            r.kind.name(),
            r.property,
            r.at,
            r.ops,
            r.original,
            r.runs,
            if r.flaky {
                "; the minimal case passed once more"
            } else {
                ""
            },
            r.elapsed.as_secs_f64()
        );
    }
    eprintln!("faults: {:.1} s in all", started.elapsed().as_secs_f64());
    // Shrinking works on each: the counterexamples are a handful of operations.
    for r in &results {
        assert!(
            r.ops <= 6,
            "{}: the minimal case has {} operations",
            r.fault,
            r.ops
        );
    }
    check_doc(&section(&results));
}
