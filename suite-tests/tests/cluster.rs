//! The suite's cluster mode (`--url A --url B …`, the `cluster.*` cases) judged on clusters whose
//! verdicts we know: a Node cluster on `@socket.io/redis-adapter` and one redis-server
//! (fixtures/node/cluster/node.mjs), a cluster of two reference contract servers on the Rust
//! Redis adapter, and a mixed one (two reference and two Node nodes) pass every cluster case
//! (each case sends both ways between a reference node and a Node node); two Node servers that share nothing, given as one cluster, fail
//! every one of them.

use sio_suite_tests::describe;
use sio_test_support as support;

use sio_conformance::cases;
use sio_conformance::config::Settings;
use sio_conformance::driver::Endpoint;
use sio_conformance::runner::{self, RunOptions};
use sio_conformance::verdict::{CaseRecord, Verdict};
use sio_redis_adapter::{ClusterFault, RedisAdapterConfig, RedisCluster};
use std::time::Duration;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Detects node 0 and runs the cluster cases with `urls` as the nodes, each step bounded by
/// `step` when given.
fn run_cluster_cases(urls: &[String], step: Option<Duration>) -> Vec<CaseRecord> {
    runtime().block_on(cluster_cases(urls, step))
}

/// [`run_cluster_cases`] in the caller's runtime (where in-process nodes run).
async fn cluster_cases(urls: &[String], step: Option<Duration>) -> Vec<CaseRecord> {
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
}

/// Every record must be a pass.
fn assert_all_pass(records: &[CaseRecord], what: &str) {
    assert_eq!(records.len(), cases::cluster::cases().len());
    let wrong: Vec<String> = records
        .iter()
        .filter(|r| r.verdict != Verdict::Pass)
        .map(describe)
        .collect();
    assert!(wrong.is_empty(), "{what} failed:\n{}", wrong.join("\n"));
}

/// A reference contract server on the Redis adapter, served in this runtime; returns its URL
/// and the cluster handle (to count the subscribed servers).
async fn reference_node(redis: &str) -> (String, RedisCluster) {
    reference_node_with(RedisAdapterConfig::new(redis)).await
}

/// [`reference_node`] with the adapter's options.
async fn reference_node_with(config: RedisAdapterConfig) -> (String, RedisCluster) {
    let node = sio_contract_server::connect_cluster_node(Default::default(), config).await;
    let (contract, cluster) = node.expect("Redis reachable");
    let addr = support::serve_here(contract.router).await;
    (format!("http://{addr}"), cluster)
}

/// Waits (bounded) until `n` servers subscribed to `/` (the adapters subscribe after they
/// listen).
async fn subscribed(cluster: &RedisCluster, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while cluster.server_count("/").await < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} servers never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `n` Node nodes on `redis` (`fixtures/node/cluster/node.mjs`, each a process of its own);
/// `None` when Node is missing outside CI.
fn node_nodes(redis: &str, n: usize) -> Option<Vec<(support::Harness, String)>> {
    (0..n)
        .map(|_| support::start_node_with(&["cluster/node.mjs", "--redis", redis], &[]))
        .collect()
}

#[test]
fn a_node_cluster_of_three_passes_every_cluster_case() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let Some(nodes) = node_nodes(&redis.url(), 3) else {
        return;
    };
    let urls: Vec<String> = nodes.iter().map(|(_, url)| url.clone()).collect();
    runtime().block_on(async {
        // Only to count the subscribed nodes: a link to Redis without an adapter subscribes to
        // nothing.
        let probe = RedisCluster::connect(RedisAdapterConfig::new(redis.url()))
            .await
            .expect("Redis reachable");
        subscribed(&probe, 3).await;
        let records = cluster_cases(&urls, None).await;
        assert_all_pass(&records, "a Node cluster");
    });
}

#[test]
fn a_reference_cluster_passes_every_cluster_case() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    runtime().block_on(async {
        let (a, cluster) = reference_node(&redis.url()).await;
        let (b, _other) = reference_node(&redis.url()).await;
        subscribed(&cluster, 2).await;
        let records = cluster_cases(&[a, b], None).await;
        assert_all_pass(&records, "a reference cluster");
    });
}

/// Two reference nodes and two Node nodes on one Redis, in turn: the cases' clients are on the
/// first two (a reference node and a Node node), the other two count in `serverCount` and answer
/// `serverSideEmitWithAck`.
#[test]
fn a_mixed_cluster_of_four_passes_every_cluster_case() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let Some(nodes) = node_nodes(&redis.url(), 2) else {
        return;
    };
    runtime().block_on(async {
        let (rust_a, cluster) = reference_node(&redis.url()).await;
        let (rust_b, _other) = reference_node(&redis.url()).await;
        subscribed(&cluster, 4).await;
        let urls = [rust_a, nodes[0].1.clone(), rust_b, nodes[1].1.clone()];
        let records = cluster_cases(&urls, None).await;
        assert_all_pass(
            &records,
            "a mixed cluster (two reference and two Node nodes)",
        );
    });
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

/// Each injected cluster fault and the case that must catch it (the others that do are printed).
const CAUGHT_BY: [(ClusterFault, &str); 4] = [
    (ClusterFault::ExceptDropped, "cluster.broadcast.except"),
    (
        ClusterFault::RoomChannelUnterminated,
        "cluster.broadcast.room",
    ),
    (ClusterFault::IntegersTruncated, "cluster.broadcast.all"),
    (ClusterFault::RequestsUnanswered, "cluster.fetch-sockets"),
];

#[test]
fn every_cluster_fault_is_caught() {
    assert_eq!(
        CAUGHT_BY.len(),
        ClusterFault::ALL.len(),
        "a fault without its case"
    );
    runtime().block_on(async {
        for (fault, case) in CAUGHT_BY {
            // A fresh Redis each time: the nodes of the last round must not join this one.
            let Some(redis) = support::RedisServer::start() else {
                return;
            };
            let config = || RedisAdapterConfig::new(redis.url()).with_fault(fault);
            let (a, cluster) = reference_node_with(config()).await;
            let (b, _other) = reference_node_with(config()).await;
            subscribed(&cluster, 2).await;
            // Every wait of a case the fault breaks lasts a whole step: keep it short.
            let records = cluster_cases(&[a, b], Some(Duration::from_millis(1000))).await;
            let failed: Vec<&str> = records
                .iter()
                .filter(|r| r.verdict == Verdict::Fail)
                .map(|r| r.id.as_str())
                .collect();
            eprintln!("{}: caught by {failed:?}", fault.name());
            assert!(
                failed.contains(&case),
                "{} was not caught by {case} (failed: {failed:?})",
                fault.name()
            );
        }
    });
}
