//! The judgement file (`--judgement FILE`, `--bless`): what a target is expected to get, case by
//! case, and why it does not pass where it does not. One committed file per target
//! (`conformance/results/<target>.json`) replaces golden results, known-failure lists and
//! per-case "Node differs" notes: a verdict change is a one-line diff, reviewed with its reason.
//!
//! The file is a JSON object, one entry per line in case registration order:
//!
//! ```json
//! {
//!   "target": "node",
//!   "judgements": [
//!     {"id": "eio.handshake.polling.open", "verdict": "pass"},
//!     {"id": "eio.close.websocket.immediate", "verdict": "non-strict", "reason": "engine.io ignores …"}
//!   ]
//! }
//! ```
//!
//! `reason` is required for every verdict but `pass` and refused on `pass` (the file stays
//! readable: only what needs explaining is explained). A case whose verdict equals its entry is
//! *expected*. A different verdict, an unexpected pass, a case missing from the file, or an entry
//! naming no registered case (stale) is a *difference*. Entries for cases left out by
//! `--filter`/`--exclude` are not checked.
//!
//! `--bless` rewrites the file from a run: reasons are kept where the verdict did not change; a
//! new non-pass verdict gets a placeholder, `TODO: ` and the first failure's rule and step, which
//! the runner warns about until someone writes the real reason.

use crate::failure::clip;
use crate::verdict::{CaseRecord, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What a reason starts with while nobody has written it yet (written by `--bless`).
pub const TODO: &str = "TODO: ";

/// One case's recorded verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Case id.
    pub id: String,
    /// The verdict the case is expected to get.
    pub verdict: Verdict,
    /// Why it does not pass; `None` exactly for `pass`.
    pub reason: Option<String>,
}

/// A whole judgement file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgements {
    /// Which target the file is for (`node`, `reference`, or a name of the user's choice); a
    /// label for readers, not checked against the URL (ports change from run to run).
    pub target: String,
    /// The entries, in case registration order.
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    verdict: String,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    target: String,
    judgements: Vec<RawEntry>,
}

/// Parses the file's text; every rule of the format is checked here, so a run never starts
/// against a file it would misread.
pub fn parse(text: &str) -> Result<Judgements, String> {
    let raw: RawFile = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a judgement file ({{\"target\": …, \"judgements\": [{{id, verdict, reason}}, …]}}): {e}"
        )
    })?;
    let mut seen = BTreeSet::new();
    let mut entries = Vec::with_capacity(raw.judgements.len());
    for (i, r) in raw.judgements.into_iter().enumerate() {
        let at = format!("entry {} ({})", i + 1, r.id);
        let verdict = Verdict::ALL
            .into_iter()
            .find(|v| v.name() == r.verdict)
            .ok_or_else(|| format!("{at}: unknown verdict {:?}", r.verdict))?;
        let reason = match (verdict, r.reason) {
            (Verdict::Pass, None) => None,
            (Verdict::Pass, Some(_)) => {
                return Err(format!("{at}: a `pass` takes no reason (drop the field)"));
            }
            (_, Some(reason)) if !reason.trim().is_empty() => Some(reason),
            (v, _) => {
                return Err(format!(
                    "{at}: `{}` needs a reason: why does the target not pass?",
                    v.name()
                ));
            }
        };
        if !seen.insert(r.id.clone()) {
            return Err(format!("{at}: listed twice"));
        }
        entries.push(Entry {
            id: r.id,
            verdict,
            reason,
        });
    }
    Ok(Judgements {
        target: raw.target,
        entries,
    })
}

