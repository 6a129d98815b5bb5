//! The JUnit XML report: one `<testsuite>`, one `<testcase>` per case (classname = the id's
//! first two segments); fail → `<failure>`, error → `<error>`, unsupported → `<skipped>`;
//! non-strict and flaky pass with their explanation in `<system-out>`, except that with
//! `--strict` a non-strict case is a `<failure>` too, as it fails the run.

use super::Report;
use crate::verdict::{CaseRecord, Verdict};
use std::fmt::Write;

/// XML text escaping (attributes and content).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn explanation(r: &CaseRecord) -> String {
    let mut s = String::new();
    for f in &r.failures {
        let _ = writeln!(s, "at: {}", f.step);
        for l in &f.expected {
            let _ = writeln!(s, "  expected: {l}");
        }
        for l in &f.received {
            let _ = writeln!(s, "  received: {l}");
        }
    }
    if !r.transcript.is_empty() {
        let _ = writeln!(s, "transcript:");
        for e in &r.transcript {
            let _ = writeln!(s, "  {}", e.line());
        }
    }
    s
}

/// A `<failure>` whose type is the level of the case (`MUST`, or `SHOULD` under `--strict`).
fn failure(out: &mut String, r: &CaseRecord, message: &str) {
    let _ = writeln!(
        out,
        ">\n      <failure message=\"{message}\" type=\"{}\">{}</failure>",
        r.level.name(),
        escape(&explanation(r))
    );
}

/// Renders the JUnit report.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let failures = s.fail + if report.strict { s.non_strict } else { 0 };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"sio-conformance\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        s.total,
        failures,
        s.error,
        s.unsupported + s.blocked,
        report.duration_ms as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        escape(&report.target),
        s.total,
        failures,
        s.error,
        s.unsupported + s.blocked,
        report.duration_ms as f64 / 1000.0
    );
    for r in &report.records {
        let class: Vec<&str> = r.id.split('.').take(2).collect();
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&class.join(".")),
            escape(&r.id),
            r.duration_ms as f64 / 1000.0
        );
        let first = r.failures.first();
        let message = first.map_or(String::new(), |f| escape(&f.step));
        match r.verdict {
            Verdict::Pass => {
                out.push_str("/>\n");
                continue;
            }
            Verdict::Fail => failure(&mut out, r, &message),
            Verdict::NonStrict if report.strict => failure(&mut out, r, &message),
            Verdict::Error => {
                let _ = writeln!(
                    out,
                    ">\n      <error message=\"{message}\" type=\"harness\">{}</error>",
                    escape(&explanation(r))
                );
            }
            Verdict::Blocked => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"blocked by {}\"/>",
                    escape(r.blocked_by.as_deref().unwrap_or("a finding"))
                );
            }
            Verdict::Unsupported => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>",
                    escape(r.skipped_because.as_deref().unwrap_or("unsupported"))
                );
            }
            Verdict::NonStrict | Verdict::Flaky => {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}: {}</system-out>",
                    r.verdict.name(),
                    escape(&explanation(r))
                );
            }
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
