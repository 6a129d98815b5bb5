//! `sio-proptest`: the property tests (proptest/PROPTEST.md) against the contract server at a
//! URL, what `cargo xtask proptest` runs once it has a server.
//!
//! ```text
//! sio-proptest --url URL [--kind rooms|recovery|upgrade|all] [--cases N] [--seed S] [--persist]
//! sio-proptest --url URL --replay FILE      # one saved case (the JSON file a failure names)
//! sio-proptest --url A --url B … [--kind cluster|all]   # the nodes of one cluster
//! ```
//!
//! Several URLs are the nodes of one cluster (fixtures/CONTRACT.md §7): the `cluster` set spreads
//! its clients over them, and the other sets run on the first.
//! The server must serve the full tier of fixtures/CONTRACT.md (the control events; recovery
//! for the recovery set) and must not be used by anything else during the run. Exit codes: 0
//! every property held (or the replay passed), 1 a property failed (the minimal case, its
//! transcript and the command that replays it are printed), 2 a usage error or a server that
//! does not offer what the properties drive (said before anything is generated).

use clap::{Parser, ValueEnum};
use sio_conformance::driver::Endpoint;
use sio_proptest::live::barrier::await_cluster;
use sio_proptest::ops::{Case, Kind};
use sio_proptest::runner::{self, Settings, ci_seed, parse_seed};
use sio_proptest::{Live, replay};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Bound on one step of a client (a request, a wait for a frame).
const STEP: Duration = Duration::from_millis(2000);
/// How long the nodes of a cluster may take to count each other (they subscribe to Redis
/// after they listen).
const CLUSTER_READY: Duration = Duration::from_secs(10);

/// Which property set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Sets {
    /// Rooms, targets, acks, disconnects on sio-main (a namespace per case).
    Rooms,
    /// Drops (at every drop point, polling ones included) and reconnects with connection state
    /// recovery on sio-recovery.
    Recovery,
    /// Polling clients upgrading to WebSocket in steps while events flow both ways, on sio-main.
    Upgrade,
    /// The rooms operations with the clients spread over the nodes of a cluster (two URLs or
    /// more).
    Cluster,
    /// All of them (`cluster` only when several URLs are given).
    All,
}

impl Sets {
    fn kinds(self, cluster: bool) -> Vec<Kind> {
        match self {
            Sets::Rooms => vec![Kind::Rooms],
            Sets::Recovery => vec![Kind::Recovery],
            Sets::Upgrade => vec![Kind::Upgrade],
            Sets::Cluster => vec![Kind::Cluster],
            Sets::All if cluster => vec![Kind::Rooms, Kind::Recovery, Kind::Upgrade, Kind::Cluster],
            Sets::All => vec![Kind::Rooms, Kind::Recovery, Kind::Upgrade],
        }
    }
}

/// Model-based property tests of a Socket.IO contract server (proptest/PROPTEST.md).
#[derive(Parser, Debug)]
#[command(name = "sio-proptest")]
struct Args {
    /// The server under test (`http://host:port[/prefix]`); it must implement the full tier of
    /// fixtures/CONTRACT.md and must not be used by anything else during the run. Given twice
    /// or more, the URLs are the nodes of one cluster.
    #[arg(long, required = true)]
    url: Vec<String>,
    /// New cases per property set (the persisted regressions run first and do not count).
    #[arg(long, default_value_t = 64)]
    cases: u32,
    /// RNG seed (`0x…` or decimal), the same for every set; default: the fixed CI seed of each
    /// set when the environment variable CI is set, else random (printed in the report line).
    #[arg(long, value_parser = seed)]
    seed: Option<u64>,
    /// Which property set.
    #[arg(long, value_enum, default_value = "all")]
    kind: Sets,
    /// Replay one saved case (the JSON file a failure report names) instead of generating.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cases", "seed", "kind", "persist"])]
    replay: Option<PathBuf>,
    /// Write a new failure into proptest/proptest-regressions/ (tracked files); without it the
    /// persisted regressions are run but nothing is written.
    #[arg(long)]
    persist: bool,
    /// How the replay command printed with a failure names the target (`cargo xtask proptest
    /// <this> --replay FILE`); default `--url <URL>`.
    #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
    target_flag: Option<String>,
}

