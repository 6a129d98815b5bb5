//! The matrix page: the implementations table, the grid of cases by area against the columns,
//! and each column's findings, so that every cell that is not `pass` names an entry.

use super::super::escape::{clip, file_name, text};
use super::super::model::Site;
use super::super::{STYLE, badge};
use super::explain::{Explanation, anchor, explanation_text, short_hash};
use super::*;
use std::fmt::Write;

/// Renders the matrix page.
pub fn render(m: &Matrix) -> String {
    let mut b = String::new();
    let _ = writeln!(b, "<h1>{}</h1>", text(&m.title));
    let _ = writeln!(
        b,
        "<p>Measured {} with <code>{}</code>. One column per server, each started with the richest \
         contract tier it serves; cases it cannot serve are <em>unsupported</em>. A cell links to \
         that server's page of the case (expected against received, the sequence diagram, the wire \
         log); a cell that is not <em>pass</em> says why when hovered, and its <em>why</em> link \
         goes to the entry of its column's <a href=\"#findings\">findings</a> that explains it.</p>",
        text(&m.generated),
        text(&m.command)
    );
    columns_table(&mut b, m);
    grid(&mut b, m);
    findings(&mut b, m);
    let version = m
        .columns
        .iter()
        .find_map(|c| c.run.as_ref())
        .map_or(String::new(), |r| r.version.clone());
    let _ = writeln!(
        b,
        "<p class=\"muted\">Written by sio-conformance {}. The data: <a href=\"matrix.json\">matrix.json</a> and each column's <code>results.json</code>.</p>",
        text(&version)
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"sio-conformance\">\n\
         <title>{}</title>\n<style>{STYLE}{MATRIX_STYLE}</style>\n</head>\n<body class=\"matrix\">\n{b}</body>\n</html>\n",
        text(&m.title)
    )
}

/// What a findings entry shows of the expected and received lines (a 1 MB frame is one line);
/// the case page has them whole.
pub(super) const SHOWN_CHARS: usize = 300;

