//! The suite against servers that do not implement our contract, and against broken targets:
//! a correct server must never get a failure it does not deserve, and a target that is not a
//! server, or stops being one, must end the run with exit 2 and one clear reason, in bounded time.
//!
//! - a stock socket.io 4.8.4 server, no application code, Node's default 25 s / 20 s heartbeat
//!   (`fixtures/node/targets/stock.mjs`): protocol tier, every case that runs passes;
//! - the same stock server 150 ms away each way: the same;
//! - exactly the official suites' servers (`fixtures/node/targets/official.mjs`): official tier,
//!   nothing fails;
//! - the reference server and the Node harness 60 ms away each way: every case that runs passes,
//!   the rest is `unsupported` for the distance, with the measured round trip;
//! - an HTTP server that answers everything with 200 and a page: "not an Engine.IO server";
//! - a server that accepts connections and never answers;
//! - a server killed in the middle of a run: one headline, no case blamed on it;
//! - a selection that matches no case.

use sio_suite_tests::describe;
use sio_test_support as support;

use clap::Parser;
use sio_conformance::cases;
use sio_conformance::cli::{self, Args};
use sio_conformance::config::{Capability, Settings, Tier};
use sio_conformance::detect::DetectError;
use sio_conformance::driver::Endpoint;
use sio_conformance::runner::{self, RunOptions};
use sio_conformance::verdict::{CaseRecord, Verdict, exit};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Detects the target and runs every case against it, `jobs` at a time.
async fn run_all(url: &str, jobs: usize) -> (Settings, runner::Outcome) {
    run_with(
        url,
        RunOptions {
            jobs,
            ..RunOptions::default()
        },
    )
    .await
}

/// Detects the target and runs every case against it with `options`.
async fn run_with(url: &str, options: RunOptions) -> (Settings, runner::Outcome) {
    let mut settings = Settings::new(Endpoint::parse(url).expect("URL"));
    let found = runner::detect(&settings)
        .await
        .expect("an Engine.IO server");
    settings.adopt(&found, Default::default());
    let outcome =
        runner::run_watched(&cases::all(), settings.clone(), &options, |_, _, _| {}).await;
    (settings, outcome)
}

/// Every record must be `pass` or `unsupported` (or `non-strict` for a documented Node
/// difference); returns how many passed.
fn assert_judged_right(records: &[CaseRecord]) -> usize {
    let wrong: Vec<String> = records
        .iter()
        .filter(|r| match r.verdict {
            Verdict::Pass | Verdict::Unsupported => false,
            Verdict::NonStrict => r.node_differs.is_none(),
            _ => true,
        })
        .map(describe)
        .collect();
    assert!(
        wrong.is_empty(),
        "verdicts a correct server does not deserve:\n{}",
        wrong.join("\n")
    );
    records
        .iter()
        .filter(|r| r.verdict == Verdict::Pass)
        .count()
}

#[test]
fn a_stock_socketio_server_gets_the_protocol_tier_and_no_failure() {
    let Some((_server, url)) = support::start_node("targets/stock.mjs") else {
        return;
    };
    let (settings, outcome) = runtime().block_on(run_all(&url, 8));
    assert_eq!(outcome.server_stopped, None);
    assert_eq!(Tier::of(&settings.capabilities), Some(Tier::Protocol));
    let t = settings.timings_for(sio_conformance::config::Server::SioMain);
    assert_eq!(
        (t.ping_interval, t.ping_timeout, t.connect_timeout),
        (25_000, 20_000, 45_000),
        "the announced heartbeat and Node's default connectTimeout"
    );
    let passed = assert_judged_right(&outcome.records);
    // The heartbeat, handshake, close, upgrade, CONNECT and invalid-packet cases run.
    assert!(passed >= 40, "only {passed} cases ran and passed");
    for id in [
        "sio.engine.heartbeat.websocket.ping-pong",
        "sio.engine.heartbeat.polling.ping-timeout",
        "sio.connect.no-handshake",
        "sio.engine.upgrade.same-sid-http",
    ] {
        let r = outcome.records.iter().find(|r| r.id == id).expect(id);
        assert_eq!(r.verdict, Verdict::Pass, "{}", describe(r));
    }
    let handlers = outcome
        .records
        .iter()
        .find(|r| r.id == "sio.message.plain")
        .expect("sio.message.plain");
    assert_eq!(handlers.verdict, Verdict::Unsupported);
    assert!(
        handlers
            .skipped_because
            .as_deref()
            .is_some_and(|why| why.contains("official tier") && why.contains("sio-handlers")),
        "{:?}",
        handlers.skipped_because
    );
}

