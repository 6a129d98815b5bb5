//! `cargo xtask fuzz run|all|seed|diff|coverage`: the fuzzing toolkit (fuzz/README.md).
//!
//! - `run <target> [--time S]`, `all [--time S]`: build with `cargo +nightly fuzz` (installing
//!   cargo-fuzz when missing), run one target at a time (`-jobs=1`) over fuzz/corpus/<target>
//!   (working, git-ignored) plus fuzz/seeds/<target> (committed), and print executions per second
//!   and libFuzzer's final `cov`/`ft` per target.
//! - `seed`: seed corpora from the Node transcripts (every frame and polling body, per target),
//!   the socket.io-parser advisory inputs, and the dictionaries fuzz/dict/*.dict; the working
//!   corpora get everything, fuzz/seeds/ a small, diverse selection named by SHA-1.
//! - `diff [--corpus DIR]`: every input through our decoders (`sio_protocol::fuzzing::diff`) and
//!   through Node's (`node fixtures/node/fuzz-diff.mjs`, one long-lived process); lists every
//!   difference, known divergences with their reason; fails on an unknown one.
//! - `coverage [<target>]`: `cargo fuzz coverage` + llvm-cov when the nightly llvm-tools are
//!   installable, else libFuzzer's own `cov`/`ft` over the corpus.
//! - `build`: every target, as `run` and the ClusterFuzzLite build compile them.
//! - `oss-fuzz-check`: .clusterfuzzlite/build.sh run without Docker in the OSS-Fuzz builder's
//!   environment, its `$OUT` checked, every fuzzer run once over its seed corpus.
//!
//! The protocol logic (what an input means, our decoding, the comparison) lives in
//! `sio_protocol::fuzzing`; these modules run processes and files: [`campaign`] (run, all),
//! [`seed`], [`differential`] (diff), [`coverage`] and [`oss_fuzz`]; this one holds the command
//! line and what they share.

mod campaign;
mod coverage;
mod differential;
mod oss_fuzz;
mod seed;

use campaign::{fuzz_one, print_table};
use coverage::coverage;
use differential::run_diff;
use oss_fuzz::{BUILDER_RUSTFLAGS, oss_fuzz_check};
use seed::seed;

