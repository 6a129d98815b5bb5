//! The `cluster` set (a module of tests/proptest.rs): the rooms operations with the clients spread
//! over the nodes of a cluster on one real redis-server. A cluster of two reference nodes (the
//! Rust Redis adapter) and a mixed one (a reference node and a Node node on
//! `@socket.io/redis-adapter`) must hold every property; a reference cluster whose adapter
//! drops `except` on the way to the other node, and two servers that share nothing given as one
//! cluster (a broadcast never crosses), must not.

use super::{check, support};
use sio_conformance::driver::Endpoint;
use sio_proptest::Live;
use sio_proptest::live::barrier::await_cluster;
use sio_proptest::ops::Kind;
use sio_proptest::runner::{self, Settings};
use sio_redis_adapter::{ClusterFault, RedisAdapterConfig, RedisCluster};
use std::time::Duration;

/// A runtime for in-process nodes, kept alive for as long as the test runs cases on them (the
/// runner has its own).
fn node_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A reference contract server on the Redis adapter `config` names, served in the current
/// runtime (with the link that counts the servers).
async fn reference_node(config: RedisAdapterConfig) -> (String, RedisCluster) {
    let node = sio_contract_server::connect_cluster_node(Default::default(), config).await;
    let (contract, link) = node.expect("Redis reachable");
    (
        format!("http://{}", support::serve_here(contract.router).await),
        link,
    )
}

/// Waits (bounded) until `n` servers subscribed to sio-main's `/admin` and `/`, the namespaces
/// a cluster case uses besides `/custom`.
async fn subscribed(probe: &RedisCluster, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for nsp in ["/", "/admin", "/custom"] {
        while probe.server_count(nsp).await < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{n} servers never subscribed to {nsp}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The nodes at `urls` as one cluster.
fn cluster(urls: &[String]) -> Live {
    let nodes: Vec<Endpoint> = urls
        .iter()
        .map(|u| Endpoint::parse(u).expect("URL"))
        .collect();
    Live {
        endpoint: nodes[0].clone(),
        cluster: nodes,
        step: Duration::from_millis(2000),
    }
}

#[test]
fn cluster_of_two_reference_nodes() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let rt = node_runtime();
    let (urls, _clusters) = rt.block_on(async {
        let (a, cluster_a) = reference_node(RedisAdapterConfig::new(redis.url())).await;
        let (b, cluster_b) = reference_node(RedisAdapterConfig::new(redis.url())).await;
        subscribed(&cluster_a, 2).await;
        let ready = await_cluster(&cluster(&[a.clone(), b.clone()]), Duration::from_secs(5)).await;
        assert_eq!(ready, Ok(()), "each node counts both");
        (vec![a, b], [cluster_a, cluster_b])
    });
    check(&Settings::from_env(cluster(&urls), Kind::Cluster, 24));
}

/// A reference node and a Node node: every broadcast crosses between the two adapters.
#[test]
fn cluster_of_a_reference_node_and_a_node_node() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let Some((_node, node_url)) =
        support::start_node_with(&["cluster/node.mjs", "--redis", &redis.url()], &[])
    else {
        return;
    };
    let rt = node_runtime();
    let (urls, _cluster) = rt.block_on(async {
        let (a, cluster) = reference_node(RedisAdapterConfig::new(redis.url())).await;
        subscribed(&cluster, 2).await;
        (vec![a, node_url], cluster)
    });
    check(&Settings::from_env(cluster(&urls), Kind::Cluster, 16));
}

/// The cluster fault `except-dropped` (redis-adapter/README.md): a broadcast published to the
/// other node loses its `except`, so excluded sockets there receive it.
#[test]
fn a_cluster_that_drops_except_fails() {
    let Some(redis) = support::RedisServer::start() else {
        return;
    };
    let rt = node_runtime();
    let (urls, _clusters) = rt.block_on(async {
        let config =
            || RedisAdapterConfig::new(redis.url()).with_fault(ClusterFault::ExceptDropped);
        let (a, cluster_a) = reference_node(config()).await;
        let (b, cluster_b) = reference_node(config()).await;
        subscribed(&cluster_a, 2).await;
        (vec![a, b], [cluster_a, cluster_b])
    });
    let mut settings = Settings::new(cluster(&urls), Kind::Cluster, 64, Some(23));
    settings.persistence = None;
    settings.max_shrink_iters = 100;
    let report = runner::run(&settings);
    eprintln!("{}", report.render());
    let failure = report
        .failure
        .expect("a cluster that drops `except` must fail");
    let why = failure.failure.expect("a step failure");
    assert!(why.op.contains("except"), "{why}");
}

/// Two servers that share nothing are not one cluster: each counts one server, and the
/// readiness check says so before any case runs.
#[test]
fn the_readiness_check_refuses_servers_that_are_not_one_cluster() {
    let urls = [super::reference_url(), super::reference_url()];
    let rt = node_runtime();
    let ready = rt.block_on(await_cluster(&cluster(&urls), Duration::from_millis(300)));
    let why = ready.expect_err("two separate servers are not one cluster");
    assert!(
        why.contains("counts [1] servers, not the 2 nodes given"),
        "{why}"
    );
}

/// Two servers without a Redis between them fail the properties: a broadcast from one never
/// reaches the clients of the other.
#[test]
fn two_servers_that_share_nothing_fail() {
    let a = super::reference_url();
    let b = super::reference_url();
    let mut settings = Settings::new(cluster(&[a, b]), Kind::Cluster, 16, Some(17));
    settings.persistence = None;
    settings.max_shrink_iters = 40;
    let report = runner::run(&settings);
    eprintln!("{}", report.render());
    let failure = report
        .failure
        .expect("separate servers must fail the cluster properties");
    let why = failure.failure.expect("a step failure");
    assert!(
        why.what.contains("marker") || why.what.contains("barrier"),
        "{why}"
    );
}
