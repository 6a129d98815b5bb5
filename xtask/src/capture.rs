//! `cargo xtask capture [--check] [--only ID]`: record the Node oracle's transcripts.
//!
//! Two captures, each into its own folder: `node fixtures/node/capture.mjs` starts a fresh Node
//! harness per scenario and writes fixtures/transcripts/*.jsonl; `node
//! fixtures/node/cluster/capture.mjs` starts a fresh redis-server and three harness nodes on the
//! Redis adapter per scenario and writes fixtures/transcripts/redis-adapter/*.jsonl (the Redis
//! traffic, fixtures/REDIS-ADAPTER.md). Both normalise volatile values. Without `--check` the
//! transcripts are written (removing those of scenarios that no longer exist). With `--check`
//! they are captured into a temporary directory and any committed transcript that differs from
//! the fresh one, is missing, or has no scenario any more fails the check.

use crate::{node, workspace};
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `cargo xtask capture`.
#[derive(clap::Args)]
pub struct Args {
    /// Compare a fresh capture with the committed transcripts instead of overwriting them.
    #[arg(long)]
    check: bool,
    /// Only the scenarios whose id matches (an id or a glob such as `eio.polling.*`; ids of the
    /// cluster oracle start with `redis.`).
    #[arg(long)]
    only: Option<String>,
}

/// One capture script and the folder (under fixtures/transcripts) its transcripts live in.
struct Oracle {
    script: &'static str,
    folder: &'static str,
    /// Whether a `--only` glob is meant for this oracle (the cluster's ids all start with `redis`).
    owns: fn(&str) -> bool,
}

const ORACLES: [Oracle; 2] = [
    Oracle {
        script: "capture.mjs",
        folder: "",
        owns: |glob| !glob.starts_with("redis"),
    },
    Oracle {
        script: "cluster/capture.mjs",
        folder: "redis-adapter",
        owns: |glob| glob.starts_with("redis") || glob == "*",
    },
];

/// The part of a `--only` filter meant for `oracle`: `None` = everything, `Some("")` = nothing.
fn filter_for(oracle: &Oracle, only: Option<&str>) -> Option<String> {
    only.map(|only| {
        only.split(',')
            .map(str::trim)
            .filter(|glob| (oracle.owns)(glob))
            .collect::<Vec<_>>()
            .join(",")
    })
}

