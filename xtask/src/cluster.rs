//! `cargo xtask serve --cluster node|reference|mixed [--nodes N]`: a cluster of contract servers
//! on one Redis, in the foreground. It starts a `redis-server` (127.0.0.1, a free port, its own
//! temporary directory, no persistence) and N nodes on it, each on an ephemeral port: Node
//! nodes (`fixtures/node/cluster/node.mjs`, the harness on `@socket.io/redis-adapter`), Rust
//! nodes (`sio-contract-server --redis URL`), or both in turn (`mixed`: Rust first). It prints
//! one JSON line, `{"redis":URL,"nodes":[{"kind":…,"url":…},…]}`, and runs until one of them
//! exits or the terminal's Ctrl-C stops them all (they share its process group).

use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};
use sio_test_support::RedisServer;

use crate::contract::{self, Server};
use crate::{node, workspace};

/// Which implementations the nodes run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Node nodes only.
    Node,
    /// Rust reference nodes only.
    Reference,
    /// Rust and Node nodes in turn, Rust first.
    Mixed,
}

impl Kind {
    /// What node `index` (from 0) runs.
    fn node_kind(self, index: usize) -> Kind {
        match self {
            Kind::Mixed if index % 2 == 0 => Kind::Reference,
            Kind::Mixed => Kind::Node,
            other => other,
        }
    }
}

/// A running cluster: its Redis and its nodes, in start order (all stopped on drop).
pub struct Running {
    /// Each node's kind and process. Declared first, so dropped first: nodes whose Redis went
    /// first would log their lost connections.
    pub nodes: Vec<(Kind, Server)>,
    /// Kept for as long as the nodes run.
    redis: RedisServer,
}

/// Starts the cluster and waits until a node exits.
pub fn run(kind: Kind, nodes: usize, release: bool) -> Result<()> {
    let Running {
        redis,
        nodes: mut started,
    } = start(kind, nodes, release, |command| command)?;
    let line = serde_json::json!({
        "redis": redis.url(),
        "nodes": started.iter().map(|(k, s)| serde_json::json!({
            "kind": format!("{k:?}").to_lowercase(),
            "url": s.url,
        })).collect::<Vec<_>>(),
    });
    println!("{line}");
    eprintln!("xtask: cluster running; Ctrl-C stops it");
    loop {
        std::thread::sleep(Duration::from_millis(500));
        for (kind, server) in &mut started {
            if let Some(status) = server.try_wait()? {
                bail!("a {kind:?} node ({}) exited: {status}", server.url);
            }
        }
    }
}

/// Starts a Redis and `nodes` nodes of `kind` on it, each node's command passed through `wrap`
/// first (the bench pins them to a core).
pub fn start(
    kind: Kind,
    nodes: usize,
    release: bool,
    wrap: impl Fn(Command) -> Command,
) -> Result<Running> {
    if nodes == 0 {
        bail!("--nodes must be at least 1");
    }
    let redis = RedisServer::try_start().map_err(anyhow::Error::msg)?;
    let kinds: Vec<Kind> = (0..nodes).map(|i| kind.node_kind(i)).collect();
    if kinds.contains(&Kind::Node) {
        node::ensure_installed()?;
    }
    let reference = if kinds.contains(&Kind::Reference) {
        // Built once (and checked to start) by the usual path.
        let command = contract::command(contract::Target::Reference, 0, release)?;
        Some(command.get_program().to_owned())
    } else {
        None
    };
    let mut started: Vec<(Kind, Server)> = Vec::new();
    for node_kind in kinds {
        let command = match (node_kind, &reference) {
            (Kind::Reference, Some(bin)) => {
                let mut command = Command::new(bin);
                command.args(["--port", "0", "--redis", &redis.url()]);
                command
            }
            _ => {
                let mut command = Command::new("node");
                command
                    .args(["cluster/node.mjs", "--redis", &redis.url(), "--port", "0"])
                    .current_dir(workspace::node_dir());
                command
            }
        };
        let name = format!("{node_kind:?} node").to_lowercase();
        let mut command = wrap(command);
        started.push((node_kind, contract::start_command(&name, &mut command)?));
    }
    Ok(Running {
        redis,
        nodes: started,
    })
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn a_mixed_cluster_starts_with_a_rust_node_and_alternates() {
        let kinds: Vec<Kind> = (0..4).map(|i| Kind::Mixed.node_kind(i)).collect();
        assert_eq!(
            kinds,
            [Kind::Reference, Kind::Node, Kind::Reference, Kind::Node]
        );
        assert_eq!(Kind::Node.node_kind(3), Kind::Node);
    }
}