/// The file's text: one entry per line (a verdict change is a one-line diff), two-space indent,
/// trailing newline.
pub fn render(file: &Judgements) -> String {
    let string = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let mut out = format!(
        "{{\n  \"target\": {},\n  \"judgements\": [\n",
        string(&file.target)
    );
    for (i, e) in file.entries.iter().enumerate() {
        out.push_str(&format!(
            "    {{\"id\": {}, \"verdict\": {}",
            string(&e.id),
            string(e.verdict.name())
        ));
        if let Some(reason) = &e.reason {
            out.push_str(&format!(", \"reason\": {}", string(reason)));
        }
        out.push('}');
        if i + 1 < file.entries.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("  ]\n}\n");
    out
}

impl Judgements {
    /// An empty file for `target` (what `--bless` starts from when there is no file yet).
    pub fn empty(target: &str) -> Judgements {
        Judgements {
            target: target.to_string(),
            entries: Vec::new(),
        }
    }

    /// The ids whose reason is still a `--bless` placeholder.
    pub fn todos(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| e.reason.as_deref().is_some_and(|r| r.starts_with(TODO)))
            .map(|e| e.id.as_str())
            .collect()
    }
}

/// A non-pass case that got exactly its recorded verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expected {
    /// Case id.
    pub id: String,
    /// Its verdict (never `pass`).
    pub verdict: Verdict,
    /// The recorded reason.
    pub reason: String,
}

/// How a case (or an entry) differs from the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DifferenceKind {
    /// The case got another non-pass verdict than recorded, or failed where a pass is recorded.
    Changed,
    /// The case passed where a non-pass verdict is recorded.
    UnexpectedPass,
    /// The case ran but has no entry.
    Missing,
    /// The entry names no registered case.
    Stale,
}

/// One difference between a run and the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Case id (of the entry, for a stale one).
    pub id: String,
    /// What kind of difference.
    pub kind: DifferenceKind,
    /// The recorded verdict (none for a missing case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Verdict>,
    /// The verdict of this run (none for a stale entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub got: Option<Verdict>,
    /// The recorded reason, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What happened in this run when the case did not pass ([`summary`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |v: Option<Verdict>| v.map_or("?", Verdict::name);
        let reason = self
            .reason
            .as_deref()
            .map_or(String::new(), |r| format!(" (recorded reason: {r})"));
        let detail = self
            .detail
            .as_deref()
            .map_or(String::new(), |d| format!(": {d}"));
        match self.kind {
            DifferenceKind::Changed => write!(
                f,
                "{}: recorded {}, got {}{detail}{reason}",
                self.id,
                name(self.recorded),
                name(self.got)
            ),
            DifferenceKind::UnexpectedPass => write!(
                f,
                "{}: passed unexpectedly, recorded {}{reason}",
                self.id,
                name(self.recorded)
            ),
            DifferenceKind::Missing => write!(
                f,
                "{}: not in the file, got {}{detail}",
                self.id,
                name(self.got)
            ),
            DifferenceKind::Stale => write!(
                f,
                "{}: in the file ({}) but no such case (stale){reason}",
                self.id,
                name(self.recorded)
            ),
        }
    }
}

/// A run judged against a file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Judged {
    /// The file, as given on the command line.
    pub file: String,
    /// Cases that got their recorded verdict, without the passes.
    pub expected: Vec<Expected>,
    /// Cases that got their recorded `pass`.
    pub passed_as_recorded: usize,
    /// Every difference: cases in registration order, then stale entries in file order.
    pub differences: Vec<Difference>,
    /// Ids whose reason is still a `TODO: ` placeholder.
    pub todos: Vec<String>,
}

impl Judged {
    /// The recorded reason of a case that got its recorded non-pass verdict.
    pub fn expected_reason(&self, id: &str) -> Option<&str> {
        self.expected
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.reason.as_str())
    }

    /// The difference about a case, if its verdict is not the recorded one.
    pub fn difference(&self, id: &str) -> Option<&Difference> {
        self.differences.iter().find(|d| d.id == id)
    }
}

/// One line on why a case did not pass: the first failure's rule and step, or why it did not
/// run. The placeholder reason `--bless` writes, and the detail of a difference.
pub fn summary(r: &CaseRecord) -> String {
    let line = if let Some(f) = r.failures.first() {
        match f.rule {
            Some(rule) => format!("{rule} at {}", f.step),
            None => format!("at {}", f.step),
        }
    } else if let Some(why) = &r.skipped_because {
        why.clone()
    } else if let Some(by) = &r.blocked_by {
        format!("blocked by {by}")
    } else {
        r.verdict.name().to_string()
    };
    clip(&line.replace('\n', " "), 200)
}

