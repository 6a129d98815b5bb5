//! The implementation matrix (`--matrix DIR`): several runs side by side, one column per server,
//! rendered from their `results.json` files into one page, `DIR/index.html`, and a Markdown
//! summary, `DIR/summary.md` (for the top README).
//!
//! `DIR/matrix.json` (written by `cargo xtask matrix`, or by hand) names the columns:
//!
//! ```json
//! {"title": "…", "generated": "2026-12-03", "command": "cargo xtask matrix",
//!  "columns": [{"id": "node", "name": "Node harness", "versions": "socket.io 4.8.4, …",
//!               "site": "node", "third_party": false, "error": null, "wall_ms": 12000}]}
//! ```
//!
//! Each column's site (a plain directory name under `DIR`) is the `--html` site of its run:
//! `DIR/<site>/results.json` and its case pages, which every cell links to. A column whose run
//! failed (`error`, or no results.json) is shown with the reason, its cells empty.
//!
//! The page: what ran (versions, tier, counts, duration, findings per column), then every case
//! grouped by area (rows) against the columns, each cell a verdict linking to that column's case
//! page, its explanation in the cell's tooltip; then, per column, the findings: the runner's
//! findings (one per root cause), each deviation no finding covers, and what was not run and
//! why, so that every cell that is not `pass` names an entry of its column's list.

use super::escape::{clip, file_name, text};
use super::model::{CaseView, Site};
use super::{STYLE, badge};
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

/// One column as `matrix.json` describes it, with its run when there is one.
#[derive(Clone, Debug, Default)]
pub struct Column {
    /// Short name (anchors, the README).
    pub id: String,
    /// Its heading.
    pub name: String,
    /// The pinned versions it ran.
    pub versions: String,
    /// The site's directory under the matrix directory.
    pub site: String,
    /// Not one of the project's own servers.
    pub third_party: bool,
    /// Why there is no (complete) run.
    pub error: Option<String>,
    /// Wall time of the column: install, start, run, stop.
    pub wall_ms: u64,
    /// The run, read from `<site>/results.json`.
    pub run: Option<Site>,
    /// The site has the server's stderr (`<site>/server.log`, written by `cargo xtask matrix`).
    pub server_log: bool,
}

/// The whole matrix.
#[derive(Clone, Debug, Default)]
pub struct Matrix {
    /// The page title.
    pub title: String,
    /// The date of the run (UTC).
    pub generated: String,
    /// The command that made it.
    pub command: String,
    /// The columns, in order.
    pub columns: Vec<Column>,
}

