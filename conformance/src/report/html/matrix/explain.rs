//! Why a cell of the matrix is not `pass`: the runner's finding it belongs to, or, for a
//! deviation under no catalogue rule, the group of deviations of the same shape (what was
//! expected against what came, with ids, numbers and string contents left out).

use super::super::escape::file_name;
use super::super::model::{CaseView, Site};
use super::Column;

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
pub(super) fn anchor(column: &Column, explanation: &Explanation, case_id: &str) -> String {
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
pub(super) fn shape(line: &str) -> String {
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
pub(super) fn signature(case: &CaseView) -> String {
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

pub(super) fn signature_of(case_id: &str, run: Option<&Site>) -> String {
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
pub(super) fn short_hash(s: &str) -> String {
    let h = s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:08x}", h >> 32)
}

/// The one-line text of an explanation (cell tooltips).
pub(super) fn explanation_text(run: &Site, case: &CaseView, e: &Explanation) -> String {
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
