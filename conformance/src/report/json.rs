//! The JSON report: an index (target, capabilities, summary, one row per case) and the per-case
//! records with their failures and wire transcripts.

use super::Report;
use serde_json::{Value, json};

/// Renders the JSON report.
pub fn render(report: &Report) -> String {
    let index: Vec<Value> = report
        .records
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "level": r.level,
                "verdict": r.verdict,
                "duration_ms": r.duration_ms,
                "attempts": r.attempts,
            })
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
        "index": index,
        "cases": report.records,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("report serialises");
    s.push('\n');
    s
}
