//! JavaScript number semantics that the Node parsers lean on: `Number(string)` (the decoders use it
//! for packet types, attachment counts, ack ids and v3 lengths) and `Number.prototype.toString`
//! (what `JSON.stringify` writes for a number).
//!
//! ```text
//! StringToNumber:  <ws>* ( "" | [+-]? "Infinity" | [+-]? decimal | 0x hex | 0o oct | 0b bin ) <ws>*
//! decimal:         ( digits [ "." digits? ] | "." digits ) [ (e|E) [+-]? digits ]
//! ```
//!
//! Only what the codecs need is here; it is our own implementation of the ECMAScript rules.

/// Whether `c` is a JavaScript `StrWhiteSpaceChar` (WhiteSpace or LineTerminator), which
/// `Number()` trims and which alone converts to `0`.
pub fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{0009}'
            | '\u{000A}'
            | '\u{000B}'
            | '\u{000C}'
            | '\u{000D}'
            | '\u{0020}'
            | '\u{00A0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// `Number(c)` for a one-character string: a digit gives its value, whitespace gives 0,
/// anything else is `NaN` (`None`).
pub fn char_to_number(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        c if is_whitespace(c) => Some(0),
        _ => None,
    }
}

/// `Number(s)` (ECMAScript StringToNumber). `NaN` is returned as `f64::NAN`.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_whitespace);
    if t.is_empty() {
        return 0.0;
    }
    // Non-decimal literals take no sign.
    let radix_digits = |body: &str, radix: u32| -> f64 {
        if body.is_empty() {
            return f64::NAN;
        }
        let mut v = 0.0f64;
        for c in body.chars() {
            match c.to_digit(radix) {
                Some(d) => v = v * f64::from(radix) + f64::from(d),
                None => return f64::NAN,
            }
        }
        v
    };
    let lower_prefix = t.get(..2).map(str::to_ascii_lowercase);
    match lower_prefix.as_deref() {
        Some("0x") => return radix_digits(&t[2..], 16),
        Some("0o") => return radix_digits(&t[2..], 8),
        Some("0b") => return radix_digits(&t[2..], 2),
        _ => {}
    }
    let (negative, unsigned) = match t.as_bytes()[0] {
        b'+' => (false, &t[1..]),
        b'-' => (true, &t[1..]),
        _ => (false, t),
    };
    let magnitude = if unsigned == "Infinity" {
        f64::INFINITY
    } else if is_decimal_literal(unsigned) {
        unsigned.parse::<f64>().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    };
    if negative { -magnitude } else { magnitude }
}

/// `StrUnsignedDecimalLiteral` without `Infinity`.
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - s;
    }
    if int_digits + frac_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

