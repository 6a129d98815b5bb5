//! `cargo xtask proptest [--target reference|node | --url URL] [--cases N] [--kind K] [--seed S]
//! [--replay FILE]`: the property tests of conformance/PROPTEST.md against a contract server.
//!
//! With no `--url` it starts a contract server on an ephemeral port (the reference server by
//! default, `--target node` for the pinned Node harness; see [`crate::contract`]) and stops it
//! afterwards. The properties themselves run in the `sio-conformance` test binary `proptest`
//! (its `#[ignore]`d entry points `against_url` and `replay_file`), configured through the
//! environment, so this task holds no protocol logic:
//!
//! ```text
//! SIO_PROPTEST_URL=<url> PROPTEST_CASES=<n> SIO_PROPTEST_KIND=rooms|recovery|upgrade SIO_PROPTEST_SEED=<seed> [SIO_PROPTEST_PERSIST=1]
//!   cargo test -p sio-conformance --test proptest -- --ignored --exact against_url --nocapture
//! SIO_PROPTEST_URL=<url> SIO_PROPTEST_REPLAY=<case.json>
//!   cargo test -p sio-conformance --test proptest -- --ignored --exact replay_file --nocapture
//! ```

use crate::contract::{self, Target};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::ExitCode;

/// Which property set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Rooms, targets, acks, disconnects on sio-main (a namespace per case).
    Rooms,
    /// Drops (at every drop point, polling ones included) and reconnects with connection state
    /// recovery on sio-recovery.
    Recovery,
    /// Polling clients upgrading to WebSocket in steps while events flow both ways, on sio-main.
    Upgrade,
    /// All three.
    All,
}

/// Arguments of `cargo xtask proptest`.
#[derive(clap::Args)]
pub struct Args {
    /// Start this contract server on an ephemeral port and test it (default: reference).
    #[arg(long, value_enum, conflicts_with = "url")]
    target: Option<Target>,
    /// Test the server at this URL (`http://host:port[/prefix]`) instead. It must implement
    /// fixtures/CONTRACT.md and must not be used by anything else during the run (the recovery
    /// properties broadcast to `all` on sio-recovery's `/`).
    #[arg(long)]
    url: Option<String>,
    /// New cases per property set (persisted regressions run first).
    #[arg(long, default_value_t = 64)]
    cases: u32,
    /// Which property set.
    #[arg(long, value_enum, default_value = "all")]
    kind: Kind,
    /// RNG seed (`0x…` or decimal); default: random (printed), or the fixed CI seed when CI is set.
    #[arg(long)]
    seed: Option<String>,
    /// Replay one saved case (the JSON file a failure report names) instead of generating.
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// Write a new failure into conformance/proptest-regressions/ (tracked files); without it
    /// the persisted regressions are run but nothing is written.
    #[arg(long)]
    persist: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    // Build first, so a slow build never races the server's heartbeat.
    let mut build = contract::cargo(&[
        "test",
        "--quiet",
        "-p",
        "sio-conformance",
        "--test",
        "proptest",
        "--no-run",
    ]);
    eprintln!("xtask: running {build:?}");
    if !build
        .status()
        .context("running cargo test --no-run")?
        .success()
    {
        anyhow::bail!("building the proptest binary failed");
    }
    let (server, url, flag) = match args.url {
        Some(url) => {
            // Somebody else's server: the properties drive the full contract, so say what is
            // missing (exit 2) instead of failing every property at its first step.
            let mut detect = contract::runner(
                false,
                &["--url", &url, "--detect", "--require-tier", "full"],
            );
            eprintln!("xtask: running {detect:?}");
            let status = detect
                .status()
                .context("running sio-conformance --detect")?;
            if !status.success() {
                return Ok(ExitCode::from(2));
            }
            (None, url.clone(), format!("--url {url}"))
        }
        None => {
            let target = args.target.unwrap_or(Target::Reference);
            let server = contract::start(target, false)?;
            let url = server.url.clone();
            (Some(server), url, format!("--target {}", target.name()))
        }
    };
    let entry = if args.replay.is_some() {
        "replay_file"
    } else {
        "against_url"
    };
    let mut test = contract::cargo(&[
        "test",
        "--quiet",
        "-p",
        "sio-conformance",
        "--test",
        "proptest",
        "--",
        "--ignored",
        "--exact",
        entry,
        "--nocapture",
    ]);
    test.env("SIO_PROPTEST_URL", &url)
        .env("SIO_PROPTEST_TARGET_FLAG", &flag)
        .env("PROPTEST_CASES", args.cases.to_string());
    match args.kind {
        Kind::Rooms => {
            test.env("SIO_PROPTEST_KIND", "rooms");
        }
        Kind::Recovery => {
            test.env("SIO_PROPTEST_KIND", "recovery");
        }
        Kind::Upgrade => {
            test.env("SIO_PROPTEST_KIND", "upgrade");
        }
        Kind::All => {}
    }
    if let Some(seed) = &args.seed {
        test.env("SIO_PROPTEST_SEED", seed);
    }
    if args.persist {
        test.env("SIO_PROPTEST_PERSIST", "1");
    }
    if let Some(file) = &args.replay {
        let file = std::fs::canonicalize(file)
            .with_context(|| format!("replay file {}", file.display()))?;
        test.env("SIO_PROPTEST_REPLAY", file);
    }
    eprintln!("xtask: running {test:?} (SIO_PROPTEST_URL={url})");
    let status = test.status().context("running the proptest binary")?;
    drop(server);
    // 2: the server does not offer what the properties need (said by the test binary).
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(2) => ExitCode::from(2),
        _ => ExitCode::from(1),
    })
}