fn seed(v: &str) -> Result<u64, String> {
    parse_seed(v).ok_or_else(|| format!("{v:?} is not a seed (`0x…` or decimal)"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut nodes = Vec::new();
    for url in &args.url {
        match Endpoint::parse(url) {
            Ok(endpoint) => nodes.push(endpoint),
            Err(e) => {
                eprintln!("sio-proptest: --url {url}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let cluster = nodes.len() > 1;
    let live = Live {
        endpoint: nodes[0].clone(),
        cluster: if cluster { nodes } else { Vec::new() },
        step: STEP,
    };
    if let Some(file) = &args.replay {
        return replay_file(&live, file);
    }
    let kinds = args.kind.kinds(cluster);
    if kinds.contains(&Kind::Cluster) && !cluster {
        eprintln!("sio-proptest: --kind cluster needs the nodes of a cluster: --url twice or more");
        return ExitCode::from(2);
    }
    // The checks before the run, on one runtime of their own (the runner has its own).
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sio-proptest: tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(missing) = rt.block_on(require_capabilities(&live.endpoint, &kinds)) {
        eprintln!("sio-proptest: {}: {missing}", args.url[0]);
        return ExitCode::from(2);
    }
    if kinds.contains(&Kind::Cluster)
        && let Err(e) = rt.block_on(await_cluster(&live, CLUSTER_READY))
    {
        eprintln!("sio-proptest: the cluster is not ready: {e}");
        return ExitCode::from(2);
    }
    drop(rt);
    let urls: Vec<String> = args.url.iter().map(|u| format!("--url {u}")).collect();
    let target_flag = args.target_flag.clone().unwrap_or_else(|| urls.join(" "));
    let ci = std::env::var_os("CI").is_some();
    let mut failed = Vec::new();
    for kind in kinds {
        let seed = args.seed.or_else(|| ci.then(|| ci_seed(kind)));
        let mut settings = Settings::new(live.clone(), kind, args.cases, seed);
        settings.target_flag = target_flag.clone();
        // Somebody else's server must not change tracked files unless asked to.
        settings.persist_new = args.persist;
        let report = runner::run(&settings);
        println!("{}", report.render());
        if report.failure.is_some() {
            failed.push(kind.name());
        }
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("sio-proptest: properties failed: {}", failed.join(", "));
        ExitCode::from(1)
    }
}

/// `Err(what is missing)` unless the server offers what the property sets of `kinds` drive (the
/// contract's control events; recovery for the recovery set): without them every property
/// would fail at its first step, which says nothing about the server.
async fn require_capabilities(endpoint: &Endpoint, kinds: &[Kind]) -> Result<(), String> {
    use sio_conformance::config::Capability;
    let settings = sio_conformance::config::Settings::new(endpoint.clone());
    let found = sio_conformance::runner::detect(&settings)
        .await
        .map_err(|e| e.to_string())?;
    let mut needed = vec![Capability::ContractExtensions];
    if kinds.contains(&Kind::Recovery) {
        needed.push(Capability::Recovery);
    }
    let missing: Vec<&str> = needed
        .iter()
        .filter(|c| !found.capabilities.contains(c))
        .map(|c| c.name())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "does not offer what the property tests drive (the full tier of fixtures/CONTRACT.md): \
         missing {}; {}",
        missing.join(", "),
        found.notes.join("; ")
    ))
}

/// Runs one saved case, prints its operations and transcript: 0 if it passes, 1 if not.
fn replay_file(live: &Live, file: &PathBuf) -> ExitCode {
    let case: Case = match std::fs::read_to_string(file)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| format!("not a case: {e}")))
    {
        Ok(case) => case,
        Err(e) => {
            eprintln!("sio-proptest: --replay {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let outcome = replay(live, &case, None);
    for (i, op) in case.ops.iter().enumerate() {
        println!("  {:>2}. {op}", i + 1);
    }
    for e in outcome.transcript.entries() {
        println!("{}", e.line());
    }
    match outcome.result {
        Ok(()) => {
            println!("replay: PASS");
            ExitCode::SUCCESS
        }
        Err(f) => {
            println!("replay: FAIL\n{f}");
            ExitCode::from(1)
        }
    }
}
