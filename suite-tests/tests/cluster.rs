//! The suite's cluster mode (`--url A --url B …`, the `cluster.*` cases) judged on clusters whose
//! verdicts we know: a Node cluster on `@socket.io/redis-adapter` and one redis-server
//! (fixtures/node/cluster/serve.mjs) passes every cluster case; two Node servers that share
//! nothing, given as one cluster, fail every one of them.

use sio_test_support as support;

use sio_conformance::cases;
use sio_conformance::config::Settings;
use sio_conformance::driver::Endpoint;
use sio_conformance::runner::{self, RunOptions};
use sio_conformance::verdict::{CaseRecord, Verdict};
use std::time::Duration;

/// Detects node 0 and runs the cluster cases with `urls` as the nodes, each step bounded by
/// `step` when given.
fn run_cluster_cases(urls: &[String], step: Option<Duration>) -> Vec<CaseRecord> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut settings = Settings::new(Endpoint::parse(&urls[0]).expect("URL"));
        settings.nodes = urls[1..]
            .iter()
            .map(|u| Endpoint::parse(u).expect("URL"))
            .collect();
        let found = runner::detect(&settings)
            .await
            .expect("an Engine.IO server");
        settings.adopt(&found, Default::default());
        if let Some(step) = step {
            settings.step = step;
        }
        let outcome = runner::run_watched(
            &cases::cluster::cases(),
            settings,
            &RunOptions::default(),
            |_, _, _| {},
        )
        .await;
        assert_eq!(outcome.server_stopped, None);
        outcome.records
    })
}

fn describe(r: &CaseRecord) -> String {
    let first = r.failures.first().map_or(String::new(), |f| {
        format!(
            " at {:?}: expected {:?}, received {:?}",
            f.step, f.expected, f.received
        )
    });
    format!("{}: {}{first}", r.id, r.verdict.name())
}

#[test]
fn a_node_cluster_of_three_passes_every_cluster_case() {
    let Some(cluster) = support::start_node_cluster(3, None) else {
        return;
    };
    let records = run_cluster_cases(&cluster.urls, None);
    assert_eq!(records.len(), cases::cluster::cases().len());
    let wrong: Vec<String> = records
        .iter()
        .filter(|r| r.verdict != Verdict::Pass)
        .map(describe)
        .collect();
    assert!(
        wrong.is_empty(),
        "a Node cluster failed:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn two_servers_that_share_nothing_fail_every_cluster_case() {
    let Some((_a, a)) = support::start_node_harness() else {
        return;
    };
    let Some((_b, b)) = support::start_node_harness() else {
        return;
    };
    // Every case waits for a frame that never comes: a short bound keeps the test short.
    let records = run_cluster_cases(&[a, b], Some(Duration::from_millis(400)));
    let passed: Vec<String> = records
        .iter()
        .filter(|r| r.verdict != Verdict::Fail)
        .map(describe)
        .collect();
    assert!(
        passed.is_empty(),
        "cluster cases that did not fail on two separate servers:\n{}",
        passed.join("\n")
    );
}
