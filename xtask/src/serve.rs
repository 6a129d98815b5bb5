//! `cargo xtask serve [--target reference|node] [--port N]`: a contract server in the foreground.
//!
//! Both implementations of fixtures/CONTRACT.md bind 127.0.0.1 only and print
//! `{"listening":"http://127.0.0.1:PORT"}` once they accept connections: the Rust reference
//! server (`sio-contract-server`) and the Node harness with the pinned official packages.

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
    /// Build the reference server in release mode.
    #[arg(long)]
    release: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut command = contract::command(args.target, args.port, args.release)?;
    eprintln!("xtask: running {command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start the {} server", args.target.name()))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
