//! Expectations: literal wire text, literal bytes, patterns with named holes, the handshake
//! compared as JSON, closes. Nothing here encodes packets; cases write the frames they expect.
//!
//! Pattern syntax: literal text where `<name>` (lowercase letters, digits, `-`, or `*`) matches
//! one or more characters other than `"` and the record separator `\x1e`, and is captured under
//! its name; a name used twice must match the same text both times.
//!
//! ```text
//! 40{"sid":"<sid>"}          matches 40{"sid":"Ctnd-x74WAF7rzm5AAAA"}, captures sid
//! 40/custom,{"sid":"<*>"}    anonymous hole
//! ```

use crate::driver::WsEvent;
use crate::failure::visible;
use std::collections::BTreeMap;

/// Named captures of a match (`sid` → `Ctnd-x74WAF7rzm5AAAA`).
pub type Captures = BTreeMap<String, String>;

/// What a case expects of one frame or body.
#[derive(Clone, Debug, PartialEq)]
pub enum Want {
    /// Exactly this text.
    Text(String),
    /// Exactly these bytes in a binary frame.
    Binary(Vec<u8>),
    /// Literal text with named holes.
    Pattern(String),
    /// The open packet: `0` then a JSON object with exactly `sid` (a non-empty string, captured),
    /// `upgrades`, `pingInterval`, `pingTimeout` and `maxPayload`, compared as JSON values (key
    /// order is not the point: python-engineio writes pingTimeout first).
    Handshake {
        /// The expected `upgrades` array.
        upgrades: Vec<String>,
        /// The contract's pingInterval.
        ping_interval: u64,
        /// The contract's pingTimeout.
        ping_timeout: u64,
        /// The contract's maxPayload.
        max_payload: u64,
    },
    /// A literal prefix, then JSON equal to this value (object key order ignored).
    Json(String, serde_json::Value),
    /// The connection's close, any code.
    Close,
    /// The connection's close with this code (1005: no code; 1006: no close frame).
    CloseCode(u16),
}

impl Want {
    /// Exactly this text.
    pub fn text(t: impl Into<String>) -> Want {
        Want::Text(t.into())
    }

    /// Exactly these bytes.
    pub fn binary(b: &[u8]) -> Want {
        Want::Binary(b.to_vec())
    }

    /// A pattern with `<holes>`.
    pub fn pattern(p: impl Into<String>) -> Want {
        Want::Pattern(p.into())
    }

    /// Prefix + JSON compared as a value; `json` is literal JSON text written in the case.
    pub fn json(prefix: impl Into<String>, json: &str) -> Want {
        let value = serde_json::from_str(json).expect("a case wrote invalid JSON in Want::json");
        Want::Json(prefix.into(), value)
    }

    /// How the expectation reads in a report.
    pub fn describe(&self) -> String {
        match self {
            Want::Text(t) => format!("text {}", visible(t)),
            Want::Binary(b) => format!("binary {}", crate::driver::transcript::hex(b)),
            Want::Pattern(p) => format!("text matching {}", visible(p)),
            Want::Handshake {
                upgrades,
                ping_interval,
                ping_timeout,
                max_payload,
            } => format!(
                "text 0{{\"sid\":\"<sid>\",\"upgrades\":{},\"pingInterval\":{ping_interval},\"pingTimeout\":{ping_timeout},\"maxPayload\":{max_payload}}} (as JSON, any key order)",
                serde_json::to_string(upgrades).unwrap_or_default()
            ),
            Want::Json(prefix, v) => format!("text {}{} (as JSON)", visible(prefix), v),
            Want::Close => "close (any code)".into(),
            Want::CloseCode(c) => format!("close {c}"),
        }
    }

    /// Checks a WebSocket event.
    pub fn check_event(&self, event: &WsEvent) -> Option<Captures> {
        match (self, event) {
            (Want::Binary(want), WsEvent::Binary(got)) => (want == got).then(Captures::new),
            (Want::Close, WsEvent::Close { .. }) => Some(Captures::new()),
            (Want::CloseCode(want), WsEvent::Close { code, .. }) => {
                (want == code).then(Captures::new)
            }
            (_, WsEvent::Text(t)) => self.check_text(t),
            _ => None,
        }
    }