/// A stock server at its default heartbeat 150 ms away each way (a 300 ms round trip against
/// its 20 s pingTimeout): every case that runs passes, as it does nearby.
#[test]
fn a_stock_socketio_server_150_ms_away_is_judged_as_if_it_were_near() {
    let Some((_server, url)) = support::start_node("targets/stock.mjs") else {
        return;
    };
    let far = support::slow_link(&url, Duration::from_millis(150));
    let (settings, outcome) = runtime().block_on(run_all(&far, 8));
    assert_eq!(outcome.server_stopped, None);
    assert_eq!(Tier::of(&settings.capabilities), Some(Tier::Protocol));
    assert!(
        settings.round_trip >= Duration::from_millis(300),
        "the link's round trip was measured: {:?}",
        settings.round_trip
    );
    let passed = assert_judged_right(&outcome.records);
    assert!(passed >= 40, "only {passed} cases ran and passed");
}

/// `--quick` against Node's default heartbeat: what waits for it is left out with the reason,
/// the rest runs as in a full run, in seconds.
#[test]
fn a_quick_run_leaves_out_what_waits_for_a_long_heartbeat() {
    let Some((_server, url)) = support::start_node("targets/stock.mjs") else {
        return;
    };
    let started = Instant::now();
    let options = RunOptions {
        jobs: 8,
        quick: true,
        ..RunOptions::default()
    };
    let (_, outcome) = runtime().block_on(run_with(&url, options));
    let passed = assert_judged_right(&outcome.records);
    let quick_skips: Vec<&str> = outcome
        .records
        .iter()
        .filter(|r| {
            r.skipped_because
                .as_deref()
                .is_some_and(|why| why.starts_with("--quick"))
        })
        .map(|r| r.id.as_str())
        .collect();
    for id in [
        "sio.engine.heartbeat.websocket.ping-pong",
        "sio.engine.heartbeat.polling.ping-timeout",
        "sio.connect.no-handshake",
    ] {
        assert!(quick_skips.contains(&id), "{id} ran in a quick run");
    }
    assert!(!quick_skips.contains(&"sio.engine.upgrade.same-sid-http"));
    assert!(passed >= 30, "only {passed} cases ran and passed");
    // Nothing that waits for the 25 s heartbeat ran.
    let waited: Vec<&str> = outcome
        .records
        .iter()
        .filter(|r| r.verdict != Verdict::Unsupported)
        .filter(|r| r.tags.iter().any(|t| t == "heartbeat" || t == "timeout"))
        .map(|r| r.id.as_str())
        .collect();
    assert!(waited.is_empty(), "ran in a quick run: {waited:?}");
    eprintln!("quick run: {passed} pass in {:?}", started.elapsed());
}

#[test]
fn the_official_suites_servers_get_the_official_tier_and_no_failure() {
    let Some((_server, url)) = support::start_node("targets/official.mjs") else {
        return;
    };
    let (settings, outcome) = runtime().block_on(run_all(&url, 4));
    assert_eq!(outcome.server_stopped, None);
    assert_eq!(Tier::of(&settings.capabilities), Some(Tier::Official));
    assert!(settings.capabilities.contains(&Capability::ContractTimings));
    let passed = assert_judged_right(&outcome.records);
    assert!(passed >= 200, "only {passed} cases ran and passed");
}

/// Serves every connection with `answer` (`None`: read the request and never answer).
async fn raw_server(answer: Option<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                match answer {
                    Some(body) => {
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = socket.write_all(response.as_bytes()).await;
                    }
                    None => {
                        // Hold the connection open, say nothing.
                        tokio::time::sleep(Duration::from_secs(120)).await;
                    }
                }
            });
        }
    });
    url
}

/// The command line, in-process: its exit code and how long it took.
fn cli_exit(argv: &[&str]) -> (u8, Duration) {
    let rt = runtime();
    let args = Args::parse_from(std::iter::once("sio-conformance").chain(argv.iter().copied()));
    let started = Instant::now();
    let code = rt.block_on(cli::run(args));
    (code, started.elapsed())
}

#[test]
fn an_http_server_that_is_not_engine_io_is_exit_2() {
    let rt = runtime();
    let url = rt.block_on(raw_server(Some("<html>hello</html>")));
    let settings = Settings::new(Endpoint::parse(&url).expect("URL"));
    match rt.block_on(runner::detect(&settings)) {
        Err(DetectError::NotEngineIo(what)) => {
            assert!(what.contains("200"), "{what}");
        }
        other => panic!("expected NotEngineIo, got {other:?}"),
    }
    let (code, _) = cli_exit(&["--url", &url, "--quiet"]);
    assert_eq!(code, exit::HARNESS);
}

