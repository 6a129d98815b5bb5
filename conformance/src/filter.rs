//! Selecting cases by id with globs: `*` matches any run of characters (dots included), `?`
//! one character; a comma separates alternatives (`'eio.*,sio.ack.*'`).
//!
//! A tiny matcher rather than `globset`: ids are short dotted ASCII, the two wildcards are all a
//! selector needs, and it keeps the dependency tree (and its regex engine) out of the build.

/// A set of glob patterns; a case id is selected when any pattern matches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Globs(Vec<String>);

impl Globs {
    /// Parses patterns, each possibly a comma-separated list.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Globs {
        Globs(
            patterns
                .iter()
                .flat_map(|p| p.as_ref().split(','))
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    /// Whether there is no pattern at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any pattern matches `id`.
    pub fn matches(&self, id: &str) -> bool {
        self.0.iter().any(|p| glob(p, id))
    }
}

/// The selection: `--filter` (none = everything) minus `--exclude`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Included patterns.
    pub filter: Globs,
    /// Excluded patterns.
    pub exclude: Globs,
}

impl Selection {
    /// Whether a case with this id runs.
    pub fn selects(&self, id: &str) -> bool {
        (self.filter.is_empty() || self.filter.matches(id)) && !self.exclude.matches(id)
    }
}

/// Matches one glob against a whole string.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative matcher with single-star backtracking: linear in practice, no recursion.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("eio.*", "eio.handshake.polling.open"));
        assert!(glob("*.polling.*", "eio.handshake.polling.open"));
        assert!(!glob("eio.*", "sio.connect.main"));
        assert!(glob("sio.connect.main", "sio.connect.main"));
        assert!(!glob("sio.connect.main", "sio.connect.main-payload"));
        assert!(glob("sio.connect.main*", "sio.connect.main-payload"));
        assert!(glob("?io.*", "sio.x"));
        assert!(glob("*", ""));
        assert!(!glob("a*b", "acbd"));
        assert!(glob("a*b*c", "aXbYbZc"));
    }

    #[test]
    fn selection() {
        let s = Selection {
            filter: Globs::new(&["eio.*,sio.ack.*"]),
            exclude: Globs::new(&["eio.heartbeat.*"]),
        };
        assert!(s.selects("eio.handshake.polling.open"));
        assert!(s.selects("sio.ack.binary"));
        assert!(!s.selects("eio.heartbeat.polling.ping-pong"));
        assert!(!s.selects("sio.connect.main"));
        assert!(Selection::default().selects("anything"));
    }
}
