//! The doctor's report: one line per check (pass, warn, fail, skip), with the official Engine.IO
//! error code where one applies, the evidence (a short transcript of what went on the wire) and a
//! concrete fix; rendered for a terminal or as JSON (`--json`).

use serde::Serialize;

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The deployment does what a client needs.
    Pass,
    /// It works, but something is likely to bite (a heartbeat a proxy would cut, no TLS, …).
    Warn,
    /// Clients will break: the fix says what to change.
    Fail,
    /// Not checked (not asked for, or blocked by a failure reported under another check).
    Skip,
}

impl Status {
    /// The label at the start of a terminal line.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

/// The message an Engine.IO server sends with each error code (`{"code":N,"message":…}`, the
/// official troubleshooting page maps each to its usual deployment cause).
pub fn engine_error_message(code: u8) -> &'static str {
    match code {
        0 => "Transport unknown",
        1 => "Session ID unknown",
        2 => "Bad handshake method",
        3 => "Bad request",
        4 => "Forbidden",
        5 => "Unsupported protocol version",
        _ => "unknown error code",
    }
}

/// An official Engine.IO error code, as the server sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EngineCode {
    /// 0 to 5.
    pub code: u8,
    /// The official message for that code.
    pub message: &'static str,
}

impl EngineCode {
    /// The code with its official message.
    pub fn new(code: u8) -> EngineCode {
        EngineCode {
            code,
            message: engine_error_message(code),
        }
    }
}

/// One check's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    /// Stable id: `path`, `handshake.polling`, `sticky`, `websocket.upgrade`, … (the README lists them).
    pub id: &'static str,
    /// The outcome.
    pub status: Status,
    /// One line: what was found.
    pub summary: String,
    /// The Engine.IO error code behind a failure, when the server sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<EngineCode>,
    /// A short transcript (`> GET …`, `< 400 …`) of what showed it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// What to change, for nginx, HAProxy and cloud load balancers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    /// A check with no code, evidence or fix.
    pub fn new(id: &'static str, status: Status, summary: impl Into<String>) -> Check {
        Check {
            id,
            status,
            summary: summary.into(),
            code: None,
            evidence: Vec::new(),
            fix: None,
        }
    }

    /// A passing check.
    pub fn pass(id: &'static str, summary: impl Into<String>) -> Check {
        Check::new(id, Status::Pass, summary)
    }

    /// A warning.
    pub fn warn(id: &'static str, summary: impl Into<String>) -> Check {
        Check::new(id, Status::Warn, summary)
    }

    /// A failure.
    pub fn fail(id: &'static str, summary: impl Into<String>) -> Check {
        Check::new(id, Status::Fail, summary)
    }

    /// A check not made, and why.
    pub fn skip(id: &'static str, why: impl Into<String>) -> Check {
        Check::new(id, Status::Skip, why)
    }

    /// With the Engine.IO error code the server sent.
    pub fn with_code(mut self, code: Option<u8>) -> Check {
        self.code = code.map(EngineCode::new);
        self
    }

    /// With evidence lines (only the last [`EVIDENCE_LINES`] are kept: the end shows the cause).
    pub fn with_evidence(mut self, lines: Vec<String>) -> Check {
        let skip = lines.len().saturating_sub(EVIDENCE_LINES);
        self.evidence = lines.into_iter().skip(skip).collect();
        self
    }

    /// With a fix.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// How many transcript lines a check keeps as evidence.
pub const EVIDENCE_LINES: usize = 8;

/// Everything the doctor found about one deployment.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The URL as given.
    pub url: String,
    /// The Engine.IO path that was checked.
    pub path: String,
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// True when nothing at the URL could be reached at all (exit 2, not 1).
    pub unreachable: bool,
}

