//! `cargo xtask capture [--check] [--only ID]`: record the Node oracle's transcripts.
//!
//! Capturing runs `node fixtures/node/capture.mjs`, which starts a fresh Node harness per
//! scenario, drives it, normalises volatile values and writes one JSONL file per scenario.
//! Without `--check` it writes into fixtures/transcripts (removing transcripts of scenarios that
//! no longer exist). With `--check` it captures into a temporary directory and fails when any
//! committed transcript differs from the fresh one, is missing, or has no scenario any more.

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
    /// Only the scenarios whose id matches (an id or a glob such as `eio.polling.*`).
    #[arg(long)]
    only: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    node::ensure_installed()?;
    let committed = workspace::transcripts_dir();
    let scratch = tempfile::Builder::new().prefix("sio-capture-").tempdir()?;
    capture_into(scratch.path(), args.only.as_deref())?;

    if args.check {
        let differences = compare(&committed, scratch.path(), args.only.is_some())?;
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
        return Ok(ExitCode::FAILURE);
    }

    std::fs::create_dir_all(&committed)?;
    let fresh = jsonl_names(scratch.path())?;
    if args.only.is_none() {
        for stale in jsonl_names(&committed)?.difference(&fresh) {
            eprintln!("xtask: removing {stale} (no such scenario any more)");
            std::fs::remove_file(committed.join(stale))?;
        }
    }
    for name in &fresh {
        std::fs::copy(scratch.path().join(name), committed.join(name))
            .with_context(|| format!("copying {name}"))?;
    }
    eprintln!(
        "xtask: wrote {} transcript(s) to {}",
        fresh.len(),
        committed.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn capture_into(out: &Path, only: Option<&str>) -> Result<()> {
    let mut script_args = vec!["--out".to_string(), out.display().to_string()];
    if let Some(only) = only {
        script_args.extend(["--only".to_string(), only.to_string()]);
    }
    let mut command = node::script("capture.mjs", &script_args);
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
    use super::first_difference;

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
