//! One finding per root cause. A deviation from a catalogue rule ([`crate::catalogue`]) is
//! reported once: the first case, in registration order, whose first deviation is under the
//! rule keeps its verdict and carries the finding; every later case whose first deviation is
//! under the same rule is `blocked` by it, so one bug in opening a session does not read as a
//! hundred failures.

use crate::case::Level;
use crate::catalogue;
use crate::verdict::{CaseRecord, Verdict};
use serde::Serialize;

/// One root cause and the cases it affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The catalogue rule, or the Engine.IO case that reports a deviation of the engine.
    pub rule: String,
    /// Its level.
    pub level: Level,
    /// The rule (or case) in one sentence.
    pub title: String,
    /// The case that reports it (its record holds the expected and received frames).
    pub case: String,
    /// The step of that case where the rule broke.
    pub step: String,
    /// What was expected there.
    pub expected: Vec<String>,
    /// What arrived.
    pub received: Vec<String>,
    /// Every case it affected, the reporting case first.
    pub cases: Vec<String>,
}

/// The root cause of a record's first deviation, if it has a name: a catalogue rule, or, for
/// the Socket.IO server's copy of an Engine.IO case (`sio.engine.<x>`), the echo server's case
/// `eio.<x>` when that one broke at the same step (one engine, one bug).
fn root_cause(record: &CaseRecord, failed: &[(String, String)]) -> Option<(String, Level, String)> {
    let first = record.failures.first()?;
    if let Some(rule) = first.rule.and_then(catalogue::rule) {
        return Some((rule.id.to_string(), rule.level, rule.title.to_string()));
    }
    // The pair registered from one Engine.IO body: `eio.<x>` and `sio.engine.<x>`.
    let (eio, twin) = match (
        record.id.strip_prefix("eio."),
        record.id.strip_prefix("sio.engine."),
    ) {
        (Some(tail), _) => (record.id.clone(), format!("sio.engine.{tail}")),
        (_, Some(tail)) => (format!("eio.{tail}"), format!("eio.{tail}")),
        _ => return None,
    };
    let same_step = |step: &str| {
        step.replace("/engine.io/", "/socket.io/")
            == first.step.replace("/engine.io/", "/socket.io/")
    };
    // The level of what broke: a non-strict case broke only SHOULD checks.
    let level = if record.verdict == Verdict::NonStrict {
        Level::Should
    } else {
        record.level
    };
    failed
        .iter()
        .any(|(id, step)| *id == twin && same_step(step))
        .then(|| (eio, level, record.title.clone()))
}

/// A replay whose server pinged where Node's transcript has no ping, on a target already
/// found to ping early: Node's transcript times everything from a first ping pingInterval
/// after the open packet, so what went wrong after that early ping is the early ping's doing
/// (the hand-written cases judge the rest with the ping answered).
fn met_an_early_ping(record: &CaseRecord, findings: &[Finding]) -> Option<(String, Level, String)> {
    let early = findings
        .iter()
        .find(|f| f.rule == catalogue::FIRST_PING_NOT_EARLY)?;
    let first = record.failures.first()?;
    let pinged = record
        .tolerances
        .iter()
        .any(|t| t.contains("ping `2` the transcript does not have"))
        || first
            .received
            .iter()
            .any(|r| r == "status 200 body 2" || r == "text 2");
    // Only a broken MUST: a SHOULD the replay broke (a header, a wording) is its own matter.
    (record.id.starts_with("replay.") && record.verdict == Verdict::Fail && pinged)
        .then(|| (early.rule.clone(), early.level, early.title.clone()))
}