/// Judges the records of a run against the file. `known` is every registered case id, selected
/// or not: an entry outside it is stale; entries for known cases that did not run are not
/// checked.
pub fn judge(file: &Judgements, records: &[CaseRecord], known: &[&str], path: &str) -> Judged {
    let by_id: BTreeMap<&str, &Entry> = file.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut out = Judged {
        file: path.to_string(),
        todos: file.todos().into_iter().map(str::to_string).collect(),
        ..Judged::default()
    };
    for r in records {
        let detail = (r.verdict != Verdict::Pass).then(|| summary(r));
        let difference = |kind, e: Option<&Entry>| Difference {
            id: r.id.clone(),
            kind,
            recorded: e.map(|e| e.verdict),
            got: Some(r.verdict),
            reason: e.and_then(|e| e.reason.clone()),
            detail: detail.clone(),
        };
        match by_id.get(r.id.as_str()) {
            None => out
                .differences
                .push(difference(DifferenceKind::Missing, None)),
            Some(e) if e.verdict == r.verdict => match &e.reason {
                Some(reason) => out.expected.push(Expected {
                    id: r.id.clone(),
                    verdict: r.verdict,
                    reason: reason.clone(),
                }),
                None => out.passed_as_recorded += 1,
            },
            Some(e) if r.verdict == Verdict::Pass => out
                .differences
                .push(difference(DifferenceKind::UnexpectedPass, Some(e))),
            Some(e) => out
                .differences
                .push(difference(DifferenceKind::Changed, Some(e))),
        }
    }
    for e in &file.entries {
        if !known.contains(&e.id.as_str()) {
            out.differences.push(Difference {
                id: e.id.clone(),
                kind: DifferenceKind::Stale,
                recorded: Some(e.verdict),
                got: None,
                reason: e.reason.clone(),
                detail: None,
            });
        }
    }
    out
}