fn field(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// A site name must stay a single directory under the matrix directory.
fn plain_dir_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl Matrix {
    /// Reads `dir/matrix.json` and every column's `results.json`.
    pub fn load(dir: &Path) -> Result<Matrix, String> {
        let path = dir.join("matrix.json");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        let entries = v["columns"]
            .as_array()
            .ok_or_else(|| format!("{}: no `columns` array", path.display()))?;
        let mut columns = Vec::new();
        for c in entries {
            let site = field(c, "site");
            if !plain_dir_name(&site) {
                return Err(format!(
                    "{}: column site {site:?} is not a plain directory name",
                    path.display()
                ));
            }
            let results = dir.join(&site).join("results.json");
            let server_log = dir.join(&site).join("server.log").is_file();
            let (run, read_error) = match std::fs::read_to_string(&results) {
                Ok(json) => match Site::from_json(&json) {
                    Ok(site) => (Some(site), None),
                    Err(e) => (None, Some(format!("{}: {e}", results.display()))),
                },
                Err(e) => (None, Some(format!("no run: {}: {e}", results.display()))),
            };
            columns.push(Column {
                id: field(c, "id"),
                name: field(c, "name"),
                versions: field(c, "versions"),
                site,
                third_party: c["third_party"].as_bool().unwrap_or(false),
                error: c["error"].as_str().map(str::to_string).or(read_error),
                wall_ms: c["wall_ms"].as_u64().unwrap_or(0),
                run,
                server_log,
            });
        }
        Ok(Matrix {
            title: field(&v, "title"),
            generated: field(&v, "generated"),
            command: field(&v, "command"),
            columns,
        })
    }

    /// Every case id of every run, in the order of the first run that has it.
    /// Grouped by area: the areas in the order their first case comes, the cases of an area in
    /// their own order (cases are registered interleaved: `eio.handshake.x` is followed by its
    /// twin `sio.engine.handshake.x`).
    fn case_ids(&self) -> Vec<(String, &CaseView)> {
        let mut ids: Vec<(String, &CaseView)> = Vec::new();
        for run in self.columns.iter().filter_map(|c| c.run.as_ref()) {
            for case in &run.cases {
                if !ids.iter().any(|(id, _)| *id == case.id) {
                    ids.push((case.id.clone(), case));
                }
            }
        }
        let mut areas: Vec<String> = Vec::new();
        for (_, case) in &ids {
            let area = case.area();
            if !areas.contains(&area) {
                areas.push(area);
            }
        }
        ids.sort_by_key(|(_, case)| areas.iter().position(|a| *a == case.area()));
        ids
    }
}

/// Writes `dir/index.html` and `dir/summary.md` from `dir/matrix.json`; returns the columns.
pub fn write(dir: &Path) -> Result<usize, String> {
    let matrix = Matrix::load(dir)?;
    let io = |e: std::io::Error| format!("{}: {e}", dir.display());
    std::fs::write(dir.join("index.html"), render(&matrix)).map_err(io)?;
    std::fs::write(dir.join("summary.md"), summary(&matrix)).map_err(io)?;
    Ok(matrix.columns.len())
}

/// Why a cell is not `pass`: the entry of its column's findings list that explains it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Explanation {
    /// A runner finding (root cause), by its index in the run's findings.
    Finding(usize),
    /// A deviation no finding covers: its own entry, by case id.
    Deviation,
    /// Not run: the reason (the tier it needs, the distance, …).
    NotRun(String),
}

/// The explanation of a case's verdict in a run; `None` for a pass.
pub fn explain(run: &Site, case: &CaseView) -> Option<Explanation> {
    match case.verdict.as_str() {
        "pass" => None,
        "unsupported" => Some(Explanation::NotRun(
            case.skipped_because
                .clone()
                .unwrap_or_else(|| "not run".to_string()),
        )),
        _ => Some(
            run.findings
                .iter()
                .position(|f| f.cases.contains(&case.id))
                .map_or(Explanation::Deviation, Explanation::Finding),
        ),
    }
}

/// The anchor of a column's findings list entry.
fn anchor(column: &Column, explanation: &Explanation, case_id: &str) -> String {
    let what = match explanation {
        Explanation::Finding(i) => format!("finding-{i}"),
        Explanation::Deviation => format!(
            "deviation-{}",
            short_hash(&signature_of(case_id, column.run.as_ref()))
        ),
        Explanation::NotRun(reason) => format!("not-run-{}", short_hash(reason)),
    };
    format!("{}-{what}", file_name(&column.id))
}

/// What a line looks like with its variable parts taken out: quoted strings become `"S"`, runs
/// of 12 or more id characters (session and socket ids) `ID`, numbers `N`; cut to a length that
/// still tells lines apart. So `{"code":"1",…}` received for `{"code":1,…}` has one shape for
/// every error code and message, and a close code 1005 for 1002 one for every frame error.
fn shape(line: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = line.chars().take(200).collect();
    let id_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|c| id_char(**c)).count();
        if chars[i] == '"' {
            let close = chars[i + 1..].iter().position(|c| *c == '"');
            out.push_str("\"S\"");
            i = close.map_or(chars.len(), |at| i + at + 2);
        } else if run >= 12 {
            out.push_str("ID");
            i += run;
        } else if chars[i].is_ascii_digit() {
            out.push('N');
            i += chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The shape of a case's first deviation: expected → received.
fn signature(case: &CaseView) -> String {
    let first = case.failures.first();
    let line = |lines: Option<&Vec<String>>| {
        lines
            .and_then(|l| l.first())
            .map_or(String::new(), |l| shape(l))
    };
    format!(
        "{} → {}",
        line(first.map(|f| &f.expected)),
        line(first.map(|f| &f.received))
    )
}

fn signature_of(case_id: &str, run: Option<&Site>) -> String {
    run.and_then(|r| r.cases.iter().find(|c| c.id == case_id))
        .map_or(String::new(), signature)
}

/// The deviations of a run that no finding covers, grouped by [`signature`], in case order.
pub fn deviation_groups(run: &Site) -> Vec<(String, Vec<&CaseView>)> {
    let mut groups: Vec<(String, Vec<&CaseView>)> = Vec::new();
    for case in &run.cases {
        if explain(run, case) != Some(Explanation::Deviation) {
            continue;
        }
        let sig = signature(case);
        match groups.iter_mut().find(|(s, _)| *s == sig) {
            Some((_, cases)) => cases.push(case),
            None => groups.push((sig, vec![case])),
        }
    }
    groups
}

/// A short stable name for a reason (anchors only).
fn short_hash(s: &str) -> String {
    let h = s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:08x}", h >> 32)
}