pub fn run(args: Args) -> Result<ExitCode> {
    node::ensure_installed()?;
    let scratch = tempfile::Builder::new().prefix("sio-capture-").tempdir()?;
    let mut differences = Vec::new();
    let mut written = 0;
    for oracle in &ORACLES {
        let filter = filter_for(oracle, args.only.as_deref());
        if filter.as_deref() == Some("") {
            continue;
        }
        let committed = workspace::transcripts_dir().join(oracle.folder);
        let fresh = scratch.path().join(oracle.script.replace(['/', '.'], "-"));
        capture_into(oracle.script, &fresh, filter.as_deref())?;
        if args.check {
            differences.extend(
                compare(&committed, &fresh, filter.is_some())?
                    .into_iter()
                    .map(|d| format!("{}{d}", display_folder(oracle.folder))),
            );
        } else {
            written += install(&committed, &fresh, filter.is_some())?;
        }
    }

    if !args.check {
        eprintln!(
            "xtask: wrote {written} transcript(s) to {}",
            workspace::transcripts_dir().display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if differences.is_empty() {
        eprintln!("xtask: capture --check: every committed transcript matches a fresh capture");
        return Ok(ExitCode::SUCCESS);
    }
    for difference in &differences {
        eprintln!("{difference}");
    }
    eprintln!(
        "xtask: capture --check: {} transcript(s) differ; run `cargo xtask capture` and review the diff",
        differences.len()
    );
    Ok(ExitCode::FAILURE)
}

fn display_folder(folder: &str) -> String {
    if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    }
}

/// Copies the fresh transcripts over the committed ones; without a filter, removes stale ones.
fn install(committed: &Path, fresh: &Path, partial: bool) -> Result<usize> {
    std::fs::create_dir_all(committed)?;
    let names = jsonl_names(fresh)?;
    if !partial {
        for stale in jsonl_names(committed)?.difference(&names) {
            eprintln!("xtask: removing {stale} (no such scenario any more)");
            std::fs::remove_file(committed.join(stale))?;
        }
    }
    for name in &names {
        std::fs::copy(fresh.join(name), committed.join(name))
            .with_context(|| format!("copying {name}"))?;
    }
    Ok(names.len())
}

fn capture_into(script: &str, out: &Path, only: Option<&str>) -> Result<()> {
    let mut script_args = vec!["--out".to_string(), out.display().to_string()];
    if let Some(only) = only {
        script_args.extend(["--only".to_string(), only.to_string()]);
    }
    let mut command = node::script(script, &script_args);
    let status = node::run_logged(&mut command, &workspace::node_dir())?;
    if !status.success() {
        bail!("the capture failed ({status}); its output above says which scenario");
    }
    Ok(())
}

/// Lists what differs between the committed and the fresh transcripts. With `partial`, only the
/// freshly captured scenarios are compared (a filtered run says nothing about the others).
fn compare(committed: &Path, fresh: &Path, partial: bool) -> Result<Vec<String>> {
    let old = jsonl_names(committed)?;
    let new = jsonl_names(fresh)?;
    let mut differences = Vec::new();
    for name in new.difference(&old) {
        differences.push(format!("{name}: captured but not committed"));
    }
    if !partial {
        for name in old.difference(&new) {
            differences.push(format!(
                "{name}: committed but no scenario produces it any more"
            ));
        }
    }
    for name in old.intersection(&new) {
        let before = std::fs::read_to_string(committed.join(name))?;
        let after = std::fs::read_to_string(fresh.join(name))?;
        if let Some(report) = first_difference(&before, &after) {
            differences.push(format!("{name}: {report}"));
        }
    }
    Ok(differences)
}

/// Describes the first line where two transcripts part, or `None` when they are identical.
fn first_difference(committed: &str, fresh: &str) -> Option<String> {
    if committed == fresh {
        return None;
    }
    let mut old = committed.lines();
    let mut new = fresh.lines();
    let mut line = 1;
    loop {
        match (old.next(), new.next()) {
            (Some(a), Some(b)) if a == b => line += 1,
            (a, b) => {
                return Some(format!(
                    "differs at line {line}\n  committed: {}\n  fresh:     {}",
                    a.unwrap_or("<end of file>"),
                    b.unwrap_or("<end of file>")
                ));
            }
        }
    }
}

fn jsonl_names(dir: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    if !dir.exists() {
        return Ok(names);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".jsonl") {
            names.insert(name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::{ORACLES, filter_for, first_difference};

    #[test]
    fn only_globs_go_to_the_oracle_that_owns_them() {
        let [single, cluster] = &ORACLES;
        assert_eq!(filter_for(single, None), None);
        assert_eq!(filter_for(cluster, None), None);
        let only = Some("sio.ack.*, redis.broadcast.*");
        assert_eq!(filter_for(single, only).as_deref(), Some("sio.ack.*"));
        assert_eq!(
            filter_for(cluster, only).as_deref(),
            Some("redis.broadcast.*")
        );
        assert_eq!(filter_for(cluster, Some("eio.*")).as_deref(), Some(""));
    }

    #[test]
    fn identical_transcripts_have_no_difference() {
        assert_eq!(first_difference("a\nb\n", "a\nb\n"), None);
    }

    #[test]
    fn reports_the_first_differing_line_with_both_sides() {
        let report = first_difference("a\nb\nc\n", "a\nB\nc\n").unwrap();
        assert!(report.starts_with("differs at line 2"), "{report}");
        assert!(
            report.contains("committed: b") && report.contains("fresh:     B"),
            "{report}"
        );
    }

    #[test]
    fn a_shorter_capture_is_a_difference() {
        let report = first_difference("a\nb\n", "a\n").unwrap();
        assert!(report.contains("<end of file>"), "{report}");
    }
}
