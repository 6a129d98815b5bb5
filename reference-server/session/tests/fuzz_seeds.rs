//! Replays the committed seeds of the `session` fuzz target (`fuzz/seeds/session/*`) through the
//! fuzz body the target calls ([`eio_session::fuzzing::session_bytes`]), so every seed, and every
//! crash input kept as a seed, is checked by an ordinary `cargo test` without nightly. Crashes
//! found by fuzzing become named tests below.

use std::path::PathBuf;

use eio_session::fuzzing;

fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/session")
}

#[test]
fn every_committed_session_seed_replays() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(seeds_dir())
        .expect("fuzz/seeds/session is there")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut failures = Vec::new();
    for path in &paths {
        let bytes = std::fs::read(path).expect("a readable seed");
        if std::panic::catch_unwind(|| fuzzing::session_bytes(&bytes)).is_err() {
            failures.push(path.display().to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "seeds that fail:\n{}",
        failures.join("\n")
    );
    assert!(
        paths.len() >= 10,
        "only {} session seeds: is fuzz/seeds/session there?",
        paths.len()
    );
}

use fuzzing::{BodyInput, DataInput, OpenInput, PacketInput, SessionInput, Step};

fn packet(kind: u8, data: &str) -> PacketInput {
    PacketInput {
        kind,
        probe: data == "probe",
        data: data.to_owned(),
    }
}

/// A client that does everything right: polls, answers pings, posts messages, upgrades to
/// WebSocket with a probe, then goes silent. The invariants must all hold (the harness has
/// no false alarm on the ordinary path) and the final silence must end the session.
fn well_behaved(v3: bool) -> SessionInput {
    let mut steps = vec![
        Step::Get,
        Step::Send(vec![DataInput::Text("hello".into())]),
        Step::Post(
            fuzzing::ContentType::Text,
            BodyInput::Packets(vec![packet(4, "one"), packet(4, "two")]),
        ),
        Step::ApplicationDone,
        Step::Wait(300),
        Step::Get,
        Step::Post(
            fuzzing::ContentType::Text,
            BodyInput::Packets(vec![packet(3, "")]),
        ),
        Step::Upgrade { binary: true },
        Step::WsPacket(1, packet(2, "probe")),
        Step::WsPacket(1, packet(5, "")),
        Step::SendShared(vec![DataInput::Binary(vec![1, 2, 3])]),
        Step::Wait(290),
        Step::WsPacket(0, packet(3, "")),
    ];
    if v3 {
        // A v3 client pings; the server answers.
        steps.retain(|s| !matches!(s, Step::Wait(_)));
        steps.push(Step::WsPacket(0, packet(2, "")));
    }
    SessionInput {
        open: OpenInput::Polling { v3, b64: false },
        max_payload: 1000,
        steps,
    }
}

#[test]
fn the_fuzz_harness_accepts_a_well_behaved_client() {
    fuzzing::session(&well_behaved(false));
    fuzzing::session(&well_behaved(true));
}

/// Needs the feature `faults` to arm a fault (`cargo test -p eio-session --features faults`; the
/// workspace's tests turn it on).
#[cfg(feature = "faults")]
#[test]
fn the_fuzz_harness_catches_session_faults() {
    use eio_session::fault::{Fault, Injected};
    let caught = |fault: Fault, input: &SessionInput| {
        let fault = Injected::fault(Some(fault));
        std::panic::catch_unwind(|| fuzzing::session_with_fault(input, fault)).is_err()
    };
    // The liveness invariant: a session that never times out outlives its silent client.
    let silent = SessionInput {
        open: OpenInput::Polling {
            v3: false,
            b64: false,
        },
        max_payload: 1000,
        steps: vec![Step::Get, Step::Wait(1000)],
    };
    fuzzing::session(&silent);
    assert!(caught(Fault::PingTimeoutNeverFires, &silent));
    // The overlap rule: a second GET while one is held must close the session.
    let overlap = SessionInput {
        open: OpenInput::Polling {
            v3: false,
            b64: false,
        },
        max_payload: 1000,
        steps: vec![Step::Get, Step::Get],
    };
    fuzzing::session(&overlap);
    assert!(caught(Fault::DuplicateGetAccepted, &overlap));
    // The 413 rule: a body over maxPayload is answered 413 by the session.
    let large = SessionInput {
        open: OpenInput::Polling {
            v3: false,
            b64: false,
        },
        max_payload: 10,
        steps: vec![Step::Post(
            fuzzing::ContentType::Text,
            BodyInput::Raw(vec![b'4'; 11]),
        )],
    };
    fuzzing::session(&large);
    // The liveness invariant again, from the other side: a pong that does not arm the next ping
    // leaves a polling session with no timer, so the client's silence never ends it.
    let answered_once = SessionInput {
        open: OpenInput::Polling {
            v3: false,
            b64: false,
        },
        max_payload: 1000,
        steps: vec![
            Step::Get,
            Step::Wait(300),
            Step::Post(
                fuzzing::ContentType::Text,
                BodyInput::Packets(vec![packet(3, "")]),
            ),
            Step::Wait(1000),
        ],
    };
    fuzzing::session(&answered_once);
    assert!(caught(Fault::PongNotRescheduling, &answered_once));
}

/// Prints a session fuzz input as steps and runs it, for a crash found by the fuzzer:
/// `SIO_SESSION_INPUT=fuzz/artifacts/session/crash-… cargo test -p eio-session --test fuzz_seeds
/// -- --ignored --nocapture explain_a_session_input`.
#[test]
#[ignore = "a tool: needs SIO_SESSION_INPUT"]
fn explain_a_session_input() {
    use arbitrary::{Arbitrary, Unstructured};
    let path = std::env::var("SIO_SESSION_INPUT").expect("SIO_SESSION_INPUT names an input file");
    let bytes = std::fs::read(&path).expect("a readable input");
    let input = SessionInput::arbitrary_take_rest(Unstructured::new(&bytes)).expect("an input");
    println!("{input:#?}");
    fuzzing::session(&input);
}

/// Found by the session fuzzer (its first minutes): an upgrade that completes between a ping
/// and its pong leaves a v4 session with no heartbeat timer, so a client that then goes silent
/// keeps its session. It is engine.io 6.6.12's behaviour (`clearTransport()` clears
/// `pingTimeoutTimer`; the one-shot `pingIntervalTimer` has fired and only a pong refreshes
/// it), which the session matches; the fuzz invariant now knows it. The v3 twin: a v3 session
/// upgraded to WebSocket never times out.
#[test]
fn regression_an_upgrade_between_ping_and_pong_leaves_no_heartbeat_as_in_node() {
    use eio_session::{Framing, RequestId, Session, SessionConfig, WsId, WsMessage};
    use std::time::{Duration, Instant};
    for v3 in [false, true] {
        let mut cfg = SessionConfig::default();
        cfg.ping_interval = Duration::from_millis(300);
        cfg.ping_timeout = Duration::from_millis(200);
        cfg.upgrade_timeout = Duration::from_millis(1000);
        cfg.max_payload = 1000;
        let t0 = Instant::now();
        let framing = Framing::new(if v3 { 3 } else { 4 }, None);
        let upgrades = vec!["websocket".to_owned()];
        let mut s =
            Session::open_polling_with("sid".into(), cfg, framing, upgrades, t0, RequestId(0));
        s.poll_get(t0, RequestId(1));
        // v4: the ping goes out at 300 ms and its pong is awaited.
        let at = t0 + Duration::from_millis(310);
        s.handle_timeout(at);
        s.ws_upgrade_request(at, WsId(1));
        let text = |t: &str| WsMessage::Text(t.to_owned());
        s.ws_message(at, WsId(1), text("2probe"));
        s.ws_message(at, WsId(1), text("5"));
        while s.poll_output().is_some() {}
        assert_eq!(s.transport(), eio_session::TransportKind::WebSocket);
        assert_eq!(
            s.next_deadline(),
            None,
            "v3={v3}: no heartbeat timer is left"
        );
        s.handle_timeout(t0 + Duration::from_secs(60));
        assert!(
            !s.is_closed(),
            "v3={v3}: the silent client keeps its session, as in Node"
        );
    }
}
