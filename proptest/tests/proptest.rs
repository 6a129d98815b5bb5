//! The property tests (src/, proptest/PROPTEST.md) against live servers:
//!
//! - the reference server, served in-process on an ephemeral port (bounded case counts; fixed
//!   seeds when `CI` is set; `PROPTEST_CASES=N` for more);
//! - the pinned Node harness, a small fixed-seed set (it validates the model); skipped with a
//!   message only when `node` is not installed;
//! - proofs that the properties can fail: a deliberately broken model must fail and shrink, and
//!   the reference server with each injected room/recovery fault must fail (`faults`, the
//!   section "Faults the property tests catch" of PROPTEST.md);
//! - the `cluster` set over a cluster of two reference nodes and a mixed one (a reference node
//!   and a Node node) on a real redis-server, and two unrelated servers that must fail it;
//! - named regression sequences;
//! - the binary `sio-proptest` (what `cargo xtask proptest` runs): a few cases against a URL, a
//!   saved case replayed, and exit 2 for a server without the contract.

// The `cluster` set over clusters on a real redis-server.
#[path = "proptest/cluster.rs"]
mod cluster;
// The reference server with injected bugs: each room/recovery fault must fail a property.
#[path = "proptest/faults.rs"]
mod faults;
use sio_test_support as support;

use sio_conformance::driver::Endpoint;
use sio_proptest::model::Fault;
use sio_proptest::ops::{
    AckReply, Case, ClientTransport, DropPoint, Kind, Op, Restore, RoomRef, Target,
};
use sio_proptest::runner::{self, Settings};
use sio_proptest::{Live, replay};
use std::time::Duration;

/// A fresh reference server (its contract router) on 127.0.0.1:0, on a runtime of its own that
/// lives as long as the test process. One per test: the recovery runs use the shared `/` of
/// sio-recovery (broadcasts to `all`), so two of them must never meet on one server.
fn reference_url() -> String {
    serve(None)
}

/// As [`reference_url`], the contract router built with one injected server bug (`faults`).
fn serve(fault: Option<sio_reference_server::fault::Fault>) -> String {
    use sio_reference_server::fault::Injected;
    support::serve_router(move || {
        sio_contract_server::build_with_fault(Injected::fault(fault)).router
    })
}

fn live(url: &str) -> Live {
    Live::single(
        Endpoint::parse(url).expect("URL"),
        Duration::from_millis(2000),
    )
}

fn check(settings: &Settings) {
    let report = runner::run(settings);
    eprintln!("{}", report.render());
    assert!(report.failure.is_none(), "{}", report.render());
}

// ---- the reference server -------------------------------------------------------------------

#[test]
fn rooms_reference() {
    check(&Settings::from_env(live(&reference_url()), Kind::Rooms, 64));
}

#[test]
fn recovery_reference() {
    check(&Settings::from_env(
        live(&reference_url()),
        Kind::Recovery,
        64,
    ));
}

#[test]
fn upgrade_reference() {
    check(&Settings::from_env(
        live(&reference_url()),
        Kind::Upgrade,
        32,
    ));
}

// ---- the Node oracle: validates the model ---------------------------------------------------

#[test]
fn node_validates_the_model() {
    let Some((_harness, url)) = support::start_node_harness() else {
        return;
    };
    for (kind, cases) in [(Kind::Rooms, 32), (Kind::Recovery, 32), (Kind::Upgrade, 24)] {
        let mut settings = Settings::from_env(live(&url), kind, cases);
        settings.target_flag = "--target node".into();
        check(&settings);
    }
    run_named(&url, &every_target_once());
    run_named(&url, &restore_twice_from_one_session());
    run_named(&url, &expired_session());
    run_drops(&url);
    run_named(&url, &upgrade_under_load());
    run_named(&url, &upgrade_after_a_failed_probe());
}

// ---- the properties can fail ----------------------------------------------------------------

fn broken(kind: Kind, fault: Fault, seed: u64) -> runner::Report {
    let mut settings = Settings::from_env(live(&reference_url()), kind, 64);
    settings.cases = 64;
    settings.seed = Some(seed);
    settings.persistence = None;
    settings.fault = Some(fault);
    let report = runner::run(&settings);
    eprintln!("{}", report.render());
    report
}

#[test]
fn a_model_that_forgets_except_fails_and_shrinks() {
    let report = broken(Kind::Rooms, Fault::ForgetExcept, 7);
    let f = report.failure.expect("the broken model must fail");
    eprintln!(
        "forget-except: shrunk from {} to {} operations",
        f.original_ops,
        f.case.ops.len()
    );
    // The minimal counterexample is one broadcast with an except that excludes someone.
    assert!(f.case.ops.len() <= 2, "not minimal:\n{}", f.render());
    assert!(
        f.case
            .ops
            .iter()
            .any(|op| matches!(op, Op::Broadcast { except, .. } if !except.is_empty())),
        "{}",
        f.render()
    );
}

