//! `cargo xtask bench`: the reference server and the Node harness side by side, in one run, on
//! the same loads, with the ratios printed.
//!
//! Each server runs alone, pinned to core 0 (`taskset`), started from its release build (Node
//! as it is); the load generator `sio-bench` (crate bench/) runs pinned to core 1 and
//! reads the server's CPU time (its threads' schedstat, in nanoseconds) and resident memory
//! from /proc. The machine is shared and noisy, so only the ratios of one run mean something;
//! `--rounds N` alternates the servers N times and keeps each figure's best (lowest) value.
//! Memory per idle connection is RSS growth (allocator overhead included), counted at the
//! larger of "all connected" and "after the idle window" so that dropped sessions cannot lower
//! it; see sio-bench's doc. Linux only.

use crate::contract::{self, Target};
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::process::{Command, ExitCode, Stdio};

/// Arguments of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Alternate the two servers this many times and keep each figure's best value.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// Write the raw figures of every round here (JSON).
    #[arg(long)]
    json: Option<std::path::PathBuf>,
    /// Flags for the load generator (`sio-bench --help`: --acks, --ack-window, --serial-acks,
    /// --receivers, --broadcasts, --broadcast-window, --idle, --idle-secs), passed through
    /// unchanged.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "LOAD FLAGS"
    )]
    load: Vec<String>,
}

/// One figure of the comparison: where it is in sio-bench's JSON, and the target.
struct Figure {
    label: &'static str,
    path: [&'static str; 2],
    /// The target for reference / node, when the issue states one.
    target: &'static str,
}

const FIGURES: [Figure; 7] = [
    Figure {
        label: "CPU ms per 1000 echo acks, pipelined",
        path: ["acks", "cpu_ms_per_1000"],
        target: "≤ 0.25",
    },
    Figure {
        label: "CPU ms per 1000 echo acks, one in flight",
        path: ["serial_acks", "cpu_ms_per_1000"],
        target: "≤ 0.25",
    },
    Figure {
        label: "CPU ms per 1000 broadcast deliveries",
        path: ["broadcast", "cpu_ms_per_1000"],
        target: "≤ 0.25",
    },
    Figure {
        label: "bytes per idle WebSocket connection",
        path: ["idle", "bytes_per_connection"],
        target: "≤ 10 KB",
    },
    Figure {
        label: "heartbeat CPU ms per 1000 pings answered",
        path: ["idle", "heartbeat_cpu_ms_per_1000_pongs"],
        target: "small",
    },
    Figure {
        label: "heartbeat CPU share, idle connections",
        path: ["idle", "heartbeat_cpu_share"],
        target: "(same, per second)",
    },
    Figure {
        label: "sessions dropped while idle",
        path: ["idle", "dropped"],
        target: "0",
    },
];

pub fn run(args: Args) -> Result<ExitCode> {
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
    let mut rounds: Vec<(Target, Value)> = Vec::new();
    for round in 0..args.rounds.max(1) {
        for target in [Target::Reference, Target::Node] {
            eprintln!(
                "xtask: bench round {} of {}: {}",
                round + 1,
                args.rounds.max(1),
                target.name()
            );
            rounds.push((target, measure(target, &args.load)?));
        }
    }
    if let Some(path) = &args.json {
        let raw: Vec<Value> = rounds
            .iter()
            .map(|(t, v)| serde_json::json!({"target": t.name(), "figures": v}))
            .collect();
        std::fs::write(path, serde_json::to_string_pretty(&raw)?)?;
    }
    print_table(&rounds);
    Ok(ExitCode::SUCCESS)
}

/// Starts `target` pinned to core 0, runs the load generator pinned to core 1, returns its JSON.
fn measure(target: Target, load: &[String]) -> Result<Value> {
    let server = contract::start_with(target, true, |command| pinned(command, "0"))?;
    let pid = server.pid();
    let bench = contract::target_binary("sio-bench", true);
    let mut command = Command::new("taskset");
    command
        .args(["-c", "1"])
        .arg(bench)
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

fn figure(value: &Value, path: [&str; 2]) -> Option<f64> {
    value.get(path[0])?.get(path[1])?.as_f64()
}

fn print_table(rounds: &[(Target, Value)]) {
    // Best (lowest) value of each figure per target over the rounds.
    let best = |target: Target, path| {
        rounds
            .iter()
            .filter(|(t, _)| *t == target)
            .filter_map(|(_, v)| figure(v, path))
            .fold(None, |acc: Option<f64>, x| {
                Some(acc.map_or(x, |a| a.min(x)))
            })
    };
    let connections = rounds
        .first()
        .and_then(|(_, v)| v["idle"]["connections"].as_u64())
        .unwrap_or(0);
    println!("\n| figure | reference | node | reference / node | issue's target |");
    println!("|---|---:|---:|---:|---|");
    for f in &FIGURES {
        let (r, n) = (best(Target::Reference, f.path), best(Target::Node, f.path));
        let show = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.3}"));
        let ratio = match (r, n) {
            (Some(r), Some(n)) if n > 0.0 => format!("{:.3}", r / n),
            _ => "-".into(),
        };
        println!(
            "| {} | {} | {} | {ratio} | {} |",
            f.label,
            show(r),
            show(n),
            f.target
        );
    }
    println!(
        "\n({connections} idle connections; CPU from /proc/<pid>/task/*/schedstat; memory = RSS growth; best of {} round(s))",
        rounds.len() / 2
    );
}
