//! What the site shows, read back from the JSON report (`results.json`).
//!
//! The site is always rendered from the JSON report, also right after a run: one path, so a site
//! regenerated later with `--html-from` is the same site, and the JSON stays the one record of a
//! run. The report types only serialise, so this module reads the JSON leniently into small
//! view structs of its own: a missing field is empty, never an error, so a report written by an
//! older or newer runner still renders (what it lacks is left out of the pages).

use crate::driver::Entry;
use crate::driver::transcript::{Dir, Transport};
use serde_json::Value;

/// The whole run.
#[derive(Clone, Debug, Default)]
pub struct Site {
    /// The server under test.
    pub target: String,
    /// The runner version that wrote the report.
    pub version: String,
    /// The contract tier.
    pub tier: String,
    /// Capabilities, and whether they were declared or detected.
    pub capabilities: Vec<String>,
    /// `declared` or `detected`.
    pub capabilities_from: String,
    /// What detection looked for and did not find.
    pub detection: Vec<String>,
    /// The server's timings, in report order (`ping_interval`, `300`).
    pub timings: Vec<(String, String)>,
    /// Wall time of the run, ms.
    pub duration_ms: u64,
    /// `--strict`.
    pub strict: bool,
    /// The headline of a server that stopped answering.
    pub server_stopped: Option<String>,
    /// Counts per verdict name, in report order, and the total.
    pub counts: Vec<(String, u64)>,
    /// Total cases.
    pub total: u64,
    /// Root causes.
    pub findings: Vec<Finding>,
    /// Every case, in registration order.
    pub cases: Vec<CaseView>,
    /// The command that reruns a selection (`rerun`; absent from reports written before it
    /// was added, and then not shown).
    pub rerun: Option<String>,
    /// The site this one sits in, one directory up (the matrix, whose columns are runs), by
    /// its title: its pages then link up to it. Not in the JSON report: set by whoever places
    /// the run inside a larger site.
    pub enclosing: Option<String>,
}

/// One root cause.
#[derive(Clone, Debug, Default)]
pub struct Finding {
    /// Catalogue rule (or Engine.IO case) id.
    pub rule: String,
    /// MUST / SHOULD.
    pub level: String,
    /// The rule in one sentence.
    pub title: String,
    /// The reporting case.
    pub case: String,
    /// Where it broke.
    pub step: String,
    /// Expected lines.
    pub expected: Vec<String>,
    /// Received lines.
    pub received: Vec<String>,
    /// Every case affected, the reporting case first.
    pub cases: Vec<String>,
}

/// One case record.
#[derive(Clone, Debug, Default)]
pub struct CaseView {
    /// Case id.
    pub id: String,
    /// Title.
    pub title: String,
    /// MUST / SHOULD.
    pub level: String,
    /// Tags.
    pub tags: Vec<String>,
    /// `document`, `section`.
    pub spec: (String, String),
    /// `suite › name`.
    pub official: Option<String>,
    /// Known Node difference.
    pub node_differs: Option<String>,
    /// Verdict name (`pass`, `non-strict`, …).
    pub verdict: String,
    /// Attempts.
    pub attempts: u64,
    /// Wall time, ms.
    pub duration_ms: u64,
    /// Failures, the MUST one first.
    pub failures: Vec<FailureView>,
    /// How the session closed.
    pub closed: Option<String>,
    /// Why it did not run.
    pub skipped_because: Option<String>,
    /// Comparison tolerances (replays).
    pub tolerances: Vec<String>,
    /// The wire transcript.
    pub transcript: Vec<Entry>,
    /// Cut short by a server that stopped.
    pub server_stopped: bool,
    /// `rule (reported by case)`, for a blocked case.
    pub blocked_by: Option<String>,
    /// Judgement: the recorded reason of an expected non-pass verdict.
    pub expected: Option<String>,
    /// Judgement: how the verdict differs from the file.
    pub differs: Option<String>,
}

/// One failure.
#[derive(Clone, Debug, Default)]
pub struct FailureView {
    /// `assertion` or `harness`.
    pub kind: String,
    /// The step.
    pub step: String,
    /// Expected lines.
    pub expected: Vec<String>,
    /// Received lines.
    pub received: Vec<String>,
    /// Explanation.
    pub note: Option<String>,
    /// Catalogue rule.
    pub rule: Option<String>,
}

