//! Escaping for the HTML site (and the JUnit report, whose XML takes the same entities): text
//! and attribute values, control characters made visible, and case ids turned into file names.
//!
//! Everything a server sends ends up on a page (frames, headers, status lines), so every string
//! goes through [`text`] before it is written; nothing is trusted to be markup-free. Invalid
//! UTF-8 never reaches here: the transcript already holds such payloads as hex.

/// Escapes text for an HTML (or inline SVG) text node or a double-quoted attribute value.
///
/// `<`, `>`, `&` and both quotes become entities, so the same function is safe in either
/// place. Control characters are not allowed in HTML or XML text (NUL is even replaced by the
/// parser), so they are shown as `\u{1b}` instead, the way the terminal report shows them; the
/// record separator of polling payloads is shown as `␞`. Newlines and tabs are kept (pages show
/// raw text in `<pre>`).
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\u{1e}' => out.push('␞'),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            // Noncharacters and lone surrogates cannot occur in a Rust string; U+FFFE/U+FFFF
            // are legal in HTML text, so nothing else needs care.
            c => out.push(c),
        }
    }
    out
}

/// As [`text`], on one line: newlines shown as `\n` (for diagram labels and table cells).
pub fn line(s: &str) -> String {
    text(&s.replace('\r', "\\r").replace('\n', "\\n"))
}

/// The first `max` characters of `s`, with `…` when something was cut (before escaping, so an
/// entity is never cut in half).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut head: String = s.chars().take(max.saturating_sub(1)).collect();
    head.push('…');
    head
}

/// The file name (without `.html`) of a case page.
///
/// Ids are dotted lowercase (`sio.rooms.join`), which are kept as they are; any other byte is
/// written `_xx` (hex), and `_` itself too, so two ids never share a name, and nothing can
/// climb out of `cases/` (`/`, a leading `.`) or differ only in case (case-insensitive file
/// systems). A very long id is cut and given a hash of the whole id, under common name limits.
pub fn file_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for (i, b) in id.bytes().enumerate() {
        let keep =
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (b == b'.' && i > 0);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    if out.len() > 180 {
        out.truncate(160);
        out.push_str(&format!("-{:016x}", fnv1a(id.as_bytes())));
    }
    out
}

/// FNV-1a, 64 bits: a stable hash for shortened file names (no dependency for one line).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_quotes_and_controls_are_escaped() {
        assert_eq!(
            text(r#"<b a="1" b='2'>&amp;</b>"#),
            "&lt;b a=&quot;1&quot; b=&#39;2&#39;&gt;&amp;amp;&lt;/b&gt;"
        );
        assert_eq!(text("a\u{0}b\u{1b}[0m\u{7f}"), "a\\u{0}b\\u{1b}[0m\\u{7f}");
        assert_eq!(text("2\u{1e}4x\n\tend"), "2␞4x\n\tend");
        assert_eq!(line("a\r\nb<"), "a\\r\\nb&lt;");
        assert_eq!(text("é ✓ 🎉"), "é ✓ 🎉");
        // Nothing of the input's markup survives.
        let hostile = "</pre><script>alert(1)</script><svg onload=x>]]><!--";
        let out = text(hostile);
        assert!(!out.contains('<') && !out.contains('>'), "{out}");
    }

    #[test]
    fn clipping_counts_characters_and_marks_the_cut() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("ééééé", 3), "éé…");
    }

    #[test]
    fn file_names_are_safe_and_distinct() {
        assert_eq!(file_name("sio.rooms.join-2"), "sio.rooms.join-2");
        assert_eq!(file_name("../etc/passwd"), "_2e._2fetc_2fpasswd");
        assert_eq!(file_name("A_b"), "_41_5fb");
        assert_ne!(file_name("a_2fb"), file_name("a/b"));
        assert_eq!(file_name(""), "_");
        let long = "x".repeat(400);
        let name = file_name(&long);
        assert!(name.len() <= 180, "{}", name.len());
        assert_ne!(name, file_name(&"x".repeat(401)));
        for id in ["a b", "a\u{0}", "ü", "a?b#c", "a\\b"] {
            let n = file_name(id);
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)),
                "{id:?} -> {n}"
            );
        }
    }
}
