//! `cargo xtask mutants [--changed] [--base REF] [--jobs N] [-- <cargo-mutants args>]`: mutation
//! testing of the codec (`sio-protocol`) and the Engine.IO session (`eio-session`), each against
//! its own tests (MUTANTS.md).
//!
//! A mutant is our code with one deliberate slip (`>` for `>=`, a function body replaced by a
//! constant); a mutant our tests still pass is an edge no test pins. The task installs the pinned
//! cargo-mutants when it is missing, runs it once per crate, one job at a time by default (the
//! machine is shared; each mutant is a build), and prints caught / missed / timeout / unviable
//! per crate with the missed mutants listed:
//!
//! ```text
//! cargo mutants -p <crate> --jobs <n> --gitignore true [--features faults] --output target/mutants/<crate> [--in-diff target/mutants/changed.diff] <args>
//! ```
//!
//! `--changed` limits the run to the lines the branch touched: `git diff <base>...` (default
//! base `main`) is written to `target/mutants/changed.diff` and given to `--in-diff`.

use crate::workspace;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The cargo-mutants release the figures in MUTANTS.md were measured with: another release
/// generates other mutants, so the counts would not compare.
const CARGO_MUTANTS_VERSION: &str = "27.1.0";

/// The crates under test, each with its own tests only, and the features those tests need:
/// the session's fault tests (the fuzz harness fed a faulty session) only build with `faults`,
/// which the workspace's tests turn on anyway.
const CRATES: [(&str, &[&str]); 2] = [("sio-protocol", &[]), ("eio-session", &["faults"])];

/// Arguments of `cargo xtask mutants`.
#[derive(clap::Args)]
pub struct Args {
    /// Only the mutants on lines this branch changed (`git diff <base>...`).
    #[arg(long)]
    changed: bool,
    /// The branch `--changed` compares with.
    #[arg(long, default_value = "main", requires = "changed")]
    base: String,
    /// Mutants built and tested at once (each is a full build of the crate's tests).
    #[arg(long, default_value_t = 1)]
    jobs: u32,
    /// Passed to cargo-mutants as they are (e.g. `-- --file protocol/src/js.rs`).
    #[arg(last = true)]
    extra: Vec<String>,
}

/// What cargo-mutants concluded for one crate, read from its output directory.
#[derive(Debug, Default, PartialEq, Eq)]
struct Summary {
    caught: usize,
    missed: Vec<String>,
    timeout: usize,
    unviable: usize,
}

impl Summary {
    /// Reads `<dir>/mutants.out/{caught,missed,timeout,unviable}.txt`: one mutant a line. A file
    /// cargo-mutants did not write (no mutant of that outcome) counts as empty.
    fn read(dir: &Path) -> Result<Summary> {
        let lines = |name: &str| -> Result<Vec<String>> {
            let path = dir.join("mutants.out").join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Ok(text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
            }
        };
        Ok(Summary {
            caught: lines("caught.txt")?.len(),
            missed: lines("missed.txt")?,
            timeout: lines("timeout.txt")?.len(),
            unviable: lines("unviable.txt")?.len(),
        })
    }

    /// Caught among the viable mutants (timeouts count as caught: the slip made the tests hang,
    /// which a test run notices), in percent; `None` when nothing viable was tested.
    fn score(&self) -> Option<f64> {
        let killed = self.caught + self.timeout;
        let viable = killed + self.missed.len();
        (viable > 0).then(|| 100.0 * killed as f64 / viable as f64)
    }