/// The matrix is wider than a run's page; its header stays in view while scrolling.
pub(super) const MATRIX_STYLE: &str = "
body.matrix{max-width:none}
table.grid{width:auto}
table.grid th,table.grid td{padding:2px 5px}
table.grid thead th{position:sticky;top:0;z-index:1;background:#f6f8fa;min-width:7.5em}
table.grid tr.area th{background:#eaeef2;text-align:left}
table.grid tr.area td{background:#eaeef2;font-size:12px;color:#57606a;white-space:nowrap}
table.grid td.cell{text-align:center}
table.grid td.cell a{text-decoration:none}
table.grid .v{font-size:12px}
table.grid td.case code{font-size:12px}
table.grid a.why{font-size:11px;color:#57606a;margin-left:.2em}
.findings-of{margin-top:1.2em}
.finding h4{margin:.3em 0}.finding code{word-break:break-all}
";

pub(super) fn columns_table(b: &mut String, m: &Matrix) {
    b.push_str("<h2 id=\"implementations\">Implementations</h2>\n<table><tr><th>implementation</th><th>versions</th><th>tier</th><th>cases</th><th>findings</th><th>time</th></tr>\n");
    for c in &m.columns {
        let (tier, counts, findings) = match &c.run {
            Some(run) => (
                text(&run.tier),
                run.counts
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(name, n)| badge(name, &format!(" {n}")))
                    .collect::<String>(),
                format!(
                    "<a href=\"#{}-findings\">{}</a>",
                    file_name(&c.id),
                    root_causes(run)
                ),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        let error = c
            .error
            .as_ref()
            .map(|e| format!("<br><strong>run failed:</strong> {}", text(e)))
            .unwrap_or_default();
        let name = if c.run.is_some() {
            format!(
                "<a href=\"{}/index.html\">{}</a>",
                text(&c.site),
                text(&c.name)
            )
        } else {
            text(&c.name)
        };
        let log = if c.server_log {
            format!(
                " <a class=\"muted\" href=\"{}/server.log\">server log</a>",
                text(&c.site)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            b,
            "<tr><td>{name}{}{log}</td><td>{}</td><td>{tier}</td><td><span class=\"counts\">{counts}</span>{error}</td><td>{findings}</td><td>{:.0}&nbsp;s</td></tr>",
            if c.third_party {
                ""
            } else {
                " <span class=\"muted\">(ours)</span>"
            },
            text(&c.versions),
            c.wall_ms as f64 / 1000.0
        );
    }
    b.push_str("</table>\n");
}

pub(super) fn grid(b: &mut String, m: &Matrix) {
    b.push_str(
        "<h2 id=\"cases\">Cases by area</h2>\n<table class=\"grid\">\n<thead><tr><th>case</th>",
    );
    for c in &m.columns {
        let _ = write!(b, "<th>{}</th>", text(&c.name));
    }
    b.push_str("</tr></thead>\n<tbody>\n");
    let ids = m.case_ids();
    let mut area = String::new();
    for (i, (id, first)) in ids.iter().enumerate() {
        if first.area() != area {
            area = first.area();
            let in_area: Vec<&str> = ids[i..]
                .iter()
                .take_while(|(_, c)| c.area() == area)
                .map(|(id, _)| id.as_str())
                .collect();
            let _ = write!(
                b,
                "<tr class=\"area\" id=\"area-{}\"><th>{}</th>",
                file_name(&area),
                text(&area)
            );
            for c in &m.columns {
                let counts = c.run.as_ref().map_or(String::new(), |run| {
                    let verdicts: Vec<&str> = in_area
                        .iter()
                        .filter_map(|id| run.cases.iter().find(|x| x.id == *id))
                        .map(|x| x.verdict.as_str())
                        .collect();
                    let passed = verdicts.iter().filter(|v| **v == "pass").count();
                    let ran = verdicts.iter().filter(|v| **v != "unsupported").count();
                    format!("{passed}/{ran} pass")
                });
                let _ = write!(b, "<td>{counts}</td>");
            }
            b.push_str("</tr>\n");
        }
        let _ = write!(
            b,
            "<tr><td class=\"case\" title=\"{}\"><code>{}</code> <span class=\"muted\">{}</span></td>",
            text(&first.title),
            text(id),
            text(&first.level)
        );
        for c in &m.columns {
            b.push_str(&cell(c, id));
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</tbody>\n</table>\n");
}

/// One cell: the verdict as a badge linking to the column's case page, its explanation as the
/// tooltip.
pub(super) fn cell(column: &Column, id: &str) -> String {
    let Some(run) = &column.run else {
        return "<td class=\"cell\"></td>".to_string();
    };
    let Some(case) = run.cases.iter().find(|c| c.id == id) else {
        return "<td class=\"cell\"><span class=\"muted\">not in this run</span></td>".to_string();
    };
    let explanation = explain(run, case);
    let tip = explanation
        .as_ref()
        .map_or(String::new(), |e| explanation_text(run, case, e));
    let to = explanation
        .as_ref()
        .map(|e| {
            format!(
                " <a class=\"why\" href=\"#{}\" title=\"the entry of the findings list that explains this cell\">why</a>",
                anchor(column, e, id)
            )
        })
        .unwrap_or_default();
    format!(
        "<td class=\"cell\"><a href=\"{}/cases/{}.html\" title=\"{}\">{}</a>{to}</td>",
        text(&column.site),
        file_name(id),
        text(&format!("{}: {} {tip}", column.name, case.verdict)),
        badge(&case.verdict, "")
    )
}

pub(super) fn findings(b: &mut String, m: &Matrix) {
    b.push_str("<h2 id=\"findings\">Findings per implementation</h2>\n");
    for c in &m.columns {
        let _ = writeln!(
            b,
            "<div class=\"findings-of\" id=\"{}-findings\"><h3>{} <span class=\"muted\">{}</span></h3>",
            file_name(&c.id),
            text(&c.name),
            text(&c.versions)
        );
        let Some(run) = &c.run else {
            let _ = writeln!(
                b,
                "<p><strong>No run:</strong> {}</p></div>",
                text(c.error.as_deref().unwrap_or("unknown"))
            );
            continue;
        };
        if let Some(e) = &c.error {
            let _ = writeln!(b, "<p><strong>The run failed:</strong> {}</p>", text(e));
        }
        let page = |id: &str| {
            format!(
                "<a href=\"{}/cases/{}.html\"><code>{}</code></a>",
                text(&c.site),
                file_name(id),
                text(id)
            )
        };
        for (i, f) in run.findings.iter().enumerate() {
            let should = if f.level == "SHOULD" { " should" } else { "" };
            let verdicts: Vec<String> = f
                .cases
                .iter()
                .filter_map(|id| run.cases.iter().find(|x| x.id == *id))
                .map(|x| format!("{} {}", page(&x.id), badge(&x.verdict, "")))
                .collect();
            let _ = writeln!(
                b,
                "<div class=\"finding{should}\" id=\"{}\"><h4><code>{}</code> [{}] {}</h4><p>Reported by {} at step <em>{}</em>: expected <code>{}</code>, received <code>{}</code>.</p><details><summary>{} case(s)</summary><p>{}</p></details></div>",
                anchor(c, &Explanation::Finding(i), ""),
                text(&f.rule),
                text(&f.level),
                text(&f.title),
                page(&f.case),
                text(&f.step),
                text(&clip(&f.expected.join(" · "), SHOWN_CHARS)),
                text(&clip(&f.received.join(" · "), SHOWN_CHARS)),
                f.cases.len(),
                verdicts.join(", ")
            );
        }
        let groups = deviation_groups(run);
        for (sig, cases) in &groups {
            let first = cases[0];
            let (step, expected, received, note) =
                first.failures.first().map_or_else(Default::default, |f| {
                    (
                        f.step.clone(),
                        clip(&f.expected.join(" · "), SHOWN_CHARS),
                        clip(&f.received.join(" · "), SHOWN_CHARS),
                        f.note.clone().unwrap_or_default(),
                    )
                });
            let should = cases.iter().all(|x| x.verdict == "non-strict");
            let listed: Vec<String> = cases
                .iter()
                .map(|x| format!("{} {}", page(&x.id), badge(&x.verdict, "")))
                .collect();
            let _ = writeln!(
                b,
                "<div class=\"finding{}\" id=\"{}-deviation-{}\"><h4>The same deviation in {} case(s) <span class=\"muted\">(under no catalogue rule; grouped by the shape of what was expected and what came)</span></h4><p>First {} at step <em>{}</em>: expected <code>{}</code>, received <code>{}</code>. {}</p><details><summary>{} case(s)</summary><p>{}</p></details></div>",
                if should { " should" } else { "" },
                file_name(&c.id),
                short_hash(sig),
                cases.len(),
                page(&first.id),
                text(&step),
                text(&expected),
                text(&received),
                text(&note),
                cases.len(),
                listed.join(", ")
            );
        }
        // What was not run, grouped by reason.
        let mut reasons: Vec<(String, Vec<&str>)> = Vec::new();
        for x in &run.cases {
            if let Some(Explanation::NotRun(reason)) = explain(run, x) {
                match reasons.iter_mut().find(|(r, _)| *r == reason) {
                    Some((_, ids)) => ids.push(&x.id),
                    None => reasons.push((reason, vec![&x.id])),
                }
            }
        }
        for (reason, ids) in &reasons {
            let _ = writeln!(
                b,
                "<div class=\"not-run\" id=\"{}\"><h4>{} case(s) not run <span class=\"muted\">({})</span></h4><details><summary>which</summary><p>{}</p></details></div>",
                anchor(c, &Explanation::NotRun(reason.clone()), ""),
                ids.len(),
                text(reason),
                ids.iter().map(|id| page(id)).collect::<Vec<_>>().join(", ")
            );
        }
        if run.findings.is_empty() && groups.is_empty() {
            b.push_str("<p>No deviation.</p>\n");
        }
        b.push_str("</div>\n");
    }
}

/// The entries of a column's findings list that name a deviation: the runner's findings and
/// the groups of deviations under no rule.
pub(super) fn root_causes(run: &Site) -> usize {
    run.findings.len() + deviation_groups(run).len()
}