#[test]
fn a_model_that_expects_missed_events_after_connect_fails_and_shrinks() {
    let report = broken(Kind::Recovery, Fault::MissedAfterConnect, 11);
    let f = report.failure.expect("the broken model must fail");
    eprintln!(
        "missed-after-connect: shrunk from {} to {} operations",
        f.original_ops,
        f.case.ops.len()
    );
    assert!(f.case.ops.len() <= 4, "not minimal:\n{}", f.render());
}

#[test]
fn a_model_that_forgets_what_a_paused_client_missed_fails_and_shrinks() {
    let report = broken(Kind::Upgrade, Fault::ForgetPausedFrames, 13);
    let f = report.failure.expect("the broken model must fail");
    eprintln!(
        "forget-paused-frames: shrunk from {} to {} operations",
        f.original_ops,
        f.case.ops.len()
    );
    // probe, pause, a broadcast that reaches the paused client (finish: at the end).
    assert!(f.case.ops.len() <= 4, "not minimal:\n{}", f.render());
    assert!(
        f.failure
            .as_ref()
            .is_some_and(|s| s.what.contains("received more than predicted")),
        "{}",
        f.render()
    );
}

// ---- named regressions ----------------------------------------------------------------------

/// Runs a named case once; returns how many reconnects recovered a session.
fn run_named(url: &str, case: &Case) -> usize {
    let outcome = replay(&live(url), case, None);
    if let Err(f) = outcome.result {
        let lines: Vec<String> = outcome
            .transcript
            .entries()
            .iter()
            .map(|e| e.line())
            .collect();
        panic!("{f}\n{}", lines.join("\n"));
    }
    if std::env::var_os("SIO_PROPTEST_SHOW").is_some() {
        for e in outcome.transcript.entries() {
            eprintln!("{}", e.line());
        }
    }
    outcome.recoveries
}

/// Every drop point of [`transport_drops`] must end in a recovery.
fn run_drops(url: &str) {
    for case in transport_drops() {
        let recovered = run_named(url, &case);
        assert_eq!(recovered, 1, "no recovery after {:?}", case.ops[1]);
    }
}

#[test]
fn regression_every_target_once() {
    run_named(&reference_url(), &every_target_once());
}

#[test]
fn regression_recovery_then_client_disconnect_then_restore_again() {
    run_named(&reference_url(), &restore_twice_from_one_session());
}

#[test]
fn regression_no_recovery_after_the_window() {
    run_named(&reference_url(), &expired_session());
}

#[test]
fn regression_every_polling_drop_point_recovers() {
    run_drops(&reference_url());
}

#[test]
fn regression_upgrade_under_load() {
    run_named(&reference_url(), &upgrade_under_load());
}

#[test]
fn regression_upgrade_after_a_failed_probe() {
    run_named(&reference_url(), &upgrade_after_a_failed_probe());
}

/// `client` emits to `target` (not a room target), no rooms, no `except`.
fn to(client: u8, target: Target) -> Op {
    Op::Broadcast {
        client,
        target,
        rooms: vec![],
        except: vec![],
    }
}

/// `client` emits to `rooms`, no `except`.
fn to_rooms(client: u8, rooms: Vec<RoomRef>) -> Op {
    Op::Broadcast {
        client,
        target: Target::Rooms,
        rooms,
        except: vec![],
    }
}

/// `client` reconnects with its last offset; `late`: after maxDisconnectionDuration.
fn reconnect_last(client: u8, late: bool) -> Op {
    Op::Reconnect {
        client,
        restore: Restore::Last,
        late,
    }
}

/// c0 probes, loses the probe WebSocket, keeps polling while c1 broadcasts to it, then
/// upgrades for real: the failed probe loses nothing and does not block the next upgrade.
fn upgrade_after_a_failed_probe() -> Case {
    Case {
        kind: Kind::Upgrade,
        clients: 2,
        transports: vec![ClientTransport::Polling, ClientTransport::Websocket],
        ops: vec![
            Op::UpgradeProbe { client: 0 },
            to(1, Target::Others),
            Op::UpgradeAbort { client: 0 },
            to(1, Target::All),
            to(0, Target::All),
            Op::UpgradeProbe { client: 0 },
            Op::UpgradePause {
                client: 0,
                in_flight: true,
            },
            to(1, Target::All),
            Op::UpgradeFinish { client: 0 },
            to(0, Target::Others),
        ],
    }
}

/// For each drop point of a polling client: join a room, drop there, miss a room broadcast and
/// one to `all`, reconnect with the last offset: the session is restored with both missed
/// events, in order (PROPTEST.md, "Drop points").
fn transport_drops() -> Vec<Case> {
    [
        DropPoint::Transport,
        DropPoint::StopPolling,
        DropPoint::DuringProbe,
        DropPoint::AfterUpgrade,
    ]
    .into_iter()
    .map(|at| Case {
        kind: Kind::Recovery,
        clients: 2,
        transports: vec![ClientTransport::Polling, ClientTransport::Websocket],
        ops: vec![
            Op::Join {
                client: 0,
                rooms: vec![1],
            },
            Op::Drop { client: 0, at },
            to_rooms(1, vec![RoomRef::Named(1)]),
            to(0, Target::All),
            reconnect_last(0, false),
            to_rooms(0, vec![RoomRef::Named(1)]),
        ],
    })
    .collect()
}

