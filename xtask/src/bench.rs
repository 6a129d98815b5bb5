//! `cargo xtask bench`: the reference server, the Node harness and socketioxide side by side, in
//! one run, on the same loads, with the ratios printed; or, with `--url`, the load generator
//! against any server that serves the official tier.
//!
//! Each server runs alone, pinned to core 0 (`taskset`), started from its release build (Node
//! as it is; socketioxide from fixtures/socketioxide, pinned by its lock file, with `--bench` so
//! that it serves the broadcast phase's namespace); the load generator `sio-bench` (crate
//! bench/) runs pinned to core 1 and reads the server's CPU time (its threads' schedstat, in
//! nanoseconds) and resident memory from /proc, and its own CPU share, which tells whether it
//! was the bottleneck. The machine may be shared and noisy, so only the ratios of one run mean
//! something; `/proc/loadavg` is printed before and after, and `--rounds N` alternates the
//! servers N times and keeps each figure's best (lowest) value. Memory per idle connection is
//! RSS growth (allocator overhead included); see sio-bench's doc. Linux only.
//!
//! `--url URL [--pid PID]` runs the generator once against a server started elsewhere
//! (loopback only unless `--allow-remote`), not pinned, and prints its figures.
//!
//! `--cluster` measures a cluster's adapter instead: a two-node reference cluster (the Rust
//! Redis adapter) and a two-node Node cluster (`@socket.io/redis-adapter`), each on a Redis of
//! its own, both nodes pinned to core 0 and the generator to core 1; a sender on node A
//! broadcasts to receivers on node B only (sio-bench `--peer-url`), and the table gives the
//! cross-node deliveries per second and each node's CPU per 1000 deliveries.

use crate::bench_table::{self, Column};
use crate::contract::{self, Target};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::process::{Command, ExitCode, Stdio};

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Alternate the servers this many times and keep each figure's best value.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// The servers to compare, in this order (the ratios need `reference` and the other one).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "reference,node,socketioxide"
    )]
    targets: Vec<Target>,
    /// Measure cross-node broadcasts on two-node clusters (reference, then Node) instead.
    #[arg(long, conflicts_with = "url")]
    cluster: bool,
    /// Write the raw figures of every round here (JSON).
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Measure the server at this URL instead (`http://127.0.0.1:PORT`, official tier at least).
    #[arg(long)]
    url: Option<String>,
    /// With --url: the server's process id, for its CPU time and memory.
    #[arg(long, requires = "url")]
    pid: Option<u32>,
    /// With --url: accept a host that is not a loopback address.
    #[arg(long, requires = "url")]
    allow_remote: bool,
    /// Flags for the load generator (`sio-bench --help`: --acks, --ack-window, --serial-acks,
    /// --receivers, --broadcasts, --broadcast-windows, --idle, --idle-secs, --time-limit-secs),
    /// passed through unchanged.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "LOAD FLAGS"
    )]
    load: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    build_generator()?;
    if let Some(url) = &args.url {
        return measure_url(url, args.pid, args.allow_remote, &args.load);
    }
    if args.cluster {
        return measure_clusters(args.rounds.max(1), &args.load);
    }
    let supported = [Target::Reference, Target::Node, Target::Socketioxide];
    if let Some(other) = args.targets.iter().find(|t| !supported.contains(t)) {
        bail!(
            "bench compares reference, node and socketioxide, not {}",
            other.name()
        );
    }
    println!("load before: {}", loadavg());
    let mut rounds: Vec<(Target, Value)> = Vec::new();
    for round in 0..args.rounds.max(1) {
        for &target in &args.targets {
            eprintln!(
                "xtask: bench round {} of {}: {}",
                round + 1,
                args.rounds.max(1),
                target.name()
            );
            rounds.push((target, measure(target, &args.load)?));
        }
    }
    println!("load after: {}", loadavg());
    if let Some(path) = &args.json {
        let raw: Vec<Value> = rounds
            .iter()
            .map(|(t, v)| serde_json::json!({"target": t.name(), "figures": v}))
            .collect();
        std::fs::write(path, serde_json::to_string_pretty(&raw)?)?;
    }
    let columns: Vec<Column> = args
        .targets
        .iter()
        .map(|&target| Column {
            name: target.name(),
            runs: rounds
                .iter()
                .filter(|(t, _)| *t == target)
                .map(|(_, v)| v.clone())
                .collect(),
        })
        .collect();
    bench_table::print(&columns, args.rounds.max(1));
    Ok(ExitCode::SUCCESS)
}

fn build_generator() -> Result<()> {
    let mut build = contract::cargo(&[
        "build",
        "--release",
        "--quiet",
        "-p",
        "sio-bench",
        "--bin",
        "sio-bench",
    ]);
    eprintln!("xtask: running {build:?}");
    if !build.status().context("running cargo build")?.success() {
        bail!("building sio-bench failed");
    }
    Ok(())
}

/// The first line of /proc/loadavg (the machine's load: the figures' context).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Starts `target` pinned to core 0, runs the load generator pinned to core 1, returns its JSON.
fn measure(target: Target, load: &[String]) -> Result<Value> {
    let server = contract::start_with(target, true, |command| {
        pinned(with_bench_mode(target, command), "0")
    })?;
    let pid = server.pid().to_string();
    let figures = pinned_generator(&["--url", &server.url, "--pid", &pid], load);
    drop(server);
    figures.with_context(|| format!("against the {} server", target.name()))
}

