//! The Markdown report for a PR comment: the summary line, the judgement (`--judgement`: the
//! differences, and the expected non-pass cases with their reasons), a table of the cases that
//! did not pass with the first mismatch, and a collapsed list of every case and its verdict. It
//! stays under GitHub's comment limit: rows that would not fit are counted, not written.

use super::Report;
use crate::failure::clip;
use crate::verdict::CaseRecord;
use std::fmt::Write;

/// GitHub refuses comments over 65536 characters; this leaves room for a bot's own header.
pub const LIMIT: usize = 60_000;

fn cell(s: &str) -> String {
    cell_of(s, 120)
}

/// A table cell of at most `max` characters (a reason reads whole where a frame need not).
fn cell_of(s: &str, max: usize) -> String {
    clip(s, max).replace('|', "\\|").replace('\n', " ")
}

/// A verdict cell: `non-strict (expected)` for a case that got its recorded non-pass verdict.
fn verdict(report: &Report, r: &CaseRecord) -> String {
    match report.expected_reason(&r.id) {
        Some(_) => format!("{} (expected)", r.verdict.name()),
        None => r.verdict.name().to_string(),
    }
}

fn judgement(out: &mut String, report: &Report) {
    let Some(j) = &report.judgement else {
        return;
    };
    let _ = writeln!(
        out,
        "**Judgement** `{}`: {} pass and {} other verdict(s) as recorded, {} difference(s).\n",
        j.file,
        j.passed_as_recorded,
        j.expected.len(),
        j.differences.len()
    );
    for (i, d) in j.differences.iter().enumerate() {
        if out.len() > LIMIT / 4 {
            let _ = writeln!(out, "- {} more difference(s)", j.differences.len() - i);
            break;
        }
        let _ = writeln!(out, "- differs: {}", cell_of(&d.to_string(), 400));
    }
    if !j.differences.is_empty() {
        out.push('\n');
    }
    if !j.expected.is_empty() {
        out.push_str("| expected | case | reason |\n|---|---|---|\n");
        for e in &j.expected {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                e.verdict.name(),
                e.id,
                cell_of(&e.reason, 400)
            );
        }
        out.push('\n');
    }
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
        "Target `{}` · tier {} · capabilities ({}): {} · {:.1} s\n",
        report.target,
        report.tier,
        report.capabilities_from,
        report.capabilities.join(", "),
        report.duration_ms as f64 / 1000.0
    );
    if let Some(server) = &report.server {
        let _ = writeln!(
            out,
            "Server started by the runner: `{}` · its output: `{}`\n",
            cell(&server.command),
            server.log
        );
    }
    if !report.findings.is_empty() {
        out.push_str("| finding (rule) | level | reported by | expected | received | cases |\n|---|---|---|---|---|---|\n");
        for f in &report.findings {
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | `{}` | `{}` | {} |",
                f.rule,
                f.level.name(),
                f.case,
                cell(&f.expected.join(" / ")),
                cell(&f.received.join(" / ")),
                f.cases.len()
            );
        }
        out.push('\n');
    }
    judgement(&mut out, report);
    if let Some(headline) = &report.server_stopped {
        let _ = writeln!(
            out,
            "**Server stopped:** {headline}. {} case(s) not run or cut short.\n",
            report.cut_short().len()
        );
    }
    let problems: Vec<_> = report.problems().collect();
    if !problems.is_empty() {
        out.push_str(
            "| verdict | case | level | at | expected | received |\n|---|---|---|---|---|---|\n",
        );
        for (i, r) in problems.iter().enumerate() {
            if out.len() > LIMIT / 2 {
                let _ = writeln!(
                    out,
                    "\n{} more case(s) did not pass: see the JSON or JUnit report.",
                    problems.len() - i
                );
                break;
            }
            let f = r.failures.first();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | `{}` | `{}` |",
                verdict(report, r),
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
    for (i, r) in report.records.iter().enumerate() {
        if out.len() > LIMIT {
            let _ = writeln!(
                out,
                "\n{} more case(s): see the JSON report.",
                report.records.len() - i
            );
            break;
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            r.id,
            r.level.name(),
            verdict(report, r)
        );
    }
    out.push_str("\n</details>\n");
    out
}