    /// Checks a text (a WebSocket text frame or a polling body or record).
    pub fn check_text(&self, got: &str) -> Option<Captures> {
        match self {
            Want::Text(want) => (want == got).then(Captures::new),
            Want::Pattern(p) => match_pattern(p, got),
            Want::Handshake {
                upgrades,
                ping_interval,
                ping_timeout,
                max_payload,
            } => {
                let json = got.strip_prefix('0')?;
                let v: serde_json::Value = serde_json::from_str(json).ok()?;
                let o = v.as_object()?;
                let sid = o.get("sid")?.as_str().filter(|s| !s.is_empty())?;
                let ok = o.len() == 5
                    && o.get("upgrades")? == &serde_json::json!(upgrades)
                    && o.get("pingInterval")?.as_u64()? == *ping_interval
                    && o.get("pingTimeout")?.as_u64()? == *ping_timeout
                    && o.get("maxPayload")?.as_u64()? == *max_payload;
                ok.then(|| Captures::from([("sid".to_string(), sid.to_string())]))
            }
            Want::Json(prefix, want) => {
                let rest = got.strip_prefix(prefix.as_str())?;
                let v: serde_json::Value = serde_json::from_str(rest).ok()?;
                (&v == want).then(Captures::new)
            }
            Want::Binary(_) | Want::Close | Want::CloseCode(_) => None,
        }
    }
}

enum Seg<'a> {
    Lit(&'a str),
    Hole(&'a str),
}

fn segments(pattern: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    let mut lit_start = 0;
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let name_len = bytes[i + 1..]
                .iter()
                .take_while(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || **b == b'-' || **b == b'*'
                })
                .count();
            if name_len > 0 && bytes.get(i + 1 + name_len) == Some(&b'>') {
                if lit_start < i {
                    out.push(Seg::Lit(&pattern[lit_start..i]));
                }
                out.push(Seg::Hole(&pattern[i + 1..i + 1 + name_len]));
                i += name_len + 2;
                lit_start = i;
                continue;
            }
        }
        i += 1;
    }
    if lit_start < pattern.len() {
        out.push(Seg::Lit(&pattern[lit_start..]));
    }
    out
}

/// Matches `text` against a pattern with `<holes>`; the captures on success.
pub fn match_pattern(pattern: &str, text: &str) -> Option<Captures> {
    fn go(segs: &[Seg<'_>], text: &str, caps: &mut Captures) -> bool {
        match segs.split_first() {
            None => text.is_empty(),
            Some((Seg::Lit(l), rest)) => text.strip_prefix(l).is_some_and(|t| go(rest, t, caps)),
            Some((Seg::Hole(name), rest)) => {
                let run = text
                    .char_indices()
                    .find(|(_, c)| *c == '"' || *c == '\u{1e}')
                    .map_or(text.len(), |(i, _)| i);
                // Try every length from 1 to the longest run of allowed characters.
                let ends: Vec<usize> = text[..run]
                    .char_indices()
                    .map(|(i, c)| i + c.len_utf8())
                    .collect();
                for end in ends {
                    let value = &text[..end];
                    if *name != "*" {
                        if let Some(prev) = caps.get(*name) {
                            if prev != value {
                                continue;
                            }
                        }
                    }
                    let mut trial = caps.clone();
                    if *name != "*" {
                        trial.insert(name.to_string(), value.to_string());
                    }
                    if go(rest, &text[end..], &mut trial) {
                        *caps = trial;
                        return true;
                    }
                }
                false
            }
        }
    }
    let segs = segments(pattern);
    let mut caps = Captures::new();
    go(&segs, text, &mut caps).then_some(caps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_capture_holes() {
        let c = match_pattern(r#"40{"sid":"<sid>"}"#, r#"40{"sid":"abc-_1"}"#).unwrap();
        assert_eq!(c["sid"], "abc-_1");
        assert!(match_pattern(r#"40{"sid":"<sid>"}"#, r#"40{"sid":""}"#).is_none());
        assert!(match_pattern(r#"40{"sid":"<sid>"}"#, r#"40{"sid":"a","x":1}"#).is_none());
        let c = match_pattern("<a>,<a>", "xy,xy").unwrap();
        assert_eq!(c["a"], "xy");
        assert!(match_pattern("<a>,<a>", "xy,xz").is_none());
        assert!(match_pattern("a<*>c", "abbc").is_some());
        assert!(match_pattern("1 < 2", "1 < 2").is_some());
    }

    #[test]
    fn handshake_is_compared_as_json() {
        let want = Want::Handshake {
            upgrades: vec!["websocket".into()],
            ping_interval: 300,
            ping_timeout: 200,
            max_payload: 1_000_000,
        };
        let node = r#"0{"sid":"s1","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;
        let python = r#"0{"sid":"s1","upgrades":["websocket"],"pingTimeout":200,"pingInterval":300,"maxPayload":1000000}"#;
        assert_eq!(want.check_text(node).unwrap()["sid"], "s1");
        assert!(want.check_text(python).is_some());
        let extra = r#"0{"sid":"s1","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000,"x":1}"#;
        assert!(want.check_text(extra).is_none());
    }

    #[test]
    fn json_ignores_key_order_only() {
        let want = Want::json("", r#"{"code":1,"message":"Session ID unknown"}"#);
        assert!(
            want.check_text(r#"{"message":"Session ID unknown","code":1}"#)
                .is_some()
        );
        assert!(want.check_text(r#"{"code":1,"message":"x"}"#).is_none());
    }
}
