//! Verdicts, the per-case record the reports are written from, and the exit code.
//!
//! | verdict | meaning |
//! |---|---|
//! | pass | every check held |
//! | fail | a MUST check broke |
//! | non-strict | only SHOULD checks broke |
//! | unsupported | the target lacks a capability the case needs (declared or detected) |
//! | error | the harness could not run the case (connection refused, no answer at all) |
//! | flaky | an attempt failed, a retry passed (`--retries N`) |
//! | blocked | its first deviation is a finding already reported under another case |

use crate::case::{Case, Level, Official, SpecRef};
use crate::driver::Entry;
use crate::failure::{Failure, FailureKind};
use serde::Serialize;

/// The verdict of one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check held.
    Pass,
    /// A MUST check broke.
    Fail,
    /// Only SHOULD checks broke.
    NonStrict,
    /// The target lacks a capability the case needs.
    Unsupported,
    /// The harness could not run the case.
    Error,
    /// Failed, then passed on a retry.
    Flaky,
    /// The first deviation is a rule already reported as a finding by another case.
    Blocked,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 7] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::NonStrict,
        Verdict::Unsupported,
        Verdict::Error,
        Verdict::Flaky,
        Verdict::Blocked,
    ];

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NonStrict => "non-strict",
            Verdict::Unsupported => "unsupported",
            Verdict::Error => "error",
            Verdict::Flaky => "flaky",
            Verdict::Blocked => "blocked",
        }
    }

    /// Whether a retry could change it.
    pub fn retryable(self) -> bool {
        matches!(self, Verdict::Fail | Verdict::NonStrict | Verdict::Error)
    }
}

/// Judges one attempt: the body's result, the SHOULD-level deviations it recorded, the level.
///
/// A failure under a catalogue rule is judged at the rule's level: a MUST broken on the way
/// through a SHOULD case (opening the session, joining a namespace) fails it, and a SHOULD
/// rule that stops a MUST case leaves it non-strict.
pub fn judge(level: Level, result: &Result<(), Failure>, soft: &[Failure]) -> Verdict {
    let rule_level = |f: &Failure| f.rule.and_then(crate::catalogue::rule).map(|r| r.level);
    match result {
        Err(f) if f.kind == FailureKind::Harness => Verdict::Error,
        Err(f) => match rule_level(f).unwrap_or(level) {
            Level::Must => Verdict::Fail,
            Level::Should => Verdict::NonStrict,
        },
        Ok(()) if !soft.is_empty() => Verdict::NonStrict,
        Ok(()) => Verdict::Pass,
    }
}

/// Combines the verdicts of successive attempts (the runner stops at the first pass).
pub fn combine(attempts: &[Verdict]) -> Verdict {
    match attempts {
        [] => Verdict::Error,
        [only] => *only,
        [.., last] if *last == Verdict::Pass => Verdict::Flaky,
        [.., last] => *last,
    }
}

/// Everything known about one case after the run.
#[derive(Clone, Debug, Serialize)]
pub struct CaseRecord {
    /// Case id.
    pub id: String,
    /// Case title.
    pub title: String,
    /// MUST / SHOULD.
    pub level: Level,
    /// Tags.
    pub tags: Vec<String>,
    /// Spec reference.
    pub spec: SpecRef,
    /// Official suite case, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub official: Option<Official>,
    /// Known Node difference, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_differs: Option<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// How many attempts ran (0 for unsupported).
    pub attempts: u32,
    /// Wall time of the last attempt, ms.
    pub duration_ms: u64,
    /// Why the case did not pass: the MUST failure first, then SHOULD deviations. For flaky
    /// cases, the failures of the failed attempt.
    pub failures: Vec<Failure>,
    /// How the session was closed, where the case observes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
    /// Why the case was not run, for unsupported cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
    /// The documented comparison tolerances the case used (replay cases), one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerances: Vec<String>,
    /// The wire transcript of the last attempt (of the failed one for flaky cases).
    pub transcript: Vec<Entry>,
    /// The case is `error` because the server stopped answering during the run (the run's
    /// headline says when); reports list such cases in one line.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub server_stopped: bool,
    /// For a `blocked` case: the rule of the finding that blocks it, and the case reporting it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
}

impl CaseRecord {
    /// A record with no attempt yet.
    pub fn for_case(case: &Case, verdict: Verdict) -> CaseRecord {
        CaseRecord {
            id: case.id.to_string(),
            title: case.title.to_string(),
            level: case.level,
            tags: case.tags.iter().map(|s| s.to_string()).collect(),
            spec: case.spec,
            official: case.official,
            node_differs: case.node_differs.map(str::to_string),
            verdict,
            attempts: 0,
            duration_ms: 0,
            failures: Vec::new(),
            closed: None,
            skipped_because: None,
            tolerances: Vec::new(),
            transcript: Vec::new(),
            server_stopped: false,
            blocked_by: None,
        }
    }
}

