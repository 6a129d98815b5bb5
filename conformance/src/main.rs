//! `sio-conformance`: the runner binary (see conformance/README.md for the CLI and exit codes),
//! and `sio-conformance doctor …`, the deployment doctor (its own flags: `doctor --help`).

use clap::Parser;
use sio_conformance::cli::{Args, run};
use sio_conformance::doctor::{self, DoctorArgs};

fn main() -> std::process::ExitCode {
    // `doctor` as the first argument selects the doctor; anything else is the runner's command
    // line, unchanged (the runner has no subcommands, so no existing use is shadowed).
    let mut argv: Vec<String> = std::env::args().collect();
    let doctor_args = if argv.get(1).map(String::as_str) == Some("doctor") {
        argv.remove(1);
        argv[0] = "sio-conformance doctor".into();
        Some(DoctorArgs::parse_from(argv))
    } else {
        None
    };
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
    let code = match doctor_args {
        Some(args) => runtime.block_on(doctor::run(args)),
        None => runtime.block_on(run(Args::parse())),
    };
    std::process::ExitCode::from(code)
}
