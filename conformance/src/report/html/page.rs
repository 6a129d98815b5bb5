//! `cases/<id>.html`: one case. What it checks (id, title, level, tags, spec reference, the
//! official suite's name, the catalogue rules involved with their titles), why it did not pass
//! (each failure's expected lines against the received ones), the sequence diagram ([`super::svg`])
//! and the wire log: every entry with its time, connection, direction, raw text or hex and the
//! decoded view ([`crate::report::views`]), coloured by direction and transport, the entries the
//! diagram marks as the deviation highlighted here too.

use super::escape::text;
use super::model::{CaseView, Site};
use super::svg::{self, Marks};
use super::{badge, case_href, document, lines};
use crate::driver::transcript::{Dir, Transport};
use std::fmt::Write;

/// Renders a case page.
pub fn render(site: &Site, c: &CaseView) -> String {
    let mut b = String::new();
    // Inside a matrix, the way back to the grid the reader most likely came from.
    let up = site
        .enclosing
        .as_ref()
        .map(|title| format!(" · <a href=\"../../index.html\">↑ {}</a>", text(title)))
        .unwrap_or_default();
    let _ = writeln!(
        b,
        "<p><a href=\"../index.html\">← every case of this run</a> <span class=\"muted\">(target <code>{}</code>)</span>{up}</p>\n<h1><code>{}</code> {}</h1>\n<p>{}</p>",
        text(&site.target),
        text(&c.id),
        badge(
            &c.verdict,
            if c.expected.is_some() {
                " (expected)"
            } else {
                ""
            }
        ),
        text(&c.title)
    );
    about(&mut b, site, c);
    rules(&mut b, site, c);
    failures(&mut b, c);
    let marks = svg::marks(&c.transcript, &c.failures);
    let _ = writeln!(
        b,
        "<h2 id=\"sequence\">Sequence diagram</h2>\n<p class=\"legend\"><span style=\"color:#0969da\">━ polling</span><span style=\"color:#1a7f37\">━ WebSocket</span><span style=\"color:#6e7781\">▭ harness note</span><span style=\"color:#cf222e\">━ ✗ deviation</span> <span class=\"muted\">Hover an arrow for the whole entry.</span></p>\n<div class=\"diagram\">{}</div>",
        svg::render(&c.transcript, &marks)
    );
    wire(&mut b, c, &marks);
    document(&format!("{} — {}", c.id, c.verdict), &b)
}

fn about(b: &mut String, site: &Site, c: &CaseView) {
    b.push_str("<dl class=\"meta\">\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(b, "<dt>{k}</dt><dd>{v}</dd>");
    };
    row("level", text(&c.level));
    if !c.tags.is_empty() {
        row("tags", text(&c.tags.join(", ")));
    }
    row("spec", format!("{} § {}", text(&c.spec.0), text(&c.spec.1)));
    if let Some(o) = &c.official {
        row("official suite", text(o));
    }
    if let Some(n) = &c.node_differs {
        row("Node differs", text(n));
    }
    row(
        "run",
        format!("{} attempt(s), {} ms", c.attempts, c.duration_ms),
    );
    if let Some(x) = &c.closed {
        row("closed", text(x));
    }
    if let Some(x) = &c.skipped_because {
        row("not run", text(x));
    }
    if let Some(x) = &c.blocked_by {
        // `rule (reported by case)`: the reporting case is a link.
        let by = x
            .rsplit_once("(reported by ")
            .and_then(|(_, tail)| tail.strip_suffix(')'))
            .filter(|id| site.has_case(id));
        let shown = match by {
            Some(id) => format!(
                "{} (<a href=\"{}\">{}</a>)",
                text(x.split(" (reported by ").next().unwrap_or(x)),
                case_href(id, 1),
                text(id)
            ),
            None => text(x),
        };
        row("blocked by", shown);
    }
    if let Some(x) = &c.expected {
        row("judgement", format!("expected: {}", text(x)));
    }
    if let Some(x) = &c.differs {
        row(
            "judgement",
            format!("<strong>differs:</strong> {}", text(x)),
        );
    }
    if c.server_stopped {
        row(
            "cut short",
            "the server stopped answering during the run".into(),
        );
    }
    if !c.tolerances.is_empty() {
        row("tolerances", lines(&c.tolerances));
    }
    if let Some(r) = &site.rerun {
        row(
            "rerun",
            format!("<code>{} --filter '{}'</code>", text(r), text(&c.id)),
        );
    }
    b.push_str("</dl>\n");
}