/// Groups the records (in registration order) by the root cause of their first deviation,
/// marks all but the first of each group `blocked`, and returns the findings.
pub fn group(records: &mut [CaseRecord]) -> Vec<Finding> {
    let judged = |r: &CaseRecord| {
        matches!(
            r.verdict,
            Verdict::Fail | Verdict::NonStrict | Verdict::Flaky
        )
    };
    let failed: Vec<(String, String)> = records
        .iter()
        .filter(|r| judged(r))
        .filter_map(|r| r.failures.first().map(|f| (r.id.clone(), f.step.clone())))
        .collect();
    let mut findings: Vec<Finding> = Vec::new();
    for record in records.iter_mut() {
        if !judged(record) {
            continue;
        }
        let cause = root_cause(record, &failed).or_else(|| met_an_early_ping(record, &findings));
        let Some((cause, level, title)) = cause else {
            continue;
        };
        let first = record.failures.first().expect("a root cause has a failure");
        match findings.iter_mut().find(|f| f.rule == cause) {
            Some(finding) => {
                finding.cases.push(record.id.clone());
                record.verdict = Verdict::Blocked;
                record.blocked_by = Some(format!("{cause} (reported by {})", finding.case));
            }
            None => findings.push(Finding {
                rule: cause,
                level,
                title,
                case: record.id.clone(),
                step: first.step.clone(),
                expected: first.expected.clone(),
                received: first.received.clone(),
                cases: vec![record.id.clone()],
            }),
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;
    use crate::failure::Failure;

    async fn nothing(_: &mut crate::context::Ctx) -> crate::failure::CaseResult {
        Ok(())
    }

    fn record(id: &'static str, verdict: Verdict, rule: Option<&'static str>) -> CaseRecord {
        let case = Case::new(id, "t", crate::body!(nothing)).spec("doc", "§1");
        let mut r = CaseRecord::for_case(&case, verdict);
        let mut f = Failure::assertion("CONNECT reply", "text 40{…}", "text 42[\"auth\",{}]");
        f.rule = rule;
        r.failures.push(f);
        r
    }

    #[test]
    fn an_engine_case_and_its_socketio_twin_are_one_finding() {
        let mut records = vec![
            record("eio.x.case", Verdict::Fail, None),
            record("sio.engine.x.case", Verdict::Fail, None),
            record("sio.engine.y.case", Verdict::Fail, None),
        ];
        let findings = group(&mut records);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].rule, "eio.x.case");
        assert_eq!(records[1].verdict, Verdict::Blocked);
        // No twin failed: its own verdict.
        assert_eq!(records[2].verdict, Verdict::Fail);
        // A pair that broke only a SHOULD is a SHOULD finding, whatever the case's level.
        let mut records = vec![
            record("eio.z.case", Verdict::NonStrict, None),
            record("sio.engine.z.case", Verdict::NonStrict, None),
        ];
        let findings = group(&mut records);
        assert_eq!(findings[0].level, Level::Should);
    }

    #[test]
    fn a_replay_thrown_by_an_early_ping_is_blocked_by_it_only_once_it_is_found() {
        let early = Some(catalogue::FIRST_PING_NOT_EARLY);
        let mut pinged = record("replay.a.pinged", Verdict::Fail, None);
        pinged.failures[0].received = vec!["status 200 body 2".into()];
        let mut tolerated = record("replay.a.tolerated", Verdict::Fail, None);
        tolerated
            .tolerances
            .push("line 3: heartbeat ping `2` the transcript does not have, answered".into());
        let other = record("replay.a.other", Verdict::Fail, None);
        let mut should_only = tolerated.clone();
        should_only.id = "replay.a.should-only".into();
        should_only.verdict = Verdict::NonStrict;
        let mut records = vec![
            record("eio.x.first-ping", Verdict::NonStrict, early),
            pinged.clone(),
            tolerated,
            other,
            should_only,
        ];
        group(&mut records);
        let verdicts: Vec<Verdict> = records.iter().map(|r| r.verdict).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::NonStrict,
                Verdict::Blocked,
                Verdict::Blocked,
                Verdict::Fail,
                Verdict::NonStrict
            ]
        );
        // Without the finding, a ping the transcript lacks is the replay's own failure.
        let mut alone = vec![pinged];
        group(&mut alone);
        assert_eq!(alone[0].verdict, Verdict::Fail);
    }

    #[test]
    fn one_finding_per_rule_the_rest_blocked() {
        let reply = Some(catalogue::CONNECT_REPLY);
        let mut records = vec![
            record("sio.a.one", Verdict::Fail, reply),
            record("sio.a.own", Verdict::Fail, None),
            record("sio.a.two", Verdict::NonStrict, reply),
            record("sio.a.three", Verdict::Fail, reply),
            record("sio.a.pass", Verdict::Pass, None),
        ];
        let findings = group(&mut records);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].case, "sio.a.one");
        assert_eq!(findings[0].cases, ["sio.a.one", "sio.a.two", "sio.a.three"]);
        let verdicts: Vec<Verdict> = records.iter().map(|r| r.verdict).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Fail,
                Verdict::Fail,
                Verdict::Blocked,
                Verdict::Blocked,
                Verdict::Pass
            ]
        );
        assert_eq!(
            records[2].blocked_by.as_deref(),
            Some("sio.connect.reply (reported by sio.a.one)")
        );
    }
}
