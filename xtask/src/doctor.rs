//! `cargo xtask doctor --url URL [doctor flags…]`: the deployment doctor (`sio-conformance
//! doctor`), which checks what the proxies and load balancers in front of a deployed Socket.IO
//! server break (path, CORS, stickiness, the WebSocket upgrade, body limits, idle timeouts).
//! Every flag goes to it unchanged (`sio-conformance doctor --help`); its exit code is returned
//! as is (0 nothing failed, 1 some check failed, 2 usage error or unreachable).

use crate::contract;
use anyhow::{Context, Result};
use std::process::ExitCode;

/// Arguments of `cargo xtask doctor`.
#[derive(clap::Args)]
pub struct Args {
    /// Build the runner in release mode.
    #[arg(long)]
    release: bool,
    /// Flags for the doctor (`--url`, `--path`, `--origin`, `--idle`, `--json`, …), passed
    /// through unchanged.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "DOCTOR FLAGS"
    )]
    rest: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut doctor = contract::runner(args.release, &["doctor"]);
    doctor.args(&args.rest);
    eprintln!("xtask: running {doctor:?}");
    let status = doctor.status().context("running sio-conformance doctor")?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        None => ExitCode::from(2),
    })
}