/// `String(n)` for a finite or non-finite number (`Number.prototype.toString`, radix 10).
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n == 0.0 {
        return "0".into();
    }
    if n.is_infinite() {
        return if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    // Integers below 2^53 (ack ids, counters, most numbers on the wire): their decimal digits
    // are the shortest round-tripping ones, so the integer's own formatting is `String(n)`,
    // without the scientific detour below (a hot path of every ack).
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        return (n as i64).to_string();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the shortest round-tripping digits, as ECMAScript requires.
    let sci = format!("{:e}", n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i64;
    // ECMAScript's n: the value is 0.digits × 10^n.
    let n_exp = exp.parse::<i64>().unwrap_or(0) + 1;
    let body = if k <= n_exp && n_exp <= 21 {
        let zeros = usize::try_from(n_exp - k).unwrap_or(0);
        format!("{digits}{}", "0".repeat(zeros))
    } else if 0 < n_exp && n_exp <= 21 {
        let split = usize::try_from(n_exp).unwrap_or(0);
        format!("{}.{}", &digits[..split], &digits[split..])
    } else if -6 < n_exp && n_exp <= 0 {
        let zeros = usize::try_from(-n_exp).unwrap_or(0);
        format!("0.{}{digits}", "0".repeat(zeros))
    } else {
        let e = n_exp - 1;
        let esign = if e < 0 { '-' } else { '+' };
        if k == 1 {
            format!("{digits}e{esign}{}", e.abs())
        } else {
            format!("{}.{}e{esign}{}", &digits[..1], &digits[1..], e.abs())
        }
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_number_matches_node() {
        // Verified with node 20: Number(x) for each x.
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            (" ", 0.0),
            ("\u{3000}", 0.0),
            (" 1", 1.0),
            ("+1", 1.0),
            ("1.0", 1.0),
            ("1.5", 1.5),
            ("0x1", 1.0),
            ("0X0a", 10.0),
            ("0b11", 3.0),
            ("0o17", 15.0),
            ("1e0", 1.0),
            ("001", 1.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("-Infinity", f64::NEG_INFINITY),
            ("1e400", f64::INFINITY),
        ];
        for (s, want) in cases {
            assert_eq!(string_to_number(s), *want, "Number({s:?})");
        }
        for s in [
            "x", "1x", "-0x1", "1 2", "1_0", "e1", ".", "inf", "NaN", "0x", "1e", "--1",
        ] {
            assert!(string_to_number(s).is_nan(), "Number({s:?}) should be NaN");
        }
    }

    #[test]
    fn number_to_string_matches_node() {
        // Verified with node 20: String(x).
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (1.25e-7, "1.25e-7"),
            (-2.5e30, "-2.5e+30"),
            (0.1, "0.1"),
            (12345678901234567890.0, "12345678901234567000"),
            (f64::NAN, "NaN"),
            // Around the integer fast path's edge: 2^53 − 1 is exact; 2^53 and above take the
            // shortest-digits path (2^60 is "1152921504606847000" in Node, not its exact value).
            (9007199254740991.0, "9007199254740991"),
            (-9007199254740991.0, "-9007199254740991"),
            (9007199254740992.0, "9007199254740992"),
            (1152921504606846976.0, "1152921504606847000"),
            (-42.0, "-42"),
            (1000.0, "1000"),
        ];
        for (n, want) in cases {
            assert_eq!(number_to_string(*n), *want);
        }
    }

    /// Node 20: `Number(x)` for each x (the sign of `-0` by `Object.is(Number(x), -0)`). Each
    /// case sits on one rule of StringToNumber: the `Infinity` spelling and its sign, a sign
    /// before another sign or a radix prefix, the parts of a decimal literal (a dot with digits
    /// on one side only, an exponent with a sign and no digits), and the whitespace set.
    #[test]
    fn string_to_number_edges_match_node() {
        let cases: &[(&str, f64)] = &[
            ("Infinity", f64::INFINITY),
            ("+Infinity", f64::INFINITY),
            ("1e+5", 100_000.0),
            ("1E-2", 0.01),
            ("1.e1", 10.0),
            ("1.5e3", 1500.0),
            ("00.5", 0.5),
            ("0.", 0.0),
            ("-.5", -0.5),
            ("0X1F", 31.0),
            ("0B1", 1.0),
            ("0O7", 7.0),
            ("1 ", 1.0),
            ("\u{00A0}12\u{00A0}", 12.0),
            ("\u{FEFF}1", 1.0),
            ("\u{2028}1", 1.0),
            ("\u{200A}1", 1.0),
            ("1e-400", 0.0),
        ];
        for (s, want) in cases {
            assert_eq!(string_to_number(s), *want, "Number({s:?})");
        }
        assert!(
            string_to_number("-0").is_sign_negative(),
            "Number(\"-0\") is -0"
        );
        assert!(string_to_number("0").is_sign_positive());
        for s in [
            "infinity",
            "-inf",
            "Infinityx",
            "nan",
            "+-1",
            "-+1",
            ".e1",
            "1e+",
            "1ee1",
            "1e1e1",
            "1e5.5",
            "1..2",
            "1.2.3",
            "+0x1",
            "0x1g",
            "0b2",
            "0o8",
            "-",
            "+",
            // U+200B ZERO WIDTH SPACE is not JavaScript whitespace.
            "\u{200B}1",
        ] {
            assert!(string_to_number(s).is_nan(), "Number({s:?}) should be NaN");
        }
        assert_eq!(char_to_number('7'), Some(7));
        assert_eq!(char_to_number('\u{3000}'), Some(0));
        assert_eq!(char_to_number('a'), None);
    }

    /// Node 20: `String(x)` on both sides of each switch point of Number::toString: the
    /// integer fast path at 2^53, the digit count k against the exponent n (k = n, k < n, k > n),
    /// n = 21 against 22 (1e21), n = −5 against −6 (1e−7), one digit against several in
    /// exponential form, and the signs of the value and of the exponent.
    #[test]
    fn number_to_string_switch_points_match_node() {
        let cases: &[(f64, &str)] = &[
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (0.0, "0"),
            (0.5, "0.5"),
            (-0.5, "-0.5"),
            (-1.5, "-1.5"),
            (123.456, "123.456"),
            (-123.456, "-123.456"),
            (0.1234567, "0.1234567"),
            // 2^53 ± a step: the fast path ends, the shortest digits take over; k = n = 16.
            (9007199254740994.0, "9007199254740994"),
            (-9007199254740992.0, "-9007199254740992"),
            (18014398509481984.0, "18014398509481984"),
            (100000000000000100000.0, "100000000000000100000"),
            // The largest double below 1e21: n = 21, still positional.
            (999999999999999900000.0, "999999999999999900000"),
            (1.5e21, "1.5e+21"),
            (1.2345678901234568e21, "1.2345678901234568e+21"),
            (1e-6, "0.000001"),
            (-0.000001, "-0.000001"),
            (0.0000015, "0.0000015"),
            (1.5e-7, "1.5e-7"),
            (-1e-7, "-1e-7"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (n, want) in cases {
            assert_eq!(number_to_string(*n), *want, "String({n:e})");
        }
    }
}
