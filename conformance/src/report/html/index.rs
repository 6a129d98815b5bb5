//! `index.html`: the run in one page. First what was tested and how it went (target, tier,
//! capabilities, timings, counts per verdict, duration), then the findings (one per root cause,
//! with the case that reports it and the cases it blocks), then every case grouped by area (the
//! id's prefix: `eio.handshake`, `sio.rooms`, `replay.sio.rooms`), each linking to its page.
//! An area where every case passed is folded (`<details>`, no script), the others open.

use super::escape::text;
use super::model::{CaseView, Finding, Site};
use super::{badge, case_href, document, lines};
use std::fmt::Write;

/// Renders the index page.
pub fn render(site: &Site) -> String {
    let mut b = String::new();
    if let Some(enclosing) = &site.enclosing {
        let _ = writeln!(
            b,
            "<p><a href=\"../index.html\">↑ {}</a></p>",
            text(enclosing)
        );
    }
    let _ = writeln!(b, "<h1>Socket.IO conformance: {}</h1>", text(&site.target));
    summary(&mut b, site);
    findings(&mut b, site);
    areas(&mut b, site);
    let _ = writeln!(
        b,
        "<p class=\"muted\">Written by sio-conformance {}. The data: <a href=\"results.json\">results.json</a>.</p>",
        text(&site.version)
    );
    document(&format!("conformance: {}", site.target), &b)
}

fn summary(b: &mut String, site: &Site) {
    if let Some(headline) = &site.server_stopped {
        let _ = writeln!(
            b,
            "<p class=\"finding\"><strong>SERVER STOPPED:</strong> {}</p>",
            text(headline)
        );
    }
    b.push_str("<dl class=\"meta\">\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(b, "<dt>{k}</dt><dd>{v}</dd>");
    };
    row("target", format!("<code>{}</code>", text(&site.target)));
    row("tier", text(&site.tier));
    row(
        "capabilities",
        format!(
            "{} <span class=\"muted\">({})</span>",
            text(&site.capabilities.join(", ")),
            text(&site.capabilities_from)
        ),
    );
    if !site.detection.is_empty() {
        row("not offered", text(&site.detection.join("; ")));
    }
    let timings: Vec<String> = site
        .timings
        .iter()
        .map(|(k, v)| format!("{} {}", k, v))
        .collect();
    row("timings", text(&timings.join(", ")));
    row(
        "duration",
        format!("{:.1} s", site.duration_ms as f64 / 1000.0),
    );
    let counts: String = site
        .counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, n)| badge(name, &format!(" {n}")))
        .collect();
    row(
        "cases",
        format!("{} <span class=\"counts\">{counts}</span>", site.total),
    );
    if site.strict {
        row("strict", "a broken SHOULD fails the run".to_string());
    }
    b.push_str("</dl>\n");
}

fn findings(b: &mut String, site: &Site) {
    let _ = writeln!(
        b,
        "<h2 id=\"findings\">Findings ({})</h2>",
        site.findings.len()
    );
    if site.findings.is_empty() {
        b.push_str("<p>No deviation under a named root cause.</p>\n");
        return;
    }
    b.push_str("<p class=\"muted\">One per root cause: the first case whose first deviation is under the rule reports it; later cases with the same first deviation are blocked by it.</p>\n");
    for f in &site.findings {
        finding(b, site, f);
    }
}

/// A link to a case page, or the bare id when the report has no such case.
fn case_link(site: &Site, id: &str) -> String {
    if site.has_case(id) {
        format!(
            "<a href=\"{}\"><code>{}</code></a>",
            case_href(id, 0),
            text(id)
        )
    } else {
        format!("<code>{}</code>", text(id))
    }
}

fn finding(b: &mut String, site: &Site, f: &Finding) {
    let should = if f.level == "SHOULD" { " should" } else { "" };
    let _ = writeln!(
        b,
        "<div class=\"finding{should}\">\n<h3><code>{}</code> [{}]</h3>\n<p>{}</p>",
        text(&f.rule),
        text(&f.level),
        text(&f.title)
    );
    let _ = writeln!(
        b,
        "<p>Reported by {} at step <em>{}</em>.</p>",
        case_link(site, &f.case),
        text(&f.step)
    );
    let _ = writeln!(
        b,
        "<table class=\"xr\"><tr><th>expected</th><th>received</th></tr><tr><td>{}</td><td>{}</td></tr></table>",
        lines(&f.expected),
        lines(&f.received)
    );
    let blocked: Vec<String> = f
        .cases
        .iter()
        .filter(|c| **c != f.case)
        .map(|c| case_link(site, c))
        .collect();
    // A root cause can block a hundred cases: past a dozen the list is folded.
    match blocked.len() {
        0 => {}
        n @ 1..=12 => {
            let _ = writeln!(b, "<p>Blocks {n} case(s): {}</p>", blocked.join(", "));
        }
        n => {
            let _ = writeln!(
                b,
                "<details><summary>Blocks {n} case(s)</summary><p>{}</p></details>",
                blocked.join(", ")
            );
        }
    }
    b.push_str("</div>\n");
}

fn areas(b: &mut String, site: &Site) {
    b.push_str("<h2 id=\"cases\">Cases by area</h2>\n");
    // Areas in the order their first case was registered.
    let mut order: Vec<(String, Vec<&CaseView>)> = Vec::new();
    for c in &site.cases {
        let area = c.area();
        match order.iter_mut().find(|(a, _)| *a == area) {
            Some((_, cases)) => cases.push(c),
            None => order.push((area, vec![c])),
        }
    }
    for (area, cases) in order {
        let good = |c: &&CaseView| c.verdict == "pass" || c.verdict == "unsupported";
        let all_good = cases.iter().all(good) && cases.iter().all(|c| c.differs.is_none());
        let passed = cases.iter().filter(|c| c.verdict == "pass").count();
        let _ = writeln!(
            b,
            "<details class=\"area\"{}><summary>{} <span class=\"muted\">({passed}/{} pass)</span></summary>",
            if all_good { "" } else { " open" },
            text(&area),
            cases.len()
        );
        b.push_str("<table><tr><th>verdict</th><th>case</th><th>level</th><th>title</th><th>ms</th><th>note</th></tr>\n");
        for c in cases {
            let suffix = if c.expected.is_some() {
                " (expected)"
            } else {
                ""
            };
            let note = c
                .differs
                .as_ref()
                .map(|d| format!("<strong>differs:</strong> {}", text(d)))
                .or_else(|| {
                    c.blocked_by
                        .as_ref()
                        .map(|x| format!("blocked by {}", text(x)))
                })
                .or_else(|| c.skipped_because.as_ref().map(|x| text(x)))
                .or_else(|| {
                    c.expected
                        .as_ref()
                        .map(|x| format!("expected: {}", text(x)))
                })
                .or_else(|| c.failures.first().map(|f| text(&f.step)))
                .unwrap_or_default();
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td><a href=\"{}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td><td>{note}</td></tr>",
                badge(&c.verdict, suffix),
                case_href(&c.id, 0),
                text(&c.id),
                text(&c.level),
                text(&c.title),
                c.duration_ms
            );
        }
        b.push_str("</table>\n</details>\n");
    }
}
