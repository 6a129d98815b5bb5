//! `cargo xtask`: the one front door to the project's tasks.
//!
//! Each task is one module; `main` only parses the command line and dispatches. Tasks shell out
//! to `cargo` and `node` and never hold protocol logic, so what they run is exactly what a
//! developer could run by hand (each task prints the commands it runs).

mod bench;
mod bench_table;
mod capture;
mod cluster;
mod conformance;
mod contract;
mod doctor;
mod fuzz;
mod matrix;
mod mutants;
mod node;
mod proptest;
mod serve;
mod third_party;
mod tidy;
mod workspace;

use clap::{Parser, Subcommand};

/// Tasks of the Socket.IO conformance workspace.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run a contract server in the foreground on 127.0.0.1 (see fixtures/CONTRACT.md).
    Serve(serve::Args),
    /// Re-capture the Node oracle's transcripts into fixtures/transcripts, or check them.
    Capture(capture::Args),
    /// Run the conformance suite against the reference server (default), `--target node`, or any `--url`.
    Conformance(conformance::Args),
    /// Diagnose a deployed Socket.IO URL behind proxies: path, CORS, stickiness, upgrade, idle cuts.
    Doctor(doctor::Args),
    /// The reference server, Node and socketioxide side by side under the same loads (ratios), or any `--url`.
    Bench(bench::Args),
    /// Fuzzing: run targets, generate seeds, diff against Node, coverage (fuzz/README.md).
    Fuzz(fuzz::Args),
    /// The implementation matrix: every pinned server through the suite, one site (target/matrix).
    Matrix(matrix::Args),
    /// Property tests (rooms, reconnection, recovery) against a server: proptest/PROPTEST.md.
    Proptest(proptest::Args),
    /// Mutation testing of the codec and the engine session (cargo-mutants): MUTANTS.md.
    Mutants(mutants::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.task {
        Task::Serve(args) => serve::run(args),
        Task::Bench(args) => bench::run(args),
        Task::Doctor(args) => doctor::run(args),
        Task::Capture(args) => capture::run(args),
        Task::Conformance(args) => conformance::run(args),
        Task::Fuzz(args) => fuzz::run(args),
        Task::Matrix(args) => matrix::run(args),
        Task::Proptest(args) => proptest::run(args),
        Task::Mutants(args) => mutants::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            std::process::ExitCode::from(2)
        }
    }
}
