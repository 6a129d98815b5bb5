//! `cargo xtask proptest [--target reference|node | --url URL… | --cluster K [--nodes N]]
//! [--cases N] [--kind K] [--seed S] [--replay FILE]`: the property tests of
//! proptest/PROPTEST.md against a contract server, or against the nodes of a cluster.
//!
//! With no `--url` it starts a contract server on an ephemeral port (the reference server by
//! default, `--target node` for the pinned Node harness; see [`crate::contract`]), or with
//! `--cluster` a Redis and N nodes ([`crate::cluster`]), and stops them afterwards. Several
//! `--url`s are the nodes of a cluster someone else runs. The properties themselves run in the binary `sio-proptest` (crate proptest/),
//! built first and given the flags, so this task holds no protocol logic:
//!
//! ```text
//! sio-proptest --url <url>… --kind rooms|recovery|upgrade|cluster|all --cases <n> [--seed <seed>] [--persist] --target-flag <how to name it>
//! sio-proptest --url <url> --replay <case.json> --target-flag <how to name it>
//! ```

use crate::contract::{self, Target};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// Which property set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Rooms, targets, acks, disconnects on sio-main (a namespace per case).
    Rooms,
    /// Drops (at every drop point, polling ones included) and reconnects with connection state
    /// recovery on sio-recovery.
    Recovery,
    /// Polling clients upgrading to WebSocket in steps while events flow both ways, on sio-main.
    Upgrade,
    /// The rooms operations with the clients spread over the nodes of a cluster.
    Cluster,
    /// All of them (`cluster` only on a cluster).
    All,
}

/// Arguments of `cargo xtask proptest`.
#[derive(clap::Args)]
pub struct Args {
    /// Start this contract server on an ephemeral port and test it (default: reference).
    #[arg(long, value_enum, conflicts_with_all = ["url", "cluster"])]
    target: Option<Target>,
    /// Test the server at this URL (`http://host:port[/prefix]`) instead. It must implement
    /// fixtures/CONTRACT.md and must not be used by anything else during the run (the recovery
    /// properties broadcast to `all` on sio-recovery's `/`). Given twice or more, the URLs are
    /// the nodes of one cluster (fixtures/CONTRACT.md §7).
    #[arg(long, conflicts_with = "cluster")]
    url: Vec<String>,
    /// Start a cluster on one redis-server instead (as `cargo xtask serve --cluster`) and test it.
    #[arg(long, value_enum)]
    cluster: Option<crate::cluster::Kind>,
    /// The cluster's nodes.
    #[arg(long, default_value_t = 2, requires = "cluster")]
    nodes: usize,
    /// New cases per property set (persisted regressions run first).
    #[arg(long, default_value_t = 64)]
    cases: u32,
    /// Which property set.
    #[arg(long, value_enum, default_value = "all")]
    kind: Kind,
    /// RNG seed (`0x…` or decimal); default: random (printed), or the fixed CI seed when CI is set.
    #[arg(long)]
    seed: Option<String>,
    /// Replay one saved case (the JSON file a failure report names) instead of generating.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// Write a new failure into proptest/proptest-regressions/ (tracked files); without it
    /// the persisted regressions are run but nothing is written.
    #[arg(long)]
    persist: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    // Build first, so a slow build never races the server's heartbeat.
    let mut build = contract::cargo(&[
        "build",
        "--quiet",
        "-p",
        "sio-proptest",
        "--bin",
        "sio-proptest",
    ]);
    eprintln!("xtask: running {build:?}");
    if !build.status().context("running cargo build")?.success() {
        anyhow::bail!("building sio-proptest failed");
    }
    // What this task starts, stopped once the properties have run.
    let mut server = None;
    let mut cluster = None;
    let (urls, flag) = if let Some(kind) = args.cluster {
        let running = crate::cluster::start(kind, args.nodes, false, |command| command)?;
        let urls = running.nodes.iter().map(|(_, s)| s.url.clone()).collect();
        cluster = Some(running);
        let kind = format!("{kind:?}").to_lowercase();
        (urls, format!("--cluster {kind} --nodes {}", args.nodes))
    } else if let Some(url) = args.url.first() {
        // Somebody else's server: the properties drive the full contract, so say what is
        // missing (exit 2) instead of failing every property at its first step.
        let mut detect =
            contract::runner(false, &["--url", url, "--detect", "--require-tier", "full"]);
        eprintln!("xtask: running {detect:?}");
        let status = detect
            .status()
            .context("running sio-conformance --detect")?;
        if !status.success() {
            return Ok(ExitCode::from(2));
        }
        let flag: Vec<String> = args.url.iter().map(|u| format!("--url {u}")).collect();
        (args.url.clone(), flag.join(" "))
    } else {
        let target = args.target.unwrap_or(Target::Reference);
        let started = contract::start(target, false)?;
        let url = started.url.clone();
        server = Some(started);
        (vec![url], format!("--target {}", target.name()))
    };
    let mut test = Command::new(contract::target_binary("sio-proptest", false));
    for url in &urls {
        test.args(["--url", url]);
    }
    test.args(["--target-flag", &flag]);
    if let Some(file) = &args.replay {
        let file = std::fs::canonicalize(file)
            .with_context(|| format!("replay file {}", file.display()))?;
        test.arg("--replay").arg(file);
    } else {
        let kind = match args.kind {
            Kind::Rooms => "rooms",
            Kind::Recovery => "recovery",
            Kind::Upgrade => "upgrade",
            Kind::Cluster => "cluster",
            Kind::All => "all",
        };
        test.args(["--kind", kind, "--cases", &args.cases.to_string()]);
        if let Some(seed) = &args.seed {
            test.args(["--seed", seed]);
        }
        if args.persist {
            test.arg("--persist");
        }
    }
    eprintln!("xtask: running {test:?}");
    let status = test.status().context("running sio-proptest")?;
    drop(server);
    drop(cluster);
    // 2: the server does not offer what the properties need (said by sio-proptest).
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(2) => ExitCode::from(2),
        _ => ExitCode::from(1),
    })
}