/// The one-line text of an explanation (cell tooltips).
fn explanation_text(run: &Site, case: &CaseView, e: &Explanation) -> String {
    match e {
        Explanation::Finding(i) => {
            let f = &run.findings[*i];
            let role = if f.case == case.id {
                "reports"
            } else {
                "blocked by"
            };
            format!("{role} finding {} [{}]: {}", f.rule, f.level, f.title)
        }
        Explanation::Deviation => case
            .failures
            .first()
            .map_or(case.verdict.clone(), |f| format!("at step: {}", f.step)),
        Explanation::NotRun(reason) => format!("not run: {reason}"),
    }
}

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
const SHOWN_CHARS: usize = 300;

/// The matrix is wider than a run's page; its header stays in view while scrolling.
const MATRIX_STYLE: &str = "
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

fn columns_table(b: &mut String, m: &Matrix) {
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

fn grid(b: &mut String, m: &Matrix) {
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
fn cell(column: &Column, id: &str) -> String {
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

fn findings(b: &mut String, m: &Matrix) {
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
fn root_causes(run: &Site) -> usize {
    run.findings.len() + deviation_groups(run).len()
}

/// The coarse areas of the README summary: a case id's first part.
const FAMILIES: [(&str, &str); 5] = [
    ("eio", "Engine.IO v4"),
    ("eio3", "Engine.IO v3"),
    ("sio", "Socket.IO v5"),
    ("security", "security"),
    ("replay", "replays of Node"),
];

/// The Markdown summary (for the top README): implementations × areas, counts per verdict.
pub fn summary(m: &Matrix) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Measured {} by `{}` (sio-conformance {}): each server started with the richest contract tier it serves. \
         Cells count the cases per verdict: ✓ pass, ✗ fail, ! non-strict (a SHOULD broke), ⊘ blocked (by a finding \
         reported elsewhere), – unsupported (needs a higher tier), E error, ~ flaky. Findings: the root causes \
         of what did not pass (the runner's findings, and deviations under no catalogue rule grouped by what was \
         expected and what came). The whole matrix, every case's page and the findings: \
         `target/matrix/index.html` after the command.\n",
        m.generated,
        m.command,
        m.columns
            .iter()
            .find_map(|c| c.run.as_ref())
            .map_or("?", |r| r.version.as_str())
    );
    s.push_str("| implementation | versions | tier |");
    for (_, name) in FAMILIES {
        let _ = write!(s, " {name} |");
    }
    s.push_str(" all | findings |\n|---|---|---|");
    s.push_str(&"---|".repeat(FAMILIES.len() + 2));
    s.push('\n');
    for c in &m.columns {
        let Some(run) = &c.run else {
            let _ = writeln!(
                s,
                "| {} | {} | | no run: {} |",
                c.name,
                c.versions,
                c.error.as_deref().unwrap_or("unknown").replace('|', "/")
            );
            continue;
        };
        let _ = write!(s, "| {} | {} | {} |", c.name, c.versions, run.tier);
        for (family, _) in FAMILIES {
            let cases: Vec<&CaseView> = run
                .cases
                .iter()
                .filter(|x| x.id.split('.').next() == Some(family))
                .collect();
            let _ = write!(s, " {} |", counts(&cases));
        }
        let all: Vec<&CaseView> = run.cases.iter().collect();
        let _ = writeln!(s, " {} | {} |", counts(&all), root_causes(run));
    }
    s
}

/// `40 ✓ 2 ✗ 5 –`: the non-zero counts of a set of cases, in a fixed order.
fn counts(cases: &[&CaseView]) -> String {
    const SIGNS: [(&str, &str); 7] = [
        ("pass", "✓"),
        ("fail", "✗"),
        ("non-strict", "!"),
        ("blocked", "⊘"),
        ("unsupported", "–"),
        ("error", "E"),
        ("flaky", "~"),
    ];
    let parts: Vec<String> = SIGNS
        .iter()
        .filter_map(|(verdict, sign)| {
            let n = cases.iter().filter(|c| c.verdict == *verdict).count();
            (n > 0).then(|| format!("{n} {sign}"))
        })
        .collect();
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_drop_ids_numbers_and_string_contents() {
        assert_eq!(
            shape(r#"status 400 body {"code":"1","message":"Session ID unknown"}"#),
            shape(r#"status 400 body {"code":"5","message":"Unsupported protocol version"}"#)
        );
        assert_ne!(
            shape(r#"status 400 body {"code":"1","message":"x"}"#),
            shape(r#"status 400 body {"code":1,"message":"x"}"#)
        );
        assert_eq!(shape("close 1002"), shape("close 1007"));
        assert_eq!(shape("text 40{sid:Q-p7PdOSpEvMpN65}"), "text N{sid:ID}");
        // An unterminated quote ends the line.
        assert_eq!(shape(r#"text "abc"#), r#"text "S""#);
    }

    fn case(id: &str, verdict: &str, expected: &str, received: &str) -> CaseView {
        CaseView {
            id: id.into(),
            verdict: verdict.into(),
            failures: vec![super::super::model::FailureView {
                step: "s".into(),
                expected: vec![expected.into()],
                received: vec![received.into()],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn every_cell_that_is_not_pass_has_an_entry() {
        let mut run = Site {
            cases: vec![
                case("a.one", "pass", "", ""),
                case("a.two", "fail", "x", "y"),
                case("b.one", "non-strict", "close 1002", "close 1005"),
                case("a.three", "blocked", "x", "y"),
                case("b.two", "non-strict", "close 1007", "close 1005"),
                case("b.three", "non-strict", "status 204", "status 200"),
                CaseView {
                    id: "c.one".into(),
                    verdict: "unsupported".into(),
                    skipped_because: Some("needs recovery (tier full)".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        run.findings = vec![super::super::model::Finding {
            rule: "r".into(),
            case: "a.two".into(),
            cases: vec!["a.two".into(), "a.three".into()],
            ..Default::default()
        }];
        assert_eq!(explain(&run, &run.cases[0]), None);
        assert_eq!(explain(&run, &run.cases[1]), Some(Explanation::Finding(0)));
        assert_eq!(explain(&run, &run.cases[3]), Some(Explanation::Finding(0)));
        assert_eq!(explain(&run, &run.cases[2]), Some(Explanation::Deviation));
        let groups = deviation_groups(&run);
        let sizes: Vec<usize> = groups.iter().map(|(_, cases)| cases.len()).collect();
        assert_eq!(sizes, vec![2, 1], "close codes together, the status apart");
        assert_eq!(root_causes(&run), 3);
        // Rendered: every non-pass cell's `why` link names an anchor that the page defines.
        let m = Matrix {
            title: "t".into(),
            columns: vec![Column {
                id: "x".into(),
                name: "x".into(),
                site: "x".into(),
                third_party: true,
                run: Some(run),
                ..Default::default()
            }],
            ..Default::default()
        };
        let page = render(&m);
        let whys: Vec<&str> = page
            .split("class=\"why\" href=\"#")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap_or(0)])
            .collect();
        assert_eq!(whys.len(), 6, "six cells that are not pass");
        // One header row per area, though `b.one` comes between two `a.*` cases.
        assert_eq!(page.matches("<tr class=\"area\"").count(), 3);
        for anchor in whys {
            assert!(page.contains(&format!("id=\"{anchor}\"")), "{anchor}");
        }
        assert!(
            summary(&m).contains("| 0 | 1 ✓ 1 ✗ 3 ! 1 ⊘ 1 – | 3 |"),
            "{}",
            summary(&m)
        );
    }
}