/// Counts per verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Total cases.
    pub total: usize,
    /// pass
    pub pass: usize,
    /// fail
    pub fail: usize,
    /// non-strict
    pub non_strict: usize,
    /// unsupported
    pub unsupported: usize,
    /// error
    pub error: usize,
    /// flaky
    pub flaky: usize,
    /// blocked
    pub blocked: usize,
}

impl Summary {
    /// Counts the records.
    pub fn of(records: &[CaseRecord]) -> Summary {
        let mut s = Summary {
            total: records.len(),
            ..Summary::default()
        };
        for r in records {
            match r.verdict {
                Verdict::Pass => s.pass += 1,
                Verdict::Fail => s.fail += 1,
                Verdict::NonStrict => s.non_strict += 1,
                Verdict::Unsupported => s.unsupported += 1,
                Verdict::Error => s.error += 1,
                Verdict::Flaky => s.flaky += 1,
                Verdict::Blocked => s.blocked += 1,
            }
        }
        s
    }

    /// The count for a verdict.
    pub fn count(&self, v: Verdict) -> usize {
        match v {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::NonStrict => self.non_strict,
            Verdict::Unsupported => self.unsupported,
            Verdict::Error => self.error,
            Verdict::Flaky => self.flaky,
            Verdict::Blocked => self.blocked,
        }
    }

    /// `70 cases: 68 pass, 1 fail, 1 unsupported` (zero counts left out).
    pub fn line(&self) -> String {
        let parts: Vec<String> = Verdict::ALL
            .iter()
            .filter(|v| self.count(**v) > 0)
            .map(|v| format!("{} {}", self.count(*v), v.name()))
            .collect();
        format!("{} cases: {}", self.total, parts.join(", "))
    }
}

/// Exit codes of the runner (documented in conformance/README.md).
pub mod exit {
    /// Every case ran and no MUST broke (pass, non-strict, unsupported and flaky are all fine).
    pub const OK: u8 = 0;
    /// At least one case failed a MUST.
    pub const FAILURES: u8 = 1;
    /// A usage error, or the harness could not run some case (verdict `error`).
    pub const HARNESS: u8 = 2;
    /// `--judgement`: some verdict differs from the judgement file ([`crate::judgement`]).
    pub const JUDGEMENT_DIFFERS: u8 = 3;
}

/// The exit code for a run: harness errors first (results are incomplete), then failures.
/// With `strict` (`--strict`, as h2spec), a broken SHOULD (`non-strict`) is a failure too.
pub fn exit_code(summary: &Summary, strict: bool) -> u8 {
    if summary.error > 0 {
        exit::HARNESS
    } else if summary.fail > 0 || (strict && summary.non_strict > 0) {
        exit::FAILURES
    } else {
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(kind: FailureKind) -> Failure {
        Failure {
            kind,
            step: "s".into(),
            expected: vec![],
            received: vec![],
            note: None,
            rule: None,
        }
    }

    #[test]
    fn judging() {
        let a = Err(failure(FailureKind::Assertion));
        let h = Err(failure(FailureKind::Harness));
        assert_eq!(judge(Level::Must, &Ok(()), &[]), Verdict::Pass);
        assert_eq!(judge(Level::Must, &a, &[]), Verdict::Fail);
        assert_eq!(judge(Level::Should, &a, &[]), Verdict::NonStrict);
        assert_eq!(judge(Level::Should, &h, &[]), Verdict::Error);
        assert_eq!(
            judge(Level::Must, &Ok(()), &[failure(FailureKind::Assertion)]),
            Verdict::NonStrict
        );
        // A MUST rule broken on the way through a SHOULD case fails it.
        let must = Err(failure(FailureKind::Assertion).rule(crate::catalogue::CONNECT_REPLY));
        assert_eq!(judge(Level::Should, &must, &[]), Verdict::Fail);
    }

    #[test]
    fn combining_attempts() {
        assert_eq!(combine(&[Verdict::Pass]), Verdict::Pass);
        assert_eq!(combine(&[Verdict::Fail, Verdict::Pass]), Verdict::Flaky);
        assert_eq!(combine(&[Verdict::Error, Verdict::Fail]), Verdict::Fail);
        assert_eq!(combine(&[Verdict::Unsupported]), Verdict::Unsupported);
    }

    #[test]
    fn exit_codes() {
        let mut s = Summary {
            total: 3,
            pass: 1,
            non_strict: 1,
            unsupported: 1,
            ..Summary::default()
        };
        assert_eq!(exit_code(&s, false), exit::OK);
        assert_eq!(
            exit_code(&s, true),
            exit::FAILURES,
            "--strict fails a broken SHOULD"
        );
        s.flaky = 1;
        assert_eq!(exit_code(&s, false), exit::OK);
        s.fail = 1;
        assert_eq!(exit_code(&s, false), exit::FAILURES);
        s.error = 1;
        assert_eq!(exit_code(&s, false), exit::HARNESS);
        assert_eq!(
            s.line(),
            "3 cases: 1 pass, 1 fail, 1 non-strict, 1 unsupported, 1 error, 1 flaky"
        );
    }
}
