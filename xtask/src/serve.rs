//! `cargo xtask serve [--target T] [--port N]`: a server for the suite in the foreground.
//!
//! Targets ([`crate::contract::Target`]): the two implementations of fixtures/CONTRACT.md,
//! `reference` (the Rust reference server, `sio-contract-server`) and `node` (the Node harness
//! with the pinned official packages); the pinned socket.io as the official test suites' servers
//! only (`node-official`) or stock (`node-stock`); socketioxide and python-socketio, each as the
//! official suites' servers (`socketioxide`, `python`) or stock (`socketioxide-stock`,
//! `python-stock`), built or installed on first use ([`crate::third_party`]). Every one binds
//! 127.0.0.1 only and prints `{"listening":"http://127.0.0.1:PORT"}` once it accepts
//! connections. The server replaces the xtask process, so stopping `cargo xtask serve` stops the
//! server.
//!
//! `--cluster node|reference|mixed [--nodes N]` starts a cluster on one Redis instead
//! ([`crate::cluster`]).

use crate::contract::{self, Target};
use anyhow::{Context, Result};
use std::process::ExitCode;

/// Arguments of `cargo xtask serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The implementation to run.
    #[arg(long, value_enum, default_value = "reference")]
    target: Target,
    /// TCP port on 127.0.0.1; 0 lets the OS choose (the server prints the one it got).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Build the reference server in release mode (socketioxide is always a release build).
    #[arg(long)]
    release: bool,
    /// Start a cluster on one redis-server instead: Node nodes, Rust nodes, or both in turn.
    #[arg(long, value_enum)]
    cluster: Option<crate::cluster::Kind>,
    /// How many nodes the cluster has.
    #[arg(long, default_value_t = 2, requires = "cluster")]
    nodes: usize,
}

pub fn run(args: Args) -> Result<ExitCode> {
    if let Some(kind) = args.cluster {
        crate::cluster::run(kind, args.nodes, args.release)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut command = contract::command(args.target, args.port, args.release)?;
    eprintln!("xtask: running {command:?}");
    // The server takes this process's place (cargo's too: `cargo run` execs on Unix), so a
    // signal sent to `cargo xtask serve` reaches the server itself and nothing is left behind
    // on the port.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let error = command.exec();
        Err(error).with_context(|| format!("could not start the {} server", args.target.name()))
    }
    #[cfg(not(unix))]
    {
        let status = command
            .status()
            .with_context(|| format!("could not start the {} server", args.target.name()))?;
        Ok(if status.success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}
