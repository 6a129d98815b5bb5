//! The terminal report: every case that did not pass with its expected and received frames side
//! by side, its transcript and a command that reruns it; then the unsupported cases, the
//! judgement (`--judgement`: what was expected and why, what differs) and a summary.

use super::{Report, views};
use crate::failure::{Failure, clip};
use crate::judgement::Judged;
use crate::verdict::{CaseRecord, Verdict};
use std::fmt::Write;

const COLUMN: usize = 60;

fn side_by_side(out: &mut String, f: &Failure) {
    let wide = f
        .expected
        .iter()
        .chain(&f.received)
        .any(|l| l.chars().count() > COLUMN);
    if wide {
        for (i, l) in f.expected.iter().enumerate() {
            let head = if i == 0 { "expected:" } else { "" };
            let _ = writeln!(out, "      {head:<9} {l}");
        }
        for (i, l) in f.received.iter().enumerate() {
            let head = if i == 0 { "received:" } else { "" };
            let _ = writeln!(out, "      {head:<9} {l}");
        }
        return;
    }
    let _ = writeln!(out, "      {:<COLUMN$} | received", "expected");
    let rows = f.expected.len().max(f.received.len());
    for i in 0..rows {
        let e = f.expected.get(i).map_or("", String::as_str);
        let r = f.received.get(i).map_or("", String::as_str);
        let _ = writeln!(out, "      {e:<COLUMN$} | {r}");
    }
}

fn case_block(out: &mut String, report: &Report, r: &CaseRecord) {
    let expected = report.expected_reason(&r.id);
    let _ = writeln!(
        out,
        "\n{:<11} {}  [{}] {}{}",
        r.verdict.name().to_uppercase(),
        r.id,
        r.level.name(),
        r.title,
        if expected.is_some() {
            "  (expected)"
        } else {
            ""
        }
    );
    let mut spec = format!("{}, {}", r.spec.document, r.spec.section);
    if let Some(o) = &r.official {
        let _ = write!(spec, " · official: {}", o.full());
    }
    let _ = writeln!(out, "  spec: {spec}");
    if r.attempts > 1 {
        let _ = writeln!(out, "  attempts: {}", r.attempts);
    }
    if let Some(reason) = expected {
        let _ = writeln!(out, "  expected (judgement file): {reason}");
    }
    if let Some(d) = report.difference(&r.id) {
        let _ = writeln!(out, "  differs from the judgement file: {d}");
    }
    if let Some(n) = &r.node_differs {
        let _ = writeln!(out, "  known Node difference: {n}");
    }
    for (i, f) in r.failures.iter().enumerate() {
        let label = if i == 0 && r.verdict != Verdict::NonStrict {
            "failed"
        } else {
            "deviation"
        };
        let _ = writeln!(out, "  {label} at: {}", f.step);
        side_by_side(out, f);
        if let Some(n) = &f.note {
            let _ = writeln!(out, "      note: {n}");
        }
    }
    if let Some(c) = &r.closed {
        let _ = writeln!(out, "  session closed: {c}");
    }
    if !r.transcript.is_empty() {
        let _ = writeln!(out, "  transcript:");
        for e in &r.transcript {
            let _ = writeln!(out, "    {}", e.line());
            if let Some(v) = views::view(e) {
                let _ = writeln!(out, "    {:>21} ≈ {}", "", clip(&v, 200));
            }
        }
    }
    let _ = writeln!(out, "  rerun: {}", report.rerun_command(&r.id));
}

