//! `cargo xtask serve --target node [--port N]`: a contract server in the foreground.
//!
//! The Node harness implements fixtures/CONTRACT.md with the pinned official packages. It binds
//! 127.0.0.1 only and prints `{"listening":"http://127.0.0.1:PORT"}` once it accepts connections.

use crate::{node, workspace};
use anyhow::Result;
use std::process::ExitCode;

/// Which implementation of the contract to run.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Target {
    /// The official Node server (socket.io 4.8.4, engine.io 6.6.12), pinned in fixtures/node.
    Node,
}

/// Arguments of `cargo xtask serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The implementation to run.
    #[arg(long, value_enum, default_value = "node")]
    target: Target,
    /// TCP port on 127.0.0.1; 0 lets the OS choose (the harness prints the one it got).
    #[arg(long, default_value_t = 3000)]
    port: u16,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.target {
        Target::Node => {
            node::ensure_installed()?;
            let mut command =
                node::script("harness.mjs", &["--port".into(), args.port.to_string()]);
            let status = node::run_logged(&mut command, &workspace::node_dir())?;
            Ok(if status.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