    fn print(&self, krate: &str) {
        let score = self.score().map_or_else(
            || "no viable mutant".to_owned(),
            |s| format!("{s:.1}% caught"),
        );
        println!(
            "{krate}: {} caught, {} missed, {} timeout, {} unviable ({score})",
            self.caught,
            self.missed.len(),
            self.timeout,
            self.unviable
        );
        for mutant in &self.missed {
            println!("  missed: {mutant}");
        }
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    ensure_installed()?;
    let out_root = workspace::root().join("target").join("mutants");
    std::fs::create_dir_all(&out_root)
        .with_context(|| format!("creating {}", out_root.display()))?;
    let diff = if args.changed {
        let diff = changed_lines(&args.base, &out_root)?;
        if diff.is_none() {
            println!(
                "xtask: nothing changed against {}; no mutant to test",
                args.base
            );
            return Ok(ExitCode::SUCCESS);
        }
        diff
    } else {
        None
    };

    let mut all_caught = true;
    let mut summaries = Vec::new();
    for (krate, features) in CRATES {
        let out_dir = out_root.join(krate);
        // A previous run's lists would be read as this run's if cargo-mutants finds no mutant.
        let _ = std::fs::remove_dir_all(out_dir.join("mutants.out"));
        let mut command = cargo(&["mutants", "-p", krate, "--jobs", &args.jobs.to_string()]);
        // Only what git would keep is copied to the scratch tree: fuzz corpora and logs are
        // large, and a running fuzzer deletes corpus files while cargo-mutants copies them
        // (which fails the whole run).
        command.args(["--gitignore", "true"]);
        // ...which leaves out fixtures/node/node_modules: the protocol's differential test
        // against notepack.io finds the checkout's packages through this instead.
        command.env("SIO_NODE_DIR", workspace::node_dir());
        for feature in features {
            command.args(["--features", feature]);
        }
        command.arg("--output").arg(&out_dir);
        if let Some(diff) = &diff {
            command.arg("--in-diff").arg(diff);
        }
        command.args(&args.extra);
        eprintln!("xtask: running {command:?}");
        let status = command.status().context("running cargo mutants")?;
        // cargo-mutants (mutants.rs/exit-codes.html): 0 all caught, 2 some missed, 3 some timed
        // out (which wins over 2, so the verdict is read from missed.txt); anything else is a
        // failure of the run itself (a usage error, the unmutated tests failing, a bad diff).
        anyhow::ensure!(
            matches!(status.code(), Some(0 | 2 | 3)),
            "cargo mutants on {krate} failed ({status})"
        );
        let summary = Summary::read(&out_dir)?;
        all_caught &= summary.missed.is_empty();
        summaries.push((krate, summary));
    }
    println!();
    for (krate, summary) in &summaries {
        summary.print(krate);
    }
    Ok(if all_caught {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `cargo <args>` in the repository root.
fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(args).current_dir(workspace::root());
    command
}

/// Installs the pinned cargo-mutants unless `cargo mutants --version` already names it.
fn ensure_installed() -> Result<()> {
    let installed = cargo(&["mutants", "--version"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let wanted = format!("cargo-mutants {CARGO_MUTANTS_VERSION}");
    if installed.as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    let mut install = cargo(&[
        "install",
        "cargo-mutants",
        "--version",
        CARGO_MUTANTS_VERSION,
        "--locked",
    ]);
    eprintln!(
        "xtask: found {}, installing {wanted}: {install:?}",
        installed.as_deref().unwrap_or("no cargo-mutants")
    );
    anyhow::ensure!(
        install.status().context("running cargo install")?.success(),
        "installing cargo-mutants {CARGO_MUTANTS_VERSION} failed"
    );
    Ok(())
}

/// Writes `git diff <base>...` (what this branch changed since it left `base`) to
/// `<out_root>/changed.diff`; `None` when the branch changed nothing.
fn changed_lines(base: &str, out_root: &Path) -> Result<Option<PathBuf>> {
    let range = format!("{base}...");
    let output = Command::new("git")
        .args(["diff", &range])
        .current_dir(workspace::root())
        .output()
        .context("running git diff")?;
    anyhow::ensure!(
        output.status.success(),
        "git diff {range} failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    if output.stdout.is_empty() {
        return Ok(None);
    }
    let path = out_root.join("changed.diff");
    std::fs::write(&path, &output.stdout).with_context(|| format!("writing {}", path.display()))?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_cargo_mutants_lists() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("mutants.out");
        std::fs::create_dir_all(&out).unwrap();
        let missed = "protocol/src/js.rs:1:1: replace f -> bool with true";
        std::fs::write(out.join("caught.txt"), "a\nb\nc\n").unwrap();
        std::fs::write(out.join("missed.txt"), format!("{missed}\n")).unwrap();
        std::fs::write(out.join("unviable.txt"), "d\ne\n").unwrap();
        // No timeout.txt: no mutant timed out.
        let summary = Summary::read(dir.path()).unwrap();
        assert_eq!(
            summary,
            Summary {
                caught: 3,
                missed: vec![missed.to_owned()],
                timeout: 0,
                unviable: 2,
            }
        );
        assert_eq!(summary.score(), Some(75.0));
    }

    #[test]
    fn score_counts_timeouts_as_caught_and_ignores_unviable() {
        let summary = Summary {
            caught: 1,
            missed: vec![],
            timeout: 1,
            unviable: 5,
        };
        assert_eq!(summary.score(), Some(100.0));
        assert_eq!(Summary::default().score(), None);
    }
}
