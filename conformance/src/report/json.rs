//! The JSON report: an index (target, capabilities, summary, one row per case) and the per-case
//! records with their failures and wire transcripts. With `--judgement`, an index row carries
//! `expected` (the recorded reason) for a case that got its recorded non-pass verdict and
//! `differs` for a case whose verdict is not the recorded one, and `judgement` holds the whole
//! judgement (expected cases, differences, placeholder reasons).

use super::Report;
use serde_json::{Value, json};

/// Renders the JSON report.
pub fn render(report: &Report) -> String {
    let index: Vec<Value> = report
        .records
        .iter()
        .map(|r| {
            let mut row = json!({
                "id": r.id,
                "level": r.level,
                "verdict": r.verdict,
                "duration_ms": r.duration_ms,
                "attempts": r.attempts,
            });
            if let Some(reason) = report.expected_reason(&r.id) {
                row["expected"] = json!(reason);
            }
            if let Some(d) = report.difference(&r.id) {
                row["differs"] = json!(d.to_string());
            }
            row
        })
        .collect();
    let doc = json!({
        "tool": "sio-conformance",
        "version": env!("CARGO_PKG_VERSION"),
        "target": report.target,
        "capabilities": report.capabilities,
        "capabilities_from": report.capabilities_from,
        "tier": report.tier,
        "server_stopped": report.server_stopped,
        "findings": report.findings,
        "detection": report.detection,
        "timings": report.timings,
        "duration_ms": report.duration_ms,
        "summary": report.summary,
        "judgement": report.judgement,
        // The command that reruns a selection (`--filter '<id>'` appended): the HTML site
        // rendered from this file shows it on every case page.
        "rerun": report.rerun,
        "index": index,
        "cases": report.records,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("report serialises");
    s.push('\n');
    s
}
