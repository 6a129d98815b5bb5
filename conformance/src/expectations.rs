//! Known failures (`--expectations FILE`): a committed list of cases that do not pass against
//! a given server, each with the verdict it gets and why (DESIGN idiom 4, after rustls' BoGo
//! config and tungstenite's Autobahn expected results).
//!
//! The file is JSON, an array of entries (or an object with an `expected` array):
//!
//! ```json
//! [{"id": "sio.recovery.expired", "verdict": "fail", "reason": "sessions never expire yet"}]
//! ```
//!
//! A listed case that gets exactly the listed verdict is *expected*: it does not fail the run.
//! The run fails (exit 1), with a message naming the entry, when a listed case passes
//! (unexpected pass: remove the entry), gets another verdict, or when an entry names no case
//! at all (stale id). Entries for cases left out by `--filter`/`--exclude` are not checked.

use crate::verdict::{CaseRecord, Verdict};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One known failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The case id.
    pub id: String,
    /// The verdict the case is known to get (not `pass`).
    pub verdict: Verdict,
    /// Why; shown in reports, required.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    verdict: String,
    reason: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFile {
    List(Vec<RawEntry>),
    Object { expected: Vec<RawEntry> },
}

/// Parses the file's text.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let raw: RawFile = serde_json::from_str(text).map_err(|e| {
        format!(
            "not a JSON array of {{id, verdict, reason}} entries (or {{\"expected\": [...]}}): {e}"
        )
    })?;
    let raw = match raw {
        RawFile::List(l) | RawFile::Object { expected: l } => l,
    };
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let verdict = Verdict::ALL
            .into_iter()
            .find(|v| v.name() == r.verdict)
            .ok_or_else(|| {
                format!(
                    "entry {} ({}): unknown verdict {:?}",
                    i + 1,
                    r.id,
                    r.verdict
                )
            })?;
        if verdict == Verdict::Pass {
            return Err(format!(
                "entry {} ({}): `pass` is not a known failure",
                i + 1,
                r.id
            ));
        }
        if r.reason.trim().is_empty() {
            return Err(format!("entry {} ({}): the reason is empty", i + 1, r.id));
        }
        if seen.insert(r.id.clone(), i).is_some() {
            return Err(format!("entry {} ({}): listed twice", i + 1, r.id));
        }
        out.push(Entry {
            id: r.id,
            verdict,
            reason: r.reason,
        });
    }
    Ok(out)
}

/// What the expectations made of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Ids of cases that got exactly their listed verdict.
    pub expected: Vec<String>,
    /// Why the run fails because of the file: unexpected passes, other verdicts, stale entries.
    pub problems: Vec<String>,
}

/// Checks the run's records against the entries. `known_ids` are every registered case id
/// (selected or not): an entry outside it is stale.
pub fn check(entries: &[Entry], records: &[CaseRecord], known_ids: &[&str]) -> Outcome {
    let mut out = Outcome::default();
    for e in entries {
        if !known_ids.contains(&e.id.as_str()) {
            out.problems.push(format!(
                "expectations entry {:?} matches no case (stale id?)",
                e.id
            ));
            continue;
        }
        let Some(r) = records.iter().find(|r| r.id == e.id) else {
            continue; // not selected in this run
        };
        if r.verdict == e.verdict {
            out.expected.push(e.id.clone());
        } else if r.verdict == Verdict::Pass {
            out.problems.push(format!(
                "expectations entry {:?} (expected {}: {}) passed unexpectedly: remove the entry",
                e.id,
                e.verdict.name(),
                e.reason
            ));
        } else {
            out.problems.push(format!(
                "expectations entry {:?} expected {} but the case got {}",
                e.id,
                e.verdict.name(),
                r.verdict.name()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;

    fn record(id: &'static str, verdict: Verdict) -> CaseRecord {
        fn nop(
            _: &mut crate::context::Ctx,
        ) -> crate::case::BoxFuture<'_, crate::failure::CaseResult> {
            Box::pin(async { Ok(()) })
        }
        CaseRecord::for_case(&Case::new(id, "t", nop), verdict)
    }

    #[test]
    fn parsing() {
        let e = parse(r#"[{"id":"a.b.c","verdict":"fail","reason":"not yet"}]"#).unwrap();
        assert_eq!(e[0].verdict, Verdict::Fail);
        let o =
            parse(r#"{"expected":[{"id":"a.b.c","verdict":"non-strict","reason":"r"}]}"#).unwrap();
        assert_eq!(o[0].verdict, Verdict::NonStrict);
        assert!(parse(r#"[{"id":"a.b.c","verdict":"pass","reason":"r"}]"#).is_err());
        assert!(parse(r#"[{"id":"a.b.c","verdict":"nope","reason":"r"}]"#).is_err());
        assert!(parse(r#"[{"id":"a.b.c","verdict":"fail","reason":" "}]"#).is_err());
        assert!(parse(r#"[{"id":"a.b.c","verdict":"fail"}]"#).is_err());
        assert!(parse(
            r#"[{"id":"a.b.c","verdict":"fail","reason":"r"},{"id":"a.b.c","verdict":"fail","reason":"r"}]"#
        )
        .is_err());
    }

    #[test]
    fn expected_unexpected_and_stale() {
        let entries = parse(
            r#"[{"id":"x.y.fails","verdict":"fail","reason":"known"},
                {"id":"x.y.passes","verdict":"fail","reason":"fixed since"},
                {"id":"x.y.errors","verdict":"fail","reason":"other verdict"},
                {"id":"x.y.gone","verdict":"fail","reason":"renamed"},
                {"id":"x.y.unselected","verdict":"fail","reason":"filtered out"}]"#,
        )
        .unwrap();
        let records = [
            record("x.y.fails", Verdict::Fail),
            record("x.y.passes", Verdict::Pass),
            record("x.y.errors", Verdict::Error),
        ];
        let known = ["x.y.fails", "x.y.passes", "x.y.errors", "x.y.unselected"];
        let o = check(&entries, &records, &known);
        assert_eq!(o.expected, ["x.y.fails"]);
        assert_eq!(o.problems.len(), 3, "{:?}", o.problems);
        assert!(o.problems[0].contains("x.y.passes") && o.problems[0].contains("unexpectedly"));
        assert!(o.problems[1].contains("x.y.errors") && o.problems[1].contains("got error"));
        assert!(o.problems[2].contains("x.y.gone") && o.problems[2].contains("matches no case"));
    }
}
