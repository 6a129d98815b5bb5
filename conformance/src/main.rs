//! `sio-conformance`: the runner binary (see conformance/README.md for the CLI and exit codes).

use clap::Parser;
use sio_conformance::cli::{Args, run};

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sio-conformance: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(sio_conformance::verdict::exit::HARNESS);
        }
    };
    std::process::ExitCode::from(runtime.block_on(run(args)))
}