/// Renders the whole terminal report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for r in report.problems() {
        case_block(&mut out, report, r);
    }
    let tolerated: Vec<&CaseRecord> = report
        .records
        .iter()
        .filter(|r| !r.tolerances.is_empty())
        .collect();
    if !tolerated.is_empty() {
        let _ = writeln!(out, "\ntolerances used ({} case(s)):", tolerated.len());
        for r in tolerated {
            for t in &r.tolerances {
                let _ = writeln!(out, "  {}  {}", r.id, clip(t, 200));
            }
        }
    }
    let unsupported: Vec<&CaseRecord> = report
        .records
        .iter()
        .filter(|r| r.verdict == Verdict::Unsupported)
        .collect();
    if !unsupported.is_empty() {
        let _ = writeln!(out, "\nunsupported ({}):", unsupported.len());
        for r in unsupported {
            let why = r.skipped_because.as_deref().unwrap_or("");
            // The recorded reason is in the judgement section below; here only the mark.
            let mark = match report.expected_reason(&r.id) {
                Some(_) => "  (expected)",
                None => "",
            };
            let _ = writeln!(out, "  {}  ({}){mark}", r.id, clip(why, 200));
        }
    }
    if !report.detection.is_empty() {
        let _ = writeln!(out, "\nnot offered by the target:");
        for line in &report.detection {
            let _ = writeln!(out, "  {}", clip(line, 200));
        }
    }
    if !report.findings.is_empty() {
        let _ = writeln!(
            out,
            "\nfindings ({}), one per root cause:",
            report.findings.len()
        );
        for f in &report.findings {
            let _ = writeln!(
                out,
                "  {} [{}] {}\n    reported by {} at: {}\n    expected: {}\n    received: {}",
                f.rule,
                f.level.name(),
                clip(&f.title, 200),
                f.case,
                f.step,
                clip(&f.expected.join(" / "), 200),
                clip(&f.received.join(" / "), 200),
            );
            if f.cases.len() > 1 {
                let _ = writeln!(
                    out,
                    "    blocks {} more case(s): {}",
                    f.cases.len() - 1,
                    clip(&f.cases[1..].join(", "), 400)
                );
            }
        }
    }
    if let Some(headline) = &report.server_stopped {
        let cut = report.cut_short();
        let _ = writeln!(
            out,
            "\nSERVER STOPPED: {headline}\n  {} case(s) not run or cut short (error, not counted \
             against the server): {}",
            cut.len(),
            clip(&cut.join(", "), 400)
        );
    }
    if let Some(judged) = &report.judgement {
        out.push('\n');
        out.push_str(&judgement_lines(judged, true));
    }
    let t = report.timings;
    let _ = writeln!(
        out,
        "\n{} against {} (tier {}; capabilities {}: {}; pingInterval {} ms, pingTimeout {} ms, \
         maxPayload {}, connectTimeout {} ms) in {:.1} s",
        report.summary.line(),
        report.target,
        report.tier,
        report.capabilities_from,
        report.capabilities.join(", "),
        t.ping_interval,
        t.ping_timeout,
        t.max_payload,
        t.connect_timeout,
        report.duration_ms as f64 / 1000.0
    );
    if let Some(server) = &report.server {
        let _ = writeln!(
            out,
            "server started by the runner: {}; its output: {}",
            server.command, server.log
        );
    }
    out
}

/// The judgement of a run (`--judgement`): a headline, with `expected` every case that got its
/// recorded non-pass verdict and the reason, then every difference. The runner prints it on its
/// own after a `--quiet` run.
pub fn judgement_lines(judged: &Judged, expected: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "judgement {}: {} pass and {} other verdict(s) as recorded, {} difference(s)",
        judged.file,
        judged.passed_as_recorded,
        judged.expected.len(),
        judged.differences.len()
    );
    if expected {
        for e in &judged.expected {
            let _ = writeln!(
                out,
                "  expected {:<11} {}: {}",
                e.verdict.name(),
                e.id,
                clip(&e.reason, 300)
            );
        }
    }
    for d in &judged.differences {
        let _ = writeln!(out, "  DIFFERS {}", clip(&d.to_string(), 400));
    }
    out
}

/// The one-line progress indicator (written with `\r` to a terminal).
pub fn progress_line(done: usize, total: usize, record: &CaseRecord, bad: usize) -> String {
    let line = format!(
        "[{done}/{total}] {} not passed · {} {}",
        bad,
        record.verdict.name(),
        record.id
    );
    format!("\r{:<100}", clip(&line, 99))
}
