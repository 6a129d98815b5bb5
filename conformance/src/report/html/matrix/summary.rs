//! The matrix summary for the top README: implementations against areas, counts per verdict.

use super::super::model::CaseView;
use super::page::root_causes;
use super::*;
use std::fmt::Write;

/// The coarse areas of the README summary: a case id's first part.
pub(super) const FAMILIES: [(&str, &str); 5] = [
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
pub(super) fn counts(cases: &[&CaseView]) -> String {
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
