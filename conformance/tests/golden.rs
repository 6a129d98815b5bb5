//! Golden results, reviewed with insta: the whole suite against the Node oracle and against the
//! reference server (in-process), stripped to `{id, verdict}` and snapshot-compared with
//! `conformance/results/<target>.snap`. A changed verdict fails the test; accept it with
//! `cargo insta review` (or `cargo xtask conformance [--target node] --bless`). CI runs with
//! `CI=true`, where insta never writes: a mismatch fails.
//!
//! The runner's `--baseline` reads `conformance/results/<target>.json`, the same list as plain
//! JSON. After the snapshot assertion, this test keeps the two equal: locally it rewrites a
//! stale `.json` from the reviewed snapshot; in CI a stale `.json` fails.

mod support;

use sio_conformance::baseline;
use sio_conformance::cases;
use sio_conformance::config::Settings;
use sio_conformance::driver::Endpoint;
use sio_conformance::runner::{self, RunOptions};
use std::path::PathBuf;

fn results_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results")
}

async fn run_suite(url: &str) -> Vec<baseline::Entry> {
    let mut settings = Settings::new(Endpoint::parse(url).expect("URL"));
    let found = runner::detect(&settings).await.expect("the target answers");
    settings.adopt(&found, Default::default());
    let options = RunOptions {
        jobs: 4,
        ..RunOptions::default()
    };
    let records = runner::run(&cases::all(), settings, &options, |_, _, _| {}).await;
    // What did not pass, with its first failure, so a snapshot diff comes with its reason.
    for r in &records {
        if let Some(f) = r.failures.first() {
            eprintln!(
                "{} {}: at {}: expected {:?}, received {:?}",
                r.verdict.name(),
                r.id,
                f.step,
                f.expected,
                f.received
            );
        }
    }
    baseline::strip(&records)
}

fn check(target: &str, results: Vec<baseline::Entry>) {
    insta::with_settings!({
        snapshot_path => results_dir(),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_json_snapshot!(target, results);
    });
    let json = results_dir().join(format!("{target}.json"));
    let want = baseline::render(&results);
    if std::fs::read_to_string(&json).ok().as_deref() != Some(want.as_str()) {
        if std::env::var_os("CI").is_some() {
            panic!(
                "{} differs from the reviewed snapshot: run `cargo test -p sio-conformance --test golden` locally, or `cargo xtask conformance --target {target} --bless`",
                json.display()
            );
        }
        std::fs::write(&json, want).expect("writing the baseline");
    }
}

/// The two suites run one after the other: side by side on a small machine they would measure
/// the machine's load, not the targets.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn golden_results_against_node() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some((_harness, url)) = support::start_node_harness() else {
        return;
    };
    let results = runtime().block_on(run_suite(&url));
    check("node", results);
}

#[test]
fn golden_results_against_the_reference_server() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime();
    let results = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, sio_reference_server::contract::router()).await;
        });
        let results = run_suite(&format!("http://{addr}")).await;
        server.abort();
        results
    });
    check("reference", results);
}