/// The file after blessing a run: the verdicts of the cases that ran, the old entries of the
/// known cases that did not, in registration order; stale entries dropped. A reason is kept
/// while its verdict stays; a new non-pass verdict gets a `TODO: ` placeholder.
pub fn bless(old: &Judgements, records: &[CaseRecord], known: &[&str]) -> Judgements {
    let old_by_id: BTreeMap<&str, &Entry> =
        old.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let ran: BTreeMap<&str, &CaseRecord> = records.iter().map(|r| (r.id.as_str(), r)).collect();
    let entries = known
        .iter()
        .filter_map(|id| match ran.get(id) {
            None => old_by_id.get(id).map(|e| (*e).clone()),
            Some(r) => {
                let kept = old_by_id
                    .get(id)
                    .filter(|e| e.verdict == r.verdict)
                    .and_then(|e| e.reason.clone());
                let reason = match r.verdict {
                    Verdict::Pass => None,
                    _ => Some(kept.unwrap_or_else(|| format!("{TODO}{}", summary(r)))),
                };
                Some(Entry {
                    id: r.id.clone(),
                    verdict: r.verdict,
                    reason,
                })
            }
        })
        .collect();
    Judgements {
        target: old.target.clone(),
        entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;
    use crate::failure::Failure;

    async fn nothing(_: &mut crate::context::Ctx) -> crate::failure::CaseResult {
        Ok(())
    }

    fn record(id: &'static str, verdict: Verdict) -> CaseRecord {
        CaseRecord::for_case(&Case::new(id, "t", crate::body!(nothing)), verdict)
    }

    fn failed(id: &'static str, verdict: Verdict, rule: &'static str, step: &str) -> CaseRecord {
        let mut r = record(id, verdict);
        let mut f = Failure::assertion(step, "text 1", "text 2");
        // Set directly: the names are made up, `Failure::rule` checks them against the catalogue.
        f.rule = Some(rule);
        r.failures.push(f);
        r
    }

    fn entry(id: &str, verdict: Verdict, reason: Option<&str>) -> Entry {
        Entry {
            id: id.into(),
            verdict,
            reason: reason.map(str::to_string),
        }
    }

    fn file(entries: Vec<Entry>) -> Judgements {
        Judgements {
            target: "t".into(),
            entries,
        }
    }

    #[test]
    fn renders_one_entry_a_line_and_reads_it_back() {
        let f = file(vec![
            entry("a.b.c", Verdict::Pass, None),
            entry("a.b.d", Verdict::NonStrict, Some("a \"quoted\" reason")),
        ]);
        let text = render(&f);
        assert_eq!(
            text,
            "{\n  \"target\": \"t\",\n  \"judgements\": [\n    \
             {\"id\": \"a.b.c\", \"verdict\": \"pass\"},\n    \
             {\"id\": \"a.b.d\", \"verdict\": \"non-strict\", \"reason\": \"a \\\"quoted\\\" reason\"}\n  \
             ]\n}\n"
        );
        assert_eq!(parse(&text).unwrap(), f);
        assert_eq!(parse(&render(&file(vec![]))).unwrap(), file(vec![]));
    }

    #[test]
    fn parsing_rejects_what_the_format_forbids() {
        let one = |e: &str| parse(&format!(r#"{{"target":"t","judgements":[{e}]}}"#));
        assert!(one(r#"{"id":"a","verdict":"fail","reason":"known"}"#).is_ok());
        let missing = one(r#"{"id":"a","verdict":"fail"}"#).unwrap_err();
        assert!(missing.contains("needs a reason"), "{missing}");
        assert!(one(r#"{"id":"a","verdict":"unsupported","reason":"  "}"#).is_err());
        assert!(one(r#"{"id":"a","verdict":"pass","reason":"r"}"#).is_err());
        assert!(one(r#"{"id":"a","verdict":"great"}"#).is_err());
        assert!(one(r#"{"id":"a","verdict":"pass","extra":1}"#).is_err());
        assert!(one(r#"{"id":"a","verdict":"pass"},{"id":"a","verdict":"pass"}"#).is_err());
        // The formats this one replaces are refused, not half-read.
        assert!(parse(r#"[{"id":"a","verdict":"pass"}]"#).is_err());
        assert!(parse(r#"{"expected":[{"id":"a","verdict":"fail","reason":"r"}]}"#).is_err());
    }

    #[test]
    fn expected_changed_unexpected_pass_missing_and_stale() {
        let f = file(vec![
            entry("x.y.passes", Verdict::Pass, None),
            entry("x.y.known", Verdict::NonStrict, Some("Node differs")),
            entry("x.y.fixed", Verdict::Fail, Some("fixed since")),
            entry("x.y.worse", Verdict::NonStrict, Some("was a SHOULD")),
            entry("x.y.broke", Verdict::Pass, None),
            entry("x.y.gone", Verdict::Fail, Some("renamed")),
            entry("x.y.unselected", Verdict::Fail, Some("filtered out")),
        ]);
        let records = [
            record("x.y.passes", Verdict::Pass),
            failed("x.y.known", Verdict::NonStrict, "eio.close", "close"),
            record("x.y.fixed", Verdict::Pass),
            failed("x.y.worse", Verdict::Fail, "eio.ping", "ping"),
            failed("x.y.broke", Verdict::Fail, "sio.ack", "ack"),
            record("x.y.new", Verdict::Pass),
        ];
        let known = [
            "x.y.passes",
            "x.y.known",
            "x.y.fixed",
            "x.y.worse",
            "x.y.broke",
            "x.y.new",
            "x.y.unselected",
        ];
        let j = judge(&f, &records, &known, "f.json");
        assert_eq!(j.passed_as_recorded, 1);
        assert_eq!(j.expected_reason("x.y.known"), Some("Node differs"));
        let kinds: Vec<(&str, DifferenceKind)> = j
            .differences
            .iter()
            .map(|d| (d.id.as_str(), d.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("x.y.fixed", DifferenceKind::UnexpectedPass),
                ("x.y.worse", DifferenceKind::Changed),
                ("x.y.broke", DifferenceKind::Changed),
                ("x.y.new", DifferenceKind::Missing),
                ("x.y.gone", DifferenceKind::Stale),
            ]
        );
        let lines: Vec<String> = j.differences.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            lines[0],
            "x.y.fixed: passed unexpectedly, recorded fail (recorded reason: fixed since)"
        );
        assert_eq!(
            lines[1],
            "x.y.worse: recorded non-strict, got fail: eio.ping at ping (recorded reason: was a SHOULD)"
        );
        assert_eq!(
            lines[2],
            "x.y.broke: recorded pass, got fail: sio.ack at ack"
        );
        assert!(lines[4].contains("stale") && lines[4].contains("renamed"));
        assert!(j.difference("x.y.unselected").is_none());
        assert!(j.difference("x.y.known").is_none());
    }

    #[test]
    fn bless_keeps_reasons_and_marks_new_ones_todo() {
        let old = file(vec![
            entry("x.y.known", Verdict::NonStrict, Some("Node differs")),
            entry("x.y.fixed", Verdict::Fail, Some("fixed since")),
            entry("x.y.worse", Verdict::NonStrict, Some("was a SHOULD")),
            entry("x.y.unselected", Verdict::Unsupported, Some("no EIO3")),
            entry("x.y.gone", Verdict::Fail, Some("renamed")),
        ]);
        let mut skipped = record("x.y.new", Verdict::Unsupported);
        skipped.skipped_because = Some("the target does not offer: recovery".into());
        let records = [
            failed("x.y.known", Verdict::NonStrict, "eio.close", "close"),
            record("x.y.fixed", Verdict::Pass),
            failed("x.y.worse", Verdict::Fail, "eio.ping", "ping"),
            skipped,
        ];
        let known = [
            "x.y.known",
            "x.y.fixed",
            "x.y.worse",
            "x.y.new",
            "x.y.unselected",
        ];
        let new = bless(&old, &records, &known);
        assert_eq!(
            new.entries,
            [
                entry("x.y.known", Verdict::NonStrict, Some("Node differs")),
                entry("x.y.fixed", Verdict::Pass, None),
                entry("x.y.worse", Verdict::Fail, Some("TODO: eio.ping at ping")),
                entry(
                    "x.y.new",
                    Verdict::Unsupported,
                    Some("TODO: the target does not offer: recovery")
                ),
                entry("x.y.unselected", Verdict::Unsupported, Some("no EIO3")),
            ]
        );
        assert_eq!(new.todos(), ["x.y.worse", "x.y.new"]);
        // What was blessed reads back and judges the same run without a difference.
        let again = parse(&render(&new)).unwrap();
        let j = judge(&again, &records, &known, "f.json");
        assert!(j.differences.is_empty(), "{:?}", j.differences);
        assert_eq!(j.todos, ["x.y.worse", "x.y.new"]);
    }

    /// The committed files name every registered case once, in registration order, with no
    /// placeholder left; and the Node file records the documented Node differences and the
    /// transcripts that cannot be replayed as exactly what they are. Adding a case without
    /// blessing the files fails here, without a server.
    #[test]
    fn the_committed_files_cover_every_case() {
        let cases = crate::cases::all();
        let ids: Vec<&str> = cases.iter().map(|c| c.id).collect();
        for (name, text) in [
            ("node", include_str!("../results/node.json")),
            ("reference", include_str!("../results/reference.json")),
        ] {
            let f = parse(text).unwrap_or_else(|e| panic!("results/{name}.json: {e}"));
            assert_eq!(f.target, name);
            let listed: Vec<&str> = f.entries.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(listed, ids, "results/{name}.json: bless it");
            assert!(f.todos().is_empty(), "results/{name}.json: {:?}", f.todos());
        }
        let node = parse(include_str!("../results/node.json")).unwrap();
        for (c, e) in cases.iter().zip(&node.entries) {
            let want = if c.unsupported_because.is_some() {
                Verdict::Unsupported
            } else if c.node_differs.is_some() {
                Verdict::NonStrict
            } else {
                Verdict::Pass
            };
            assert_eq!(e.verdict, want, "results/node.json: {}", c.id);
        }
    }
}
