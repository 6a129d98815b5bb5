//! The JUnit XML report: one `<testsuite>`, one `<testcase>` per case (classname = the id's
//! first two segments); fail → `<failure>`, error → `<error>`, unsupported → `<skipped>`;
//! non-strict and flaky pass with their explanation in `<system-out>`, except that with
//! `--strict` a non-strict case is a `<failure>` too, as it fails the run.
//!
//! With `--judgement` the file decides, as it decides the exit code: a case that got its recorded
//! non-pass verdict is `<skipped>` with the recorded reason (an expected failure, as pytest's
//! xfail), and a case whose verdict differs from the file is a `<failure type="judgement">` even
//! where its verdict alone would pass (an unexpected pass, a case missing from the file).

use super::Report;
use crate::verdict::{CaseRecord, Verdict};
use std::fmt::Write;

/// XML text escaping (attributes and content): the HTML report's escaper, whose entities and
/// whose visible forms of control characters are valid XML 1.0 as well.
pub fn escape(s: &str) -> String {
    super::html::escape::text(s)
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

/// Counts of the elements written, for the suite's attributes.
#[derive(Default)]
struct Counts {
    failures: usize,
    errors: usize,
    skipped: usize,
}

/// Writes the body of one `<testcase>` (after its attributes) and counts it.
fn testcase(out: &mut String, report: &Report, r: &CaseRecord, counts: &mut Counts) {
    let first = r.failures.first();
    let message = first.map_or(String::new(), |f| escape(&f.step));
    if let Some(reason) = report.expected_reason(&r.id) {
        counts.skipped += 1;
        let _ = writeln!(
            out,
            ">\n      <skipped message=\"expected {}: {}\"/>",
            r.verdict.name(),
            escape(reason)
        );
        out.push_str("    </testcase>\n");
        return;
    }
    let fails_alone = match r.verdict {
        Verdict::Fail | Verdict::Error => true,
        Verdict::NonStrict => report.strict,
        _ => false,
    };
    if let (Some(d), false) = (report.difference(&r.id), fails_alone) {
        counts.failures += 1;
        let _ = writeln!(
            out,
            ">\n      <failure message=\"{}\" type=\"judgement\">{}</failure>",
            escape(&d.to_string()),
            escape(&explanation(r))
        );
        out.push_str("    </testcase>\n");
        return;
    }
    match r.verdict {
        Verdict::Pass => {
            out.push_str("/>\n");
            return;
        }
        Verdict::Fail => {
            counts.failures += 1;
            failure(out, r, &message)
        }
        Verdict::NonStrict if report.strict => {
            counts.failures += 1;
            failure(out, r, &message)
        }
        Verdict::Error => {
            counts.errors += 1;
            let _ = writeln!(
                out,
                ">\n      <error message=\"{message}\" type=\"harness\">{}</error>",
                escape(&explanation(r))
            );
        }
        Verdict::Blocked => {
            counts.skipped += 1;
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"blocked by {}\"/>",
                escape(r.blocked_by.as_deref().unwrap_or("a finding"))
            );
        }
        Verdict::Unsupported => {
            counts.skipped += 1;
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

/// Renders the JUnit report.
pub fn render(report: &Report) -> String {
    let mut cases = String::new();
    let mut counts = Counts::default();
    for r in &report.records {
        let class: Vec<&str> = r.id.split('.').take(2).collect();
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&class.join(".")),
            escape(&r.id),
            r.duration_ms as f64 / 1000.0
        );
        testcase(&mut cases, report, r, &mut counts);
    }
    let time = report.duration_ms as f64 / 1000.0;
    let total = report.summary.total;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"sio-conformance\" tests=\"{total}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time:.3}\">",
        counts.failures, counts.errors, counts.skipped,
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{total}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{time:.3}\">",
        escape(&report.target),
        counts.failures,
        counts.errors,
        counts.skipped,
    );
    out.push_str(&cases);
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