impl Report {
    /// The check with this id, if it ran.
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The ids of the checks that failed: the diagnosis.
    pub fn failed(&self) -> Vec<&'static str> {
        self.ids_with(Status::Fail)
    }

    /// The ids of the checks with this status.
    pub fn ids_with(&self, status: Status) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.id)
            .collect()
    }

    /// `3 pass, 1 warn, 1 fail, 2 skip`.
    pub fn summary(&self) -> String {
        let count = |s| self.checks.iter().filter(|c| c.status == s).count();
        format!(
            "{} pass, {} warn, {} fail, {} skip",
            count(Status::Pass),
            count(Status::Warn),
            count(Status::Fail),
            count(Status::Skip)
        )
    }

    /// The exit code, as the runner's: 0 nothing failed, 1 some check failed, 2 unreachable.
    pub fn exit_code(&self) -> u8 {
        use crate::verdict::exit;
        if self.unreachable {
            exit::HARNESS
        } else if self.checks.iter().any(|c| c.status == Status::Fail) {
            exit::FAILURES
        } else {
            exit::OK
        }
    }

    /// The terminal rendering: one line per check; evidence and fix indented under each check
    /// that did not pass.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "sio-conformance doctor: {} (path {})\n",
            self.url, self.path
        );
        let width = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        for check in &self.checks {
            let code = check.code.map_or(String::new(), |c| {
                format!("[code {} {}] ", c.code, c.message)
            });
            out.push_str(&format!(
                "{}  {:<width$}  {code}{}\n",
                check.status.label(),
                check.id,
                check.summary
            ));
            if matches!(check.status, Status::Warn | Status::Fail) {
                for line in &check.evidence {
                    out.push_str(&format!("      | {line}\n"));
                }
                if let Some(fix) = &check.fix {
                    for (i, line) in fix.lines().enumerate() {
                        let lead = if i == 0 { "fix: " } else { "     " };
                        out.push_str(&format!("      {lead}{line}\n"));
                    }
                }
            }
        }
        out.push_str(&format!("{}\n", self.summary()));
        out
    }

    /// The JSON rendering (`--json`): the URL, the path, the checks, the summary counts.
    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(checks: Vec<Check>) -> Report {
        Report {
            url: "http://127.0.0.1:1".into(),
            path: "/socket.io/".into(),
            checks,
            unreachable: false,
        }
    }

    #[test]
    fn a_failure_exits_1_a_warning_0() {
        let warned = report(vec![Check::pass("a", "ok"), Check::warn("b", "hm")]);
        assert_eq!(warned.exit_code(), 0);
        let failed = report(vec![Check::fail("sticky", "lost").with_code(Some(1))]);
        assert_eq!(failed.exit_code(), 1);
        assert_eq!(failed.failed(), vec!["sticky"]);
    }

    #[test]
    fn text_shows_the_code_the_evidence_and_the_fix_of_a_failure_only() {
        let r = report(vec![
            Check::pass("handshake.polling", "sid abc").with_evidence(vec!["hidden".into()]),
            Check::fail("sticky", "request 2 of 40 landed elsewhere")
                .with_code(Some(1))
                .with_evidence(vec!["< 400 {\"code\":1}".into()])
                .with_fix("nginx: ip_hash;\nHAProxy: cookie"),
        ]);
        let text = r.render_text();
        assert!(text.contains("FAIL  sticky             [code 1 Session ID unknown] request 2"));
        assert!(text.contains("      | < 400 {\"code\":1}\n"));
        assert!(text.contains("      fix: nginx: ip_hash;\n           HAProxy: cookie\n"));
        assert!(!text.contains("hidden"));
        assert!(text.ends_with("1 pass, 0 warn, 1 fail, 0 skip\n"));
    }

    #[test]
    fn evidence_keeps_the_last_lines() {
        let lines: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let c = Check::fail("x", "y").with_evidence(lines);
        assert_eq!(c.evidence.len(), EVIDENCE_LINES);
        assert_eq!(c.evidence.last().map(String::as_str), Some("19"));
    }

    #[test]
    fn json_names_the_code_and_its_message() {
        let r = report(vec![
            Check::fail("websocket.upgrade", "refused").with_code(Some(3)),
        ]);
        let v: serde_json::Value = serde_json::from_str(&r.render_json()).unwrap();
        assert_eq!(v["checks"][0]["status"], "fail");
        assert_eq!(v["checks"][0]["code"]["code"], 3);
        assert_eq!(v["checks"][0]["code"]["message"], "Bad request");
    }
}