#[test]
fn a_server_that_never_answers_is_exit_2_within_15_s() {
    let rt = runtime();
    let url = rt.block_on(raw_server(None));
    let (code, took) = cli_exit(&["--url", &url, "--quiet"]);
    assert_eq!(code, exit::HARNESS);
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

#[test]
fn a_selection_of_no_case_is_exit_2() {
    // Nothing is contacted: the selection is checked first.
    let (code, took) = cli_exit(&["--url", "http://127.0.0.1:9", "--filter", "no.such.case*"]);
    assert_eq!(code, exit::HARNESS);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_server_killed_mid_run_ends_the_run_with_one_headline() {
    let Some((mut server, url)) = support::start_node("targets/official.mjs") else {
        return;
    };
    let rt = runtime();
    let (killed_at, outcome) = rt.block_on(async {
        let mut settings = Settings::new(Endpoint::parse(&url).expect("URL"));
        let found = runner::detect(&settings)
            .await
            .expect("an Engine.IO server");
        settings.adopt(&found, Default::default());
        // Kill it once a few cases are done, while others are in flight.
        let (started, mut running) = tokio::sync::mpsc::unbounded_channel();
        let run = tokio::spawn(async move {
            let options = RunOptions {
                jobs: 4,
                ..RunOptions::default()
            };
            runner::run_watched(&cases::all(), settings, &options, |done, _, _| {
                if done == 20 {
                    let _ = started.send(());
                }
            })
            .await
        });
        running.recv().await.expect("20 cases finished");
        server.kill();
        let killed_at = Instant::now();
        (killed_at, run.await.expect("the run"))
    });
    let took = killed_at.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "the run went on {took:?} after the kill"
    );
    let summary = sio_conformance::verdict::Summary::of(&outcome.records);
    let headline = outcome
        .server_stopped
        .unwrap_or_else(|| panic!("no headline; {}", summary.line()));
    assert!(headline.contains("stopped answering"), "{headline}");
    assert!(
        outcome.records.iter().any(|r| r.server_stopped),
        "some cases were cut short"
    );
    // Nothing is counted against the server: what ran before the kill passed, the rest is
    // `error` (or `unsupported`).
    let blamed: Vec<String> = outcome
        .records
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Flaky))
        .map(describe)
        .collect();
    assert!(
        blamed.is_empty(),
        "blamed on a dead server:\n{}",
        blamed.join("\n")
    );
}

/// 60 ms each way: a 120 ms round trip, inside the contract's 200 ms pingTimeout, so a correct
/// server must still pass everything.
const FAR: Duration = Duration::from_millis(60);

/// Runs the whole suite against `url` seen through a link of `FAR` each way: nothing a
/// correct server does not deserve. The cases that cannot keep a session alive that far away
/// (replays that poll step by step or play the heartbeat as recorded, the EIO=3 cases, whose
/// client sends no pings) say so as `unsupported` with the measured round trip; every other
/// case runs and passes.
fn judged_right_from_far_away(url: &str) {
    let far = support::slow_link(url, FAR);
    let (settings, outcome) = runtime().block_on(run_all(&far, 4));
    assert_eq!(outcome.server_stopped, None);
    assert_eq!(Tier::of(&settings.capabilities), Some(Tier::Full));
    let unexplained: Vec<String> = outcome
        .records
        .iter()
        .filter(|r| match r.verdict {
            Verdict::Pass | Verdict::Unsupported => false,
            Verdict::NonStrict => r.node_differs.is_none(),
            _ => true,
        })
        .map(|r| {
            // The wire tail tells a harness race from a server fault without a rerun.
            let tail: Vec<String> = r.transcript[r.transcript.len().saturating_sub(12)..]
                .iter()
                .map(|e| {
                    format!(
                        "    {:>8.1} {:<7} {:?} {} {}",
                        e.t_ms,
                        e.conn,
                        e.dir,
                        e.what,
                        e.text.as_deref().unwrap_or("")
                    )
                })
                .collect();
            format!("{}\n{}", describe(r), tail.join("\n"))
        })
        .collect();
    assert!(
        unexplained.is_empty(),
        "verdicts a correct server does not deserve, 60 ms away:\n{}",
        unexplained.join("\n")
    );
    let passed = outcome
        .records
        .iter()
        .filter(|r| r.verdict == Verdict::Pass)
        .count();
    let too_far = outcome
        .records
        .iter()
        .filter(|r| r.verdict == Verdict::Unsupported)
        .filter(|r| {
            r.skipped_because
                .as_deref()
                .is_some_and(|why| why.contains("needs a round trip under"))
        })
        .count();
    eprintln!("60 ms away: {passed} pass, {too_far} unsupported for the distance");
    assert!(passed >= 150, "only {passed} cases passed");
}

#[test]
fn the_reference_server_60_ms_away_is_judged_as_if_it_were_near() {
    let url = support::serve_router(sio_contract_server::router);
    judged_right_from_far_away(&url);
}

#[test]
fn the_node_harness_60_ms_away_is_judged_as_if_it_were_near() {
    let Some((_server, url)) = support::start_node_harness() else {
        return;
    };
    judged_right_from_far_away(&url);
}