/// Runs the load generator pinned to core 1 with `target` (where and what to measure) and
/// `load`; returns its JSON.
fn pinned_generator(target: &[&str], load: &[String]) -> Result<Value> {
    let mut command = Command::new("taskset");
    command
        .args(["-c", "1"])
        .arg(contract::target_binary("sio-bench", true))
        .args(target)
        .args(load)
        .stderr(Stdio::inherit());
    eprintln!("xtask: running {command:?}");
    let output = command
        .output()
        .context("running sio-bench (is taskset installed?)")?;
    if !output.status.success() {
        bail!("sio-bench failed ({})", output.status);
    }
    serde_json::from_slice(&output.stdout).context("sio-bench printed no JSON")
}

/// `--cluster`: each kind of cluster `rounds` times in turn; prints each figure's best value
/// and the reference-to-Node ratios.
fn measure_clusters(rounds: usize, load: &[String]) -> Result<ExitCode> {
    use crate::cluster::Kind;
    println!("load before: {}", loadavg());
    let kinds = [Kind::Reference, Kind::Node];
    let mut runs: Vec<(Kind, Value)> = Vec::new();
    for round in 0..rounds {
        for kind in kinds {
            eprintln!(
                "xtask: cluster bench round {} of {rounds}: {kind:?}",
                round + 1
            );
            runs.push((kind, measure_cluster(kind, load)?));
        }
    }
    println!("load after: {}", loadavg());
    // The best (lowest CPU, highest rate) of the rounds, per kind, window and figure.
    let best = |kind: Kind, phase: &str, figure: &str, lowest: bool| -> Option<f64> {
        let values = runs
            .iter()
            .filter(|(k, _)| *k == kind)
            .filter_map(|(_, v)| v[phase][figure].as_f64());
        if lowest {
            values.reduce(f64::min)
        } else {
            values.reduce(f64::max)
        }
    };
    let phases: Vec<String> = runs
        .first()
        .and_then(|(_, v)| v.as_object())
        .map(|o| {
            o.keys()
                .filter(|k| k.starts_with("cluster_broadcast_"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    println!("| figure | reference | node | reference ÷ node |");
    println!("|---|---:|---:|---:|");
    for phase in &phases {
        let window = phase.trim_start_matches("cluster_broadcast_");
        for (figure, label, lowest) in [
            ("per_second", "cross-node deliveries per second", false),
            (
                "cpu_ms_per_1000",
                "sender node CPU ms per 1000 deliveries",
                true,
            ),
            (
                "peer_cpu_ms_per_1000",
                "receiving node CPU ms per 1000 deliveries",
                true,
            ),
        ] {
            let (r, n) = (
                best(Kind::Reference, phase, figure, lowest),
                best(Kind::Node, phase, figure, lowest),
            );
            let cell = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.1}"));
            let ratio = match (r, n) {
                (Some(r), Some(n)) if n > 0.0 => format!("{:.2}", r / n),
                _ => "–".into(),
            };
            println!(
                "| {label}, {window} in flight | {} | {} | {ratio} |",
                cell(r),
                cell(n)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One two-node cluster of `kind` (release builds, pinned to core 0), the generator pinned to
/// core 1 with the receivers on node B; returns its JSON.
fn measure_cluster(kind: crate::cluster::Kind, load: &[String]) -> Result<Value> {
    let cluster = crate::cluster::start(kind, 2, true, |command| pinned(command, "0"))?;
    let [(_, a), (_, b)] = &cluster.nodes[..] else {
        bail!("a cluster of two nodes started {}", cluster.nodes.len());
    };
    let (a_pid, b_pid) = (a.pid().to_string(), b.pid().to_string());
    let target = [
        "--url",
        &a.url,
        "--pid",
        &a_pid,
        "--peer-url",
        &b.url,
        "--peer-pid",
        &b_pid,
    ];
    let figures = pinned_generator(&target, load);
    drop(cluster);
    figures.with_context(|| format!("against the {kind:?} cluster"))
}

/// socketioxide's contract server serves the official tier only, unless given `--bench` (the
/// dynamic namespaces and the `broadcast` control event the broadcast phase needs).
fn with_bench_mode(target: Target, mut command: Command) -> Command {
    if target == Target::Socketioxide {
        command.arg("--bench");
    }
    command
}

/// `cargo xtask bench --url URL [--pid PID]`: one run of the generator, its figures printed.
fn measure_url(
    url: &str,
    pid: Option<u32>,
    allow_remote: bool,
    load: &[String],
) -> Result<ExitCode> {
    let mut command = Command::new(contract::target_binary("sio-bench", true));
    command.args(["--url", url]);
    if let Some(pid) = pid {
        command.args(["--pid", &pid.to_string()]);
    }
    if allow_remote {
        command.arg("--allow-remote");
    }
    command.args(load).stderr(Stdio::inherit());
    eprintln!("xtask: running {command:?}");
    println!("load before: {}", loadavg());
    let output = command.output().context("running sio-bench")?;
    if !output.status.success() {
        bail!("sio-bench failed against {url} ({})", output.status);
    }
    let figures: Value =
        serde_json::from_slice(&output.stdout).context("sio-bench printed no JSON")?;
    println!("load after: {}", loadavg());
    println!("{}", serde_json::to_string_pretty(&figures)?);
    bench_table::print(
        &[Column {
            name: url,
            runs: vec![figures],
        }],
        1,
    );
    Ok(ExitCode::SUCCESS)
}

/// `taskset -c <core> <program> <args…>`, keeping the working directory.
fn pinned(command: Command, core: &str) -> Command {
    let mut pinned = Command::new("taskset");
    pinned
        .args(["-c", core])
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        pinned.current_dir(dir);
    }
    pinned
}
