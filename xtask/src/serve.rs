//! `cargo xtask serve [--target reference|node] [--port N]`: a contract server in the foreground.
//!
//! Both implementations of fixtures/CONTRACT.md bind 127.0.0.1 only and print
//! `{"listening":"http://127.0.0.1:PORT"}` once they accept connections: the Rust reference
//! server (`sio-contract-server`) and the Node harness with the pinned official packages.
//! The server replaces the xtask process, so stopping `cargo xtask serve` stops the server.

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