use crate::{node, workspace};
use anyhow::{Context, Result, bail};
use sio_protocol::fuzzing::diff;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Every fuzz target, in the order `all` runs them (`cargo fuzz list` must give the same set;
/// `oss-fuzz-check` checks it).
pub const TARGETS: [&str; 11] = [
    "engine_packet",
    "engine_payload_v4",
    "engine_payload_v3",
    "socketio_packet",
    "binary_reassembly",
    "roundtrip",
    "session",
    "engine_packet_fast",
    "socketio_packet_fast",
    "front",
    "redis_adapter",
];

/// The parser targets: their seeds come from the transcripts (`seed`) and their inputs mean the
/// same to Node's parsers (`diff`). The others read structured session inputs (`session`), raw
/// HTTP (`front`) or Redis adapter messages (`redis_adapter`), not compared with Node here, and
/// have committed seeds; the fast targets share their parser's seeds.
pub const PARSER_TARGETS: &[&str] = &[
    "engine_packet",
    "engine_payload_v4",
    "engine_payload_v3",
    "socketio_packet",
    "binary_reassembly",
    "roundtrip",
];

/// Arguments of `cargo xtask fuzz`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Fuzz one target for a while.
    Run {
        /// One of: engine_packet, engine_payload_v4, engine_payload_v3, socketio_packet,
        /// binary_reassembly, roundtrip, session, engine_packet_fast, socketio_packet_fast,
        /// front, redis_adapter.
        target: String,
        /// Seconds to run.
        #[arg(long, default_value_t = 60)]
        time: u64,
        /// Start from the committed seeds only (not the working corpus), writing nothing back.
        #[arg(long)]
        seeds_only: bool,
    },
    /// Fuzz every target in turn.
    All {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        time: u64,
        /// Start from the committed seeds only (not the working corpus), writing nothing back.
        #[arg(long)]
        seeds_only: bool,
    },
    /// Generate the seed corpora and dictionaries from the transcripts and advisory inputs.
    Seed,
    /// Compare our decoders with Node's on every input of the seeds (or of --corpus).
    Diff {
        /// A corpus directory: either with one sub-directory per target, or one target's
        /// directory (then give --target).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// The target whose interpretation applies to --corpus.
        #[arg(long)]
        target: Option<String>,
        /// Print at most this many undocumented differences in full.
        #[arg(long, default_value_t = 40)]
        show: usize,
    },
    /// Coverage summary per target (llvm-cov when available, else libFuzzer's cov/ft).
    Coverage {
        /// One target (default: all).
        target: Option<String>,
    },
    /// Build every target (as `run` and the ClusterFuzzLite build do).
    Build,
    /// Run .clusterfuzzlite/build.sh as the OSS-Fuzz builder would, check $OUT, run each fuzzer
    /// once over its seed corpus.
    OssFuzzCheck,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Sub::Run {
            target,
            time,
            seeds_only,
        } => {
            check_target(&target)?;
            let stats = fuzz_one(&target, time, seeds_only)?;
            print_table(std::slice::from_ref(&stats));
            Ok(exit(stats.crash.is_none()))
        }
        Sub::All { time, seeds_only } => {
            let mut all = Vec::new();
            for target in TARGETS {
                all.push(fuzz_one(target, time, seeds_only)?);
            }
            print_table(&all);
            Ok(exit(all.iter().all(|s| s.crash.is_none())))
        }
        Sub::Seed => seed(),
        Sub::Diff {
            corpus,
            target,
            show,
        } => run_diff(corpus, target, show),
        Sub::Coverage { target } => {
            let targets: Vec<&str> = match &target {
                Some(t) => {
                    check_target(t)?;
                    vec![t.as_str()]
                }
                None => TARGETS.to_vec(),
            };
            coverage(&targets)
        }
        Sub::Build => {
            build(None)?;
            Ok(ExitCode::SUCCESS)
        }
        Sub::OssFuzzCheck => oss_fuzz_check(),
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check_target(target: &str) -> Result<()> {
    if !TARGETS.contains(&target) {
        bail!(
            "unknown fuzz target {target:?}; targets: {}",
            TARGETS.join(", ")
        );
    }
    Ok(())
}

fn fuzz_dir() -> PathBuf {
    workspace::root().join("fuzz")
}

/// The dictionary a target uses, if any (.clusterfuzzlite/build.sh copies the same ones).
fn dict_for(target: &str) -> Option<PathBuf> {
    let name = match target.strip_suffix("_fast").unwrap_or(target) {
        "engine_packet" | "engine_payload_v4" | "engine_payload_v3" => "engine",
        "socketio_packet" | "binary_reassembly" => "socketio",
        "front" => "front",
        _ => return None,
    };
    Some(fuzz_dir().join("dict").join(format!("{name}.dict")))
}

/// The committed seeds of a target: a fast target (`<parser>_fast`) reads the same input as its
/// parser's full target and shares its seeds.
fn seeds_for(target: &str) -> PathBuf {
    let parser = target.strip_suffix("_fast").unwrap_or(target);
    fuzz_dir().join("seeds").join(parser)
}

/// Installs cargo-fuzz when `cargo fuzz` is not available.
fn ensure_cargo_fuzz() -> Result<()> {
    let present = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    let status = node::run_logged(
        Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]),
        &workspace::root(),
    )?;
    if !status.success() {
        bail!("`cargo install cargo-fuzz --locked` failed ({status})");
    }
    Ok(())
}

/// Builds the fuzz targets (all of them, or one) with nightly cargo-fuzz: release optimisations,
/// debug assertions and overflow checks on, and the OSS-Fuzz builder's `RUSTFLAGS`: exactly what
/// .clusterfuzzlite/build.sh asks for, so that `oss-fuzz-check` after a local build (CI's smoke
/// run) finds everything compiled.
fn build(target: Option<&str>) -> Result<()> {
    ensure_cargo_fuzz()?;
    let mut command = Command::new("cargo");
    command.args(["+nightly", "fuzz", "build", "-O", "-a"]);
    command.args(target);
    command.env("RUSTFLAGS", BUILDER_RUSTFLAGS);
    let status = node::run_logged(&mut command, &workspace::root())?;
    if !status.success() {
        bail!("`cargo +nightly fuzz build` failed ({status})");
    }
    Ok(())
}

/// The built fuzz binary of `target`.
fn binary(target: &str) -> Result<PathBuf> {
    let release = fuzz_dir().join("target");
    for entry in std::fs::read_dir(&release).context("fuzz/target (build first)")? {
        let candidate = entry?.path().join("release").join(target);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("no fuzz binary for {target} under {}", release.display())
}
