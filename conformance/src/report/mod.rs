//! Reports of a run: a terminal summary, JSON (index + per-case records with the transcript),
//! JUnit XML, Markdown for a PR comment and a static HTML site (`html`, rendered from the JSON).
//! All are pure renderers over [`Report`].

pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod terminal;
pub mod views;

use crate::config::Timings;
use crate::verdict::{CaseRecord, Summary};
use serde::Serialize;

/// Everything a report needs.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The server under test (`http://127.0.0.1:3000`).
    pub target: String,
    /// Capabilities the run assumed.
    pub capabilities: Vec<String>,
    /// Whether they were declared (`--capability`) or detected.
    pub capabilities_from: String,
    /// The contract tier those capabilities make up (`protocol`, `official`, `full`, or `none`).
    pub tier: String,
    /// What detection looked for and did not find, one line each (empty when declared).
    pub detection: Vec<String>,
    /// The timings of the Socket.IO server (or the echo server, if that is all there is).
    pub timings: Timings,
    /// Wall time of the whole run, ms.
    pub duration_ms: u64,
    /// Counts per verdict.
    pub summary: Summary,
    /// One record per selected case, in registration order.
    pub records: Vec<CaseRecord>,
    /// One per root cause, in the order of the cases that report them.
    pub findings: Vec<crate::findings::Finding>,
    /// Set when the server stopped answering during the run: the one headline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_stopped: Option<String>,
    /// `--strict`: a broken SHOULD fails the run, and the reports count it as a failure.
    pub strict: bool,
    /// `--judgement`: the run judged against the file; reports show a case that got its
    /// recorded non-pass verdict as expected, with the recorded reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judgement: Option<crate::judgement::Judged>,
    /// The command that reruns a selection (a `--filter` is appended).
    #[serde(skip)]
    pub rerun: String,
    /// `--server-cmd`: the server the runner started for this run, and where its output is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<StartedServer>,
}

/// A server the runner started itself (`--server-cmd`).
#[derive(Clone, Debug, Serialize)]
pub struct StartedServer {
    /// The shell command.
    pub command: String,
    /// The file with its stdout and stderr.
    pub log: String,
}

impl Report {
    /// The one-line command that reruns just this case.
    pub fn rerun_command(&self, id: &str) -> String {
        format!("{} --filter '{id}'", self.rerun)
    }

    /// Records that did not pass (fail, non-strict, error, flaky), in order, leaving out the
    /// cases cut short by a server that stopped answering ([`Report::cut_short`]).
    pub fn problems(&self) -> impl Iterator<Item = &CaseRecord> {
        use crate::verdict::Verdict::*;
        self.records
            .iter()
            .filter(|r| matches!(r.verdict, Fail | NonStrict | Error | Flaky) && !r.server_stopped)
    }

    /// The recorded reason of a case that got its recorded non-pass verdict (`--judgement`).
    pub fn expected_reason(&self, id: &str) -> Option<&str> {
        self.judgement.as_ref()?.expected_reason(id)
    }

    /// The difference from the judgement file about a case, if any (`--judgement`).
    pub fn difference(&self, id: &str) -> Option<&crate::judgement::Difference> {
        self.judgement.as_ref()?.difference(id)
    }

