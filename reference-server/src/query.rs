//! Query strings read as Node reads them (`new URL(req.url).searchParams`, then
//! `Object.fromEntries`): `+` is a space, `%XX` is decoded (invalid escapes stay as written),
//! bytes become UTF-8 with U+FFFD for invalid sequences, and the last value of a key wins.

use std::collections::HashMap;

/// Parses the query part of a URI (without the `?`).
pub fn parse(query: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(decode(k), decode(v));
    }
    out
}

/// Parses the query part of a URI into `(key, value)` pairs as `Object.fromEntries` builds an
/// object: keys in order of first appearance, the last value of a repeated key winning.
pub fn parse_ordered(query: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (decode(k), decode(v));
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len()
                && hex(bytes[i + 1]).is_some()
                && hex(bytes[i + 2]).is_some() =>
            {
                out.push(hex(bytes[i + 1]).unwrap_or(0) * 16 + hex(bytes[i + 2]).unwrap_or(0));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_url_search_params() {
        let q = parse("EIO=4&transport=polling&t=a+b%20c&x=%zz&sid=1&sid=2&flag");
        assert_eq!(q["EIO"], "4");
        assert_eq!(q["t"], "a b c");
        assert_eq!(q["x"], "%zz");
        assert_eq!(q["sid"], "2", "the last value wins");
        assert_eq!(q["flag"], "");
    }
}
