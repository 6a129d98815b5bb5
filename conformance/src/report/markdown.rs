//! The Markdown report for a PR comment: the summary line, a table of the cases that did not
//! pass with the first mismatch, and a collapsed list of every case and its verdict.

use super::Report;
use crate::failure::clip;
use std::fmt::Write;

fn cell(s: &str) -> String {
    clip(s, 120).replace('|', "\\|").replace('\n', " ")
}

/// Renders the Markdown report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Socket.IO conformance: {}\n",
        report.summary.line()
    );
    let _ = writeln!(
        out,
        "Target `{}` · capabilities ({}): {} · {:.1} s\n",
        report.target,
        report.capabilities_from,
        report.capabilities.join(", "),
        report.duration_ms as f64 / 1000.0
    );
    let problems: Vec<_> = report.problems().collect();
    if !problems.is_empty() {
        out.push_str(
            "| verdict | case | level | at | expected | received |\n|---|---|---|---|---|---|\n",
        );
        for r in problems {
            let f = r.failures.first();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | `{}` | `{}` |",
                r.verdict.name(),
                r.id,
                r.level.name(),
                cell(f.map_or("", |f| f.step.as_str())),
                cell(&f.map_or(String::new(), |f| f.expected.join(" / "))),
                cell(&f.map_or(String::new(), |f| f.received.join(" / "))),
            );
        }
        out.push('\n');
    }
    out.push_str(
        "<details><summary>All cases</summary>\n\n| case | level | verdict |\n|---|---|---|\n",
    );
    for r in &report.records {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            r.id,
            r.level.name(),
            r.verdict.name()
        );
    }
    out.push_str("\n</details>\n");
    out
}