    /// The cases that are `error` because the server stopped answering (one line in reports).
    pub fn cut_short(&self) -> Vec<&str> {
        self.records
            .iter()
            .filter(|r| r.server_stopped)
            .map(|r| r.id.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Case;
    use crate::driver::Transcript;
    use crate::driver::transcript::{Dir, Payload, Transport};
    use crate::failure::Failure;
    use crate::verdict::Verdict;

    async fn nothing(_: &mut crate::context::Ctx) -> crate::failure::CaseResult {
        Ok(())
    }

    fn sample() -> Report {
        let case = |id| Case::new(id, "a title", crate::body!(nothing)).spec("doc", "§1");
        let pass = CaseRecord::for_case(&case("eio.a.pass"), Verdict::Pass);
        let mut fail = CaseRecord::for_case(&case("eio.a.fail"), Verdict::Fail);
        fail.failures.push(Failure::assertion(
            "GET <x>",
            "text 4hello",
            "text 4bye & more",
        ));
        let t = Transcript::new();
        t.push(
            "ws#1",
            Transport::Websocket,
            Dir::In,
            "text",
            vec![],
            Payload::Text(b"4bye"),
        );
        t.push(
            "ws#1",
            Transport::Websocket,
            Dir::In,
            "binary",
            vec![],
            Payload::Binary(&[1, 2]),
        );
        fail.transcript = t.entries();
        let mut unsupported =
            CaseRecord::for_case(&case("sio.a.unsupported"), Verdict::Unsupported);
        unsupported.skipped_because = Some("the target does not offer: recovery".into());
        let records = vec![pass, fail, unsupported];
        Report {
            target: "http://127.0.0.1:1".into(),
            capabilities: vec!["eio".into()],
            capabilities_from: "declared".into(),
            tier: "none".into(),
            strict: false,
            server_stopped: None,
            findings: Vec::new(),
            detection: Vec::new(),
            timings: crate::config::Timings::default(),
            duration_ms: 1234,
            summary: Summary::of(&records),
            records,
            judgement: None,
            server: None,
            rerun: "cargo xtask conformance --url http://127.0.0.1:1".into(),
        }
    }

    #[test]
    fn json_has_an_index_and_records_with_transcripts() {
        let v: serde_json::Value = serde_json::from_str(&json::render(&sample())).unwrap();
        assert_eq!(v["summary"]["total"], 3);
        assert_eq!(v["summary"]["fail"], 1);
        assert_eq!(v["index"][1]["id"], "eio.a.fail");
        assert_eq!(v["index"][1]["verdict"], "fail");
        assert_eq!(v["index"][1]["level"], "MUST");
        let fail = &v["cases"][1];
        assert_eq!(fail["failures"][0]["expected"][0], "text 4hello");
        assert_eq!(fail["transcript"][0]["text"], "4bye");
        assert_eq!(fail["transcript"][1]["hex"], "0102");
        assert_eq!(fail["transcript"][1]["dir"], "in");
        assert_eq!(
            v["cases"][2]["skipped_because"],
            "the target does not offer: recovery"
        );
    }

    #[test]
    fn junit_shape() {
        let x = junit::render(&sample());
        assert!(x.starts_with("<?xml"));
        assert!(x.contains(
            r#"<testsuites name="sio-conformance" tests="3" failures="1" errors="0" skipped="1""#
        ));
        assert!(x.contains(r#"<testcase classname="eio.a" name="eio.a.pass" time="0.000"/>"#));
        assert!(x.contains(r#"<failure message="GET &lt;x&gt;" type="MUST">"#));
        assert!(x.contains("text 4bye &amp; more"));
        assert!(x.contains(r#"<skipped message="the target does not offer: recovery"/>"#));
        assert_eq!(x.matches("<testcase ").count(), 3);
        assert_eq!(x.matches("</testcase>").count(), 2);
    }

    #[test]
    fn junit_counts_a_broken_should_as_a_failure_under_strict() {
        let mut r = sample();
        let should = Case::new("eio.a.should", "a title", crate::body!(nothing))
            .spec("doc", "§1")
            .should();
        let mut non_strict = CaseRecord::for_case(&should, Verdict::NonStrict);
        non_strict
            .failures
            .push(Failure::assertion("body", "text a", "text b"));
        r.records.push(non_strict);
        r.summary = Summary::of(&r.records);
        let lenient = junit::render(&r);
        assert!(lenient.contains(r#"tests="4" failures="1""#));
        assert!(lenient.contains("<system-out>non-strict: "));
        r.strict = true;
        let strict = junit::render(&r);
        assert!(strict.contains(r#"tests="4" failures="2""#), "{strict}");
        assert!(strict.contains(r#"<failure message="body" type="SHOULD">"#));
    }

    /// The sample judged against a file that records its failure (with a reason) and its
    /// unsupported case, and a pass for a case the sample does not run.
    fn judged_sample() -> Report {
        use crate::judgement::{self, Entry, Judgements};
        let mut r = sample();
        let file = Judgements {
            target: "sample".into(),
            entries: vec![
                Entry {
                    id: "eio.a.pass".into(),
                    verdict: Verdict::Fail,
                    reason: Some("was broken".into()),
                },
                Entry {
                    id: "eio.a.fail".into(),
                    verdict: Verdict::Fail,
                    reason: Some("Node does this too".into()),
                },
                Entry {
                    id: "sio.a.unsupported".into(),
                    verdict: Verdict::Unsupported,
                    reason: Some("no recovery".into()),
                },
            ],
        };
        let known = ["eio.a.pass", "eio.a.fail", "sio.a.unsupported"];
        r.judgement = Some(judgement::judge(&file, &r.records, &known, "j.json"));
        r
    }

    #[test]
    fn every_report_shows_an_expected_case_with_its_reason_and_a_difference() {
        let r = judged_sample();
        let term = terminal::render(&r);
        assert!(
            term.contains("eio.a.fail  [MUST] a title  (expected)"),
            "{term}"
        );
        assert!(term.contains("expected (judgement file): Node does this too"));
        assert!(
            term.contains("sio.a.unsupported  (the target does not offer: recovery)  (expected)")
        );
        assert!(term.contains("  expected unsupported sio.a.unsupported: no recovery"));
        assert!(term.contains(
            "judgement j.json: 0 pass and 2 other verdict(s) as recorded, 1 difference(s)"
        ));
        assert!(term.contains("  DIFFERS eio.a.pass: passed unexpectedly, recorded fail"));

        let md = markdown::render(&r);
        assert!(md.contains("| fail (expected) | `eio.a.fail` |"), "{md}");
        assert!(md.contains("| fail | `eio.a.fail` | Node does this too |"));
        assert!(md.contains("- differs: eio.a.pass: passed unexpectedly"));

        let x = junit::render(&r);
        assert!(
            x.contains(r#"tests="3" failures="1" errors="0" skipped="2""#),
            "{x}"
        );
        assert!(x.contains(r#"<skipped message="expected fail: Node does this too"/>"#));
        assert!(x.contains(r#"<failure message="eio.a.pass: passed unexpectedly"#));

        let v: serde_json::Value = serde_json::from_str(&json::render(&r)).unwrap();
        assert_eq!(v["index"][1]["expected"], "Node does this too");
        assert!(v["index"][0]["differs"].is_string());
        assert!(v["index"][2].get("differs").is_none());
        assert_eq!(v["judgement"]["differences"][0]["kind"], "unexpected-pass");
    }

    #[test]
    fn markdown_stays_under_the_comment_limit() {
        let mut r = sample();
        let case = Case::new("eio.a.fail", "a title", crate::body!(nothing)).spec("doc", "§1");
        let long = "x".repeat(500);
        r.records = (0..3000)
            .map(|_| {
                let mut fail = CaseRecord::for_case(&case, Verdict::Fail);
                fail.failures
                    .push(Failure::assertion(long.clone(), long.clone(), long.clone()));
                fail
            })
            .collect();
        r.summary = Summary::of(&r.records);
        let md = markdown::render(&r);
        assert!(md.len() < 65_536, "{} characters", md.len());
        assert!(md.contains("more case(s) did not pass"));
        assert!(md.contains("more case(s): see the JSON report."));
    }

    #[test]
    fn markdown_and_terminal_name_the_failure_and_how_to_rerun_it() {
        let r = sample();
        let md = markdown::render(&r);
        assert!(md.contains("| fail | `eio.a.fail` | MUST |"));
        let term = terminal::render(&r);
        assert!(term.contains("FAIL        eio.a.fail"));
        assert!(term.contains(
            "rerun: cargo xtask conformance --url http://127.0.0.1:1 --filter 'eio.a.fail'"
        ));
        assert!(term.contains("3 cases: 1 pass, 1 fail, 1 unsupported"));
    }
}
