//! Why a case did not pass: the step, the frames expected and the frames received.

use serde::Serialize;

/// Whose fault a failure is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// The server did something other than what the case expects.
    Assertion,
    /// The harness could not run the case (connection refused, nothing answered at all).
    Harness,
}

/// A failed expectation, with what was expected and what was received, one item per line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// Assertion or harness.
    pub kind: FailureKind,
    /// What the case was doing: `GET after the ping timeout`.
    pub step: String,
    /// The expected frames or values, one per line (literal wire text).
    pub expected: Vec<String>,
    /// What arrived instead, one per line.
    pub received: Vec<String>,
    /// Optional explanation (the rule, a known Node difference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The catalogue rule the failed check enforces ([`crate::catalogue`]), when it is one:
    /// failures under the same rule are one finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
}

/// The result of a case body.
pub type CaseResult = Result<(), Failure>;

impl Failure {
    /// An assertion failure.
    pub fn assertion(
        step: impl Into<String>,
        expected: impl IntoLines,
        received: impl IntoLines,
    ) -> Failure {
        Failure {
            kind: FailureKind::Assertion,
            step: step.into(),
            expected: expected.into_lines(),
            received: received.into_lines(),
            note: None,
            rule: None,
        }
    }

    /// A harness error (the case could not be run).
    pub fn harness(step: impl Into<String>, message: impl Into<String>) -> Failure {
        Failure {
            kind: FailureKind::Harness,
            step: step.into(),
            expected: Vec::new(),
            received: vec![message.into()],
            note: None,
            rule: None,
        }
    }

    /// Names the catalogue rule the failed check enforces.
    pub fn rule(mut self, id: &'static str) -> Failure {
        debug_assert!(crate::catalogue::rule(id).is_some(), "unknown rule {id}");
        self.rule = Some(id);
        self
    }

    /// Adds an explanation.
    pub fn note(mut self, note: impl Into<String>) -> Failure {
        self.note = Some(note.into());
        self
    }
}

/// Things that can be shown as lines of a failure.
pub trait IntoLines {
    /// The lines.
    fn into_lines(self) -> Vec<String>;
}

impl IntoLines for String {
    fn into_lines(self) -> Vec<String> {
        vec![self]
    }
}

impl IntoLines for &str {
    fn into_lines(self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl IntoLines for Vec<String> {
    fn into_lines(self) -> Vec<String> {
        self
    }
}

/// Wire text made readable on one line: the record separator shown as `␞`, other control
/// characters escaped, long text clipped.
pub fn visible(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\u{1e}' => out.push('␞'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    clip(&out, 300)
}

/// Clips text to `max` characters, saying how much was left out.
pub fn clip(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({} more chars)", count - max)
}