/// The catalogue rules this case touches: those its failures cite, the finding it reports, the
/// one that blocks it; each with its title (from the catalogue of this runner, or the finding's
/// title for an Engine.IO case reported as a finding).
fn rules(b: &mut String, site: &Site, c: &CaseView) {
    let mut ids: Vec<String> = c.failures.iter().filter_map(|f| f.rule.clone()).collect();
    ids.extend(
        site.findings
            .iter()
            .filter(|f| f.cases.contains(&c.id))
            .map(|f| f.rule.clone()),
    );
    ids.dedup();
    let mut seen = Vec::new();
    ids.retain(|id| {
        let fresh = !seen.contains(id);
        seen.push(id.clone());
        fresh
    });
    if ids.is_empty() {
        return;
    }
    b.push_str("<h2 id=\"rules\">Catalogue rules</h2>\n<table><tr><th>rule</th><th>level</th><th>title</th><th>source</th></tr>\n");
    for id in ids {
        let (level, title, source) = match crate::catalogue::rule(&id) {
            Some(r) => (
                r.level.name().to_string(),
                r.title.to_string(),
                r.source.to_string(),
            ),
            None => match site.findings.iter().find(|f| f.rule == id) {
                Some(f) => (
                    f.level.clone(),
                    f.title.clone(),
                    "the Engine.IO case of that id".into(),
                ),
                None => (String::new(), String::new(), String::new()),
            },
        };
        let reported = match site.findings.iter().find(|f| f.rule == id) {
            Some(f) if f.case == c.id => " <strong>(this case reports it)</strong>".to_string(),
            Some(f) => format!(
                " (reported by <a href=\"{}\">{}</a>)",
                case_href(&f.case, 1),
                text(&f.case)
            ),
            None => String::new(),
        };
        let _ = writeln!(
            b,
            "<tr><td><code>{}</code>{reported}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&id),
            text(&level),
            text(&title),
            text(&source)
        );
    }
    b.push_str("</table>\n");
}

fn failures(b: &mut String, c: &CaseView) {
    if c.failures.is_empty() {
        return;
    }
    let _ = writeln!(
        b,
        "<h2 id=\"failures\">Expected and received ({})</h2>",
        c.failures.len()
    );
    if c.verdict == "flaky" {
        b.push_str("<p class=\"muted\">The failed attempt's failures (a retry passed).</p>\n");
    }
    for (i, f) in c.failures.iter().enumerate() {
        let rule = f
            .rule
            .as_ref()
            .map(|r| {
                format!(
                    " <span class=\"muted\">rule</span> <code>{}</code>",
                    text(r)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            b,
            "<h3>{}. {}{rule} <span class=\"muted\">({})</span></h3>",
            i + 1,
            text(&f.step),
            text(&f.kind)
        );
        if let Some(n) = &f.note {
            let _ = writeln!(b, "<p>{}</p>", text(n));
        }
        let _ = writeln!(
            b,
            "<table class=\"xr\"><tr><th>expected</th><th>received</th></tr><tr><td>{}</td><td>{}</td></tr></table>",
            lines(&f.expected),
            lines(&f.received)
        );
    }
}

/// Wire logs can be long (a replay of a big transcript); a payload is cut here past this many
/// characters, saying how much was left out. The JSON report has it all.
const PAYLOAD_CHARS: usize = 20_000;

fn wire(b: &mut String, c: &CaseView, marks: &Marks) {
    let _ = writeln!(
        b,
        "<h2 id=\"wire\">Wire log ({} entries)</h2>",
        c.transcript.len()
    );
    if c.transcript.is_empty() {
        b.push_str("<p class=\"muted\">No wire traffic.</p>\n");
        return;
    }
    b.push_str("<table class=\"wire\"><tr><th>time</th><th>conn</th><th>dir</th><th>what</th><th>payload (raw text or hex) and decoded view</th></tr>\n");
    for (i, e) in c.transcript.iter().enumerate() {
        let (dir_class, arrow) = match e.dir {
            Dir::Out => ("out", "→ server"),
            Dir::In => ("in", "← server"),
            Dir::Note => ("note", "note"),
        };
        let transport = match e.transport {
            Transport::Polling => "polling",
            Transport::Websocket => "websocket",
        };
        let deviation = if marks.marks(i) { " deviation" } else { "" };
        let mut what = text(&e.what);
        if !e.headers.is_empty() {
            let hs: Vec<String> = e.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let _ = write!(
                what,
                "<details><summary>{} header(s)</summary><pre>{}</pre></details>",
                e.headers.len(),
                text(&hs.join("\n"))
            );
        }
        let mut payload = match (&e.text, &e.hex) {
            (Some(t), _) => format!("<pre>{}</pre>", text(&cut(t))),
            (None, Some(h)) => format!("<pre>hex:{}</pre>", text(&cut(h))),
            (None, None) => String::new(),
        };
        if let Some(v) = crate::report::views::view(e) {
            let _ = write!(payload, "<div class=\"view\">= {}</div>", text(&cut(&v)));
        }
        let marker = if marks.marks(i) {
            " <strong>✗ deviation</strong>"
        } else {
            ""
        };
        let _ = writeln!(
            b,
            "<tr class=\"{dir_class} {transport}{deviation}\"><td>+{:.1}&nbsp;ms</td><td>{}</td><td class=\"dir\">{arrow}{marker}</td><td>{what}</td><td>{payload}</td></tr>",
            e.t_ms,
            text(&e.conn)
        );
    }
    b.push_str("</table>\n");
}

fn cut(s: &str) -> String {
    let n = s.chars().count();
    if n <= PAYLOAD_CHARS {
        return s.to_string();
    }
    let head: String = s.chars().take(PAYLOAD_CHARS).collect();
    format!(
        "{head}… ({} more chars, see results.json)",
        n - PAYLOAD_CHARS
    )
}