fn s(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn opt(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().map(str::to_string)
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One transcript entry, back as the runner's own type so the decoded views
/// ([`crate::report::views`]) apply to it unchanged.
fn entry(v: &Value) -> Entry {
    Entry {
        t_ms: v["t_ms"].as_f64().unwrap_or(0.0),
        conn: s(v, "conn"),
        transport: match v["transport"].as_str() {
            Some("websocket") => Transport::Websocket,
            _ => Transport::Polling,
        },
        dir: match v["dir"].as_str() {
            Some("out") => Dir::Out,
            Some("in") => Dir::In,
            _ => Dir::Note,
        },
        what: s(v, "what"),
        headers: v["headers"]
            .as_array()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        let h = strings(h);
                        (
                            h.first().cloned().unwrap_or_default(),
                            h.get(1).cloned().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        text: opt(v, "text"),
        hex: opt(v, "hex"),
    }
}

fn failure(v: &Value) -> FailureView {
    FailureView {
        kind: s(v, "kind"),
        step: s(v, "step"),
        expected: strings(&v["expected"]),
        received: strings(&v["received"]),
        note: opt(v, "note"),
        rule: opt(v, "rule"),
    }
}

fn case(v: &Value, index: Option<&Value>) -> CaseView {
    let official = v["official"].is_object().then(|| {
        format!(
            "{} › {}",
            s(&v["official"], "suite"),
            s(&v["official"], "name")
        )
    });
    CaseView {
        id: s(v, "id"),
        title: s(v, "title"),
        level: s(v, "level"),
        tags: strings(&v["tags"]),
        spec: (s(&v["spec"], "document"), s(&v["spec"], "section")),
        official,
        node_differs: opt(v, "node_differs"),
        verdict: s(v, "verdict"),
        attempts: u(v, "attempts"),
        duration_ms: u(v, "duration_ms"),
        failures: v["failures"]
            .as_array()
            .map(|a| a.iter().map(failure).collect())
            .unwrap_or_default(),
        closed: opt(v, "closed"),
        skipped_because: opt(v, "skipped_because"),
        tolerances: strings(&v["tolerances"]),
        transcript: v["transcript"]
            .as_array()
            .map(|a| a.iter().map(entry).collect())
            .unwrap_or_default(),
        server_stopped: v["server_stopped"].as_bool().unwrap_or(false),
        blocked_by: opt(v, "blocked_by"),
        expected: index.and_then(|i| opt(i, "expected")),
        differs: index.and_then(|i| opt(i, "differs")),
    }
}

fn finding(v: &Value) -> Finding {
    Finding {
        rule: s(v, "rule"),
        level: s(v, "level"),
        title: s(v, "title"),
        case: s(v, "case"),
        step: s(v, "step"),
        expected: strings(&v["expected"]),
        received: strings(&v["received"]),
        cases: strings(&v["cases"]),
    }
}

/// The verdict names in the order the summary counts them (`non_strict` is `non-strict`).
const COUNTED: [(&str, &str); 7] = [
    ("pass", "pass"),
    ("fail", "fail"),
    ("non_strict", "non-strict"),
    ("unsupported", "unsupported"),
    ("error", "error"),
    ("flaky", "flaky"),
    ("blocked", "blocked"),
];

impl Site {
    /// Reads a JSON report; an error only when the text is not JSON or not an object with cases.
    pub fn from_json(text: &str) -> Result<Site, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let cases = v["cases"]
            .as_array()
            .ok_or("not a sio-conformance JSON report: no `cases` array")?;
        let index = v["index"].as_array();
        let row = |id: &str| index.and_then(|rows| rows.iter().find(|r| r["id"] == id));
        let summary = &v["summary"];
        Ok(Site {
            target: s(&v, "target"),
            version: s(&v, "version"),
            tier: s(&v, "tier"),
            capabilities: strings(&v["capabilities"]),
            capabilities_from: s(&v, "capabilities_from"),
            detection: strings(&v["detection"]),
            timings: v["timings"]
                .as_object()
                .map(|o| o.iter().map(|(k, x)| (k.clone(), x.to_string())).collect())
                .unwrap_or_default(),
            duration_ms: u(&v, "duration_ms"),
            strict: v["strict"].as_bool().unwrap_or(false),
            server_stopped: opt(&v, "server_stopped"),
            counts: COUNTED
                .iter()
                .map(|(key, name)| (name.to_string(), u(summary, key)))
                .collect(),
            total: summary["total"].as_u64().unwrap_or(cases.len() as u64),
            findings: v["findings"]
                .as_array()
                .map(|a| a.iter().map(finding).collect())
                .unwrap_or_default(),
            cases: cases
                .iter()
                .map(|c| case(c, row(c["id"].as_str().unwrap_or(""))))
                .collect(),
            rerun: opt(&v, "rerun"),
            enclosing: None,
        })
    }

    /// Whether a case with this id is in the report (links only go to pages that exist).
    pub fn has_case(&self, id: &str) -> bool {
        self.cases.iter().any(|c| c.id == id)
    }
}

impl CaseView {
    /// The area a case belongs to on the index: its id's first two parts (`sio.rooms`), three
    /// for replays (`replay.sio.rooms`), whose second part only names the protocol.
    pub fn area(&self) -> String {
        let parts: Vec<&str> = self.id.split('.').collect();
        let n = if parts.first() == Some(&"replay") {
            3
        } else {
            2
        };
        // Keep at least the last part out of the area: `replay.client.recovery` is `replay.client`.
        let n = n.min(parts.len().saturating_sub(1)).max(1);
        parts[..n].join(".")
    }
}
