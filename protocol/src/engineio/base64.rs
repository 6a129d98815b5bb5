//! Base64 as Engine.IO uses it for binary packets in text form (`b<base64>`).
//!
//! Encoding is standard base64 with padding (Node's `buffer.toString("base64")`).
//! Decoding matches Node 20's `Buffer.from(s, "base64")`, which is lenient (verified with node
//! 20.20 against these inputs, see the tests):
//!
//! ```text
//! for each UTF-16 code unit u of s:
//!     b = u & 0xFF                  ("AQŁID": U+0141 counts as 'A')
//!     b == '='           → stop     ("AQ=ID" → 01, "AQ==AQ==" → 01)
//!     b in A–Z a–z 0–9 + / - _ → 6 more bits   (standard and URL-safe alphabets mixed)
//!     otherwise          → skipped  ("AQ ID BA", "!!AQ!!ID", "AQID\u2028BA")
//! leftover: 1 symbol → dropped, 2 → 1 byte, 3 → 2 bytes; stray low bits are ignored ("QR" → 41)
//! ```
//!
//! [`decode_strict`] is the canonical form only; [`is_canonical`] lets a conformance runner flag
//! input that Node accepts but a strict peer would not.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Standard base64 with padding, as Node's `toString("base64")`.
pub fn encode(data: &[u8]) -> String {
    STANDARD.encode(data)
}

fn symbol_value(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes like Node 20's `Buffer.from(s, "base64")`: never fails (see the module docs).
pub fn decode_lenient(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut n = 0u8;
    for unit in s.encode_utf16() {
        // Node truncates each UTF-16 code unit to its low byte.
        let b = (unit & 0xFF) as u8;
        if b == b'=' {
            break;
        }
        let Some(v) = symbol_value(b) else { continue };
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// Decodes canonical standard base64 with padding only; `None` for anything else.
pub fn decode_strict(s: &str) -> Option<Vec<u8>> {
    STANDARD.decode(s).ok()
}

/// Whether `s` is exactly what Node's encoder would write for the bytes it decodes to.
pub fn is_canonical(s: &str) -> bool {
    decode_strict(s).is_some_and(|b| encode(&b) == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn lenient_matches_node_buffer_from() {
        // Each pair observed with node 20.20: Buffer.from(s, "base64").toString("hex").
        let cases = [
            ("AQIDBA==", "01020304"),
            ("AQIDBA", "01020304"),
            ("AQIDBA=", "01020304"),
            ("AQIDBA===", "01020304"),
            ("AQ ID BA==", "01020304"),
            ("AQ\nIDBA", "01020304"),
            ("AQ-_", "010fbf"),
            ("AQ+/", "010fbf"),
            ("AQ=ID", "01"),
            ("A", ""),
            ("AB", "00"),
            ("ABC", "0010"),
            ("ABCD=", "001083"),
            ("ABCDE", "001083"),
            ("A=BC", ""),
            ("!!AQ!!ID", "010203"),
            ("AQ==AQ==", "01"),
            ("=AQ", ""),
            ("AQID\u{e9}BA", "01020304"),
            ("AQID\u{2028}BA", "01020304"),
            ("QR", "41"),
            ("Q===", ""),
            ("AQIDBA==x", "01020304"),
            ("AQI=DBA", "0102"),
            ("AQ\u{0141}ID", "010008"),
            ("\u{0141}\u{0141}\u{0141}\u{0141}", "000000"),
            ("AQ\u{012b}ID", "010f88"),
            ("AQ\u{ff0b}ID", "010203"),
        ];
        for (input, want) in cases {
            assert_eq!(hex(&decode_lenient(input)), want, "input {input:?}");
        }
    }

    #[test]
    fn strict_and_canonical() {
        assert_eq!(decode_strict("AQIDBA=="), Some(vec![1, 2, 3, 4]));
        assert_eq!(decode_strict("AQIDBA"), None);
        assert_eq!(decode_strict("AQ-_"), None);
        assert!(is_canonical("AQIDBA=="));
        assert!(!is_canonical("QR=="));
        assert!(is_canonical(""));
        assert_eq!(encode(&[1, 2, 3, 4]), "AQIDBA==");
    }
}