/// Two polling clients; c0 probes, both send and receive while it probes, c0 pauses, c1
/// broadcasts to it three times (they wait in the server's buffer), c0 finishes: every event
/// arrives once, in order, across the switch.
fn upgrade_under_load() -> Case {
    Case {
        kind: Kind::Upgrade,
        clients: 2,
        transports: vec![ClientTransport::Polling, ClientTransport::Polling],
        ops: vec![
            Op::UpgradeProbe { client: 0 },
            to(0, Target::All),
            to(1, Target::Others),
            Op::UpgradePause {
                client: 0,
                in_flight: true,
            },
            to(0, Target::All),
            to(0, Target::Others),
            to(0, Target::All),
            Op::UpgradeFinish { client: 0 },
            to(0, Target::All),
            to(1, Target::All),
        ],
    }
}

/// A drop, a missed event, a reconnect after maxDisconnectionDuration (a real 1.3 s wait): a
/// fresh socket, nothing missed delivered.
fn expired_session() -> Case {
    Case {
        kind: Kind::Recovery,
        clients: 2,
        transports: vec![],
        ops: vec![
            Op::Drop {
                client: 0,
                at: DropPoint::Transport,
            },
            to(0, Target::All),
            reconnect_last(0, true),
            to_rooms(0, vec![RoomRef::Private(0)]),
        ],
    }
}

/// Every target with `except` and private rooms in one sequence (a smoke test of the model).
fn every_target_once() -> Case {
    use Target::*;
    let b = |client, target, rooms: Vec<RoomRef>, except: Vec<RoomRef>| Op::Broadcast {
        client,
        target,
        rooms,
        except,
    };
    Case {
        kind: Kind::Rooms,
        clients: 3,
        transports: vec![],
        ops: vec![
            Op::Join {
                client: 0,
                rooms: vec![0, 1],
            },
            Op::Join {
                client: 1,
                rooms: vec![1],
            },
            b(0, Myself, vec![], vec![RoomRef::Named(0)]),
            b(0, All, vec![], vec![RoomRef::Named(1)]),
            b(1, Others, vec![], vec![RoomRef::Private(2)]),
            b(
                2,
                Rooms,
                vec![RoomRef::Named(1), RoomRef::Private(2)],
                vec![],
            ),
            b(
                0,
                RoomsOthers,
                vec![RoomRef::Named(0), RoomRef::Named(1)],
                vec![],
            ),
            b(2, Rooms, vec![], vec![]),
            Op::EmitWithAck {
                client: 1,
                reply: AckReply::Twice,
            },
            Op::ServerDisconnect {
                client: 1,
                close: true,
            },
            Op::Connect { client: 1 },
        ],
    }
}

/// Recovery twice from one stored session: Node keeps a restored session, so after a `41` a
/// CONNECT with the same pid inside the window restores it again.
fn restore_twice_from_one_session() -> Case {
    Case {
        kind: Kind::Recovery,
        clients: 2,
        transports: vec![],
        ops: vec![
            Op::Join {
                client: 0,
                rooms: vec![1],
            },
            Op::Drop {
                client: 0,
                at: DropPoint::Transport,
            },
            to_rooms(1, vec![RoomRef::Named(1)]),
            reconnect_last(0, false),
            Op::ClientDisconnect { client: 0 },
            reconnect_last(0, false),
        ],
    }
}

// ---- the binary (`sio-proptest`, behind `cargo xtask proptest`) -----------------------------

/// Runs the `sio-proptest` binary with `args`, bounded; its exit code and output.
fn sio_proptest(args: &[&str]) -> (Option<i32>, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sio-proptest"))
        .args(args)
        .output()
        .expect("starting sio-proptest");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[test]
fn the_binary_runs_a_few_cases_against_a_url() {
    let url = reference_url();
    let (code, out) = sio_proptest(&[
        "--url", &url, "--kind", "rooms", "--cases", "4", "--seed", "0x42",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("proptest rooms:") && out.contains("seed 0x42"),
        "{out}"
    );
}

#[test]
fn the_binary_replays_a_saved_case() {
    let dir = std::env::temp_dir().join(format!("sio-proptest-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("case.json");
    let case = serde_json::to_string(&every_target_once()).expect("JSON");
    std::fs::write(&file, case).expect("writing the case");
    let (code, out) = sio_proptest(&[
        "--url",
        &reference_url(),
        "--replay",
        file.to_str().expect("UTF-8 path"),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("replay: PASS"), "{out}");
}

#[test]
fn the_binary_says_what_a_server_without_the_contract_lacks() {
    // sio-main alone: no `/health`, so not the contract's extensions; exit 2 before anything
    // is generated.
    let url = support::serve_router(|| {
        sio_contract_server::build_with(sio_contract_server::echo_config())
            .sio_main
            .router()
    });
    let (code, out) = sio_proptest(&["--url", &url, "--kind", "rooms", "--cases", "1"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("contract-extensions"), "{out}");
}
