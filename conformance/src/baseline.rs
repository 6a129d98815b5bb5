//! Golden results (`--baseline FILE`, `--bless`): the committed verdict of every case against a
//! target, volatile fields (durations, ports, sids, transcripts) stripped, so a change in any
//! verdict is a reviewed diff. `conformance/results/<target>.json` is the file the runner reads;
//! `conformance/results/<target>.snap` is the same list in insta's snapshot format, reviewed with
//! `cargo insta review` (tests/golden.rs). `--bless` writes both.

use crate::verdict::{CaseRecord, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One line of a baseline: a case id and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Case id.
    pub id: String,
    /// Verdict name (`pass`, `fail`, `non-strict`, `unsupported`, `error`, `flaky`).
    pub verdict: String,
}

/// The stripped results of a run, in registration order.
pub fn strip(records: &[CaseRecord]) -> Vec<Entry> {
    records
        .iter()
        .map(|r| Entry {
            id: r.id.clone(),
            verdict: r.verdict.name().to_string(),
        })
        .collect()
}

/// The JSON text of a baseline (pretty, two-space indent, trailing newline).
pub fn render(entries: &[Entry]) -> String {
    let mut s = serde_json::to_string_pretty(entries).expect("entries serialise");
    s.push('\n');
    s
}

/// Parses a baseline file: the JSON list, or the same list in an insta `.snap` (after its header).
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let body = match text.strip_prefix("---\n") {
        Some(rest) => rest.split_once("\n---\n").map_or(rest, |(_, b)| b),
        None => text,
    };
    let entries: Vec<Entry> = serde_json::from_str(body).map_err(|e| e.to_string())?;
    for e in &entries {
        if !Verdict::ALL.iter().any(|v| v.name() == e.verdict) {
            return Err(format!("{}: unknown verdict {:?}", e.id, e.verdict));
        }
    }
    Ok(entries)
}

/// The insta snapshot file next to a baseline (`results/node.json` → `results/node.snap`).
pub fn snap_path(json: &Path) -> PathBuf {
    json.with_extension("snap")
}

/// The text of the insta snapshot holding `entries` (what `assert_json_snapshot!` writes).
pub fn render_snap(entries: &[Entry]) -> String {
    format!(
        "---\nsource: conformance/tests/golden.rs\nexpression: results\n---\n{}",
        render(entries)
    )
}

/// The differences between a baseline and the results of a run, one line each. Only the cases
/// that ran are compared (a `--filter` run checks its selection); `known` is every registered id,
/// so a baseline entry naming no case is reported as stale.
pub fn diff(baseline: &[Entry], results: &[Entry], known: &[&str]) -> Vec<String> {
    let base: BTreeMap<&str, &str> = baseline
        .iter()
        .map(|e| (e.id.as_str(), e.verdict.as_str()))
        .collect();
    let mut out = Vec::new();
    for r in results {
        match base.get(r.id.as_str()) {
            Some(v) if *v == r.verdict => {}
            Some(v) => out.push(format!("{}: {v} → {}", r.id, r.verdict)),
            None => out.push(format!("{}: new case, {}", r.id, r.verdict)),
        }
    }
    for e in baseline {
        if !known.contains(&e.id.as_str()) {
            out.push(format!(
                "{}: in the baseline but no such case (stale)",
                e.id
            ));
        }
    }
    out
}

/// The baseline after blessing a run: the results for the cases that ran, the old entries for
/// the other known cases, in registration order; stale entries dropped.
pub fn bless(baseline: &[Entry], results: &[Entry], known: &[&str]) -> Vec<Entry> {
    let mut by_id: BTreeMap<&str, &Entry> = baseline.iter().map(|e| (e.id.as_str(), e)).collect();
    for r in results {
        by_id.insert(r.id.as_str(), r);
    }
    known
        .iter()
        .filter_map(|id| by_id.get(id).map(|e| (*e).clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(id: &str, v: &str) -> Entry {
        Entry {
            id: id.into(),
            verdict: v.into(),
        }
    }

    #[test]
    fn diffs_and_blessing() {
        let base = vec![
            e("a.b.c", "pass"),
            e("a.b.d", "fail"),
            e("gone.x.y", "pass"),
        ];
        let run = vec![e("a.b.c", "fail"), e("a.b.e", "pass")];
        let known = ["a.b.c", "a.b.d", "a.b.e"];
        assert_eq!(
            diff(&base, &run, &known),
            vec![
                "a.b.c: pass → fail",
                "a.b.e: new case, pass",
                "gone.x.y: in the baseline but no such case (stale)"
            ]
        );
        let blessed = bless(&base, &run, &known);
        assert_eq!(
            blessed,
            vec![e("a.b.c", "fail"), e("a.b.d", "fail"), e("a.b.e", "pass")]
        );
        assert!(diff(&blessed, &run, &known).is_empty());
    }

    #[test]
    fn reads_json_and_snap() {
        let entries = vec![e("a.b.c", "pass"), e("a.b.d", "non-strict")];
        assert_eq!(parse(&render(&entries)).unwrap(), entries);
        assert_eq!(parse(&render_snap(&entries)).unwrap(), entries);
        assert!(parse(r#"[{"id":"x","verdict":"great"}]"#).is_err());
    }
}
