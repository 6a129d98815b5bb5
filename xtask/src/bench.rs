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
    let pid = server.pid();
    let mut command = Command::new("taskset");
    command
        .args(["-c", "1"])
        .arg(contract::target_binary("sio-bench", true))
        .args(["--url", &server.url, "--pid", &pid.to_string()])
        .args(load)
        .stderr(Stdio::inherit());
    eprintln!("xtask: running {command:?}");
    let output = command
        .output()
        .context("running sio-bench (is taskset installed?)")?;
    drop(server);
    if !output.status.success() {
        bail!(
            "sio-bench failed against the {} server ({})",
            target.name(),
            output.status
        );
    }
    serde_json::from_slice(&output.stdout).context("sio-bench printed no JSON")
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
