//! MessagePack as notepack.io 3.0.1 writes and reads it (the Redis adapter's parser).
//!
//! The values are JavaScript's: one number type (`f64`), `undefined` beside `null`, objects with
//! string keys in insertion order, Buffers. notepack's encoding choices, which a byte-exact peer
//! must repeat:
//!
//! ```text
//! integral number n (finite)     0..=127 fixint | ≤0xff cc | ≤0xffff cd | <2^32 ce | else cf hi lo
//!                                -32..-1 fixint | ≥-128 d0 | ≥-32768 d1 | ≥-2^31 d2 | else d3 hi lo
//!                                (hi, lo = ToInt32(n / 2^32), ToUint32(n): 2^64 and up wrap, 1e300 → 0)
//! other number                   cb + float 64 (never float 32)
//! string (UTF-8 length L)        L<32 a0|L | <2^8 d9 L | <2^16 da L | else db L
//! Buffer                         <2^8 c4 L | <2^16 c5 L | else c6 L
//! array                          <16 90|N | <2^16 dc N | else dd N
//! object (undefined values left out)  <16 80|N | <2^16 de N | else df N
//! null, undefined                c0   (the decoder also reads d4 00 00 as undefined)
//! false, true                    c2, c3
//! ```
//!
//! Maps are JavaScript objects: a repeated key keeps its first place and its last value, and
//! array-index keys come first, ascending, when decoding and when encoding. Decoding accepts
//! every MessagePack form notepack decodes. We are stricter in two places: a map key must be a
//! string and strings must be valid UTF-8 (notepack would coerce the key and decode the bytes
//! its own way).

use thiserror::Error;

/// A JavaScript value as notepack.io sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` (0xc0).
    Nil,
    /// `undefined`: encoded as nil; decoded from the legacy fixext `d4 00 00`.
    Undefined,
    Bool(bool),
    /// Every number is a JavaScript number; the encoder picks the wire form from its value.
    Number(f64),
    Str(String),
    /// A Buffer (msgpack bin).
    Bin(Vec<u8>),
    Array(Vec<Value>),
    /// An object: keys in insertion order.
    Map(Vec<(String, Value)>),
    /// A msgpack timestamp (extension type −1), as its raw data: notepack turns it into a
    /// `Date`, which no adapter message carries. Other extension types decode as notepack
    /// hands them on, the array `[type, Buffer]`.
    Timestamp(Vec<u8>),
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key`, if this is a map that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why bytes are not one notepack value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MsgpackError {
    /// The input ended inside a value.
    #[error("unexpected end of input")]
    Truncated,
    /// Bytes were left after the value (notepack: "N trailing bytes").
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
    /// 0xc1 is never used by MessagePack (notepack: "Could not parse").
    #[error("could not parse byte 0x{0:02x}")]
    Reserved(u8),
    /// A string that is not UTF-8 (stricter than notepack).
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A map key that is not a string (stricter than notepack, which coerces it).
    #[error("map key is not a string")]
    NonStringKey,
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("nesting deeper than {MAX_DEPTH}")]
    TooDeep,
}

/// How deep arrays and maps may nest when decoding (bounds the recursion on hostile input).
pub const MAX_DEPTH: usize = 256;

/// Encodes `value` as notepack.io does.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, value);
    out
}

fn length_header(out: &mut Vec<u8>, len: usize, fix: Option<(u8, usize)>, tags: [u8; 3]) {
    match fix {
        Some((base, limit)) if len < limit => out.push(base | len as u8),
        _ if fix.is_none() && len < 0x100 => out.extend([tags[0], len as u8]),
        _ if len < 0x1_0000 => {
            out.push(tags[1]);
            out.extend((len as u16).to_be_bytes());
        }
        _ => {
            out.push(tags[2]);
            out.extend((len as u32).to_be_bytes());
        }
    }
}

fn encode_into(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Nil | Value::Undefined => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => encode_number(out, *n),
        Value::Str(s) => {
            // Strings have a fixstr form and a str 8 form: both tables apply.
            let len = s.len();
            if len < 0x20 {
                out.push(0xa0 | len as u8);
            } else {
                length_header(out, len, None, [0xd9, 0xda, 0xdb]);
            }
            out.extend(s.as_bytes());
        }
        Value::Bin(bytes) => {
            length_header(out, bytes.len(), None, [0xc4, 0xc5, 0xc6]);
            out.extend(bytes);
        }
        Value::Array(items) => {
            length_header(out, items.len(), Some((0x90, 0x10)), [0, 0xdc, 0xdd]);
            for item in items {
                encode_into(out, item);
            }
        }
        Value::Map(entries) => {
            // notepack leaves out keys whose value is undefined.
            let kept: Vec<_> = js_property_order(entries.clone())
                .into_iter()
                .filter(|(_, v)| *v != Value::Undefined)
                .collect();
            length_header(out, kept.len(), Some((0x80, 0x10)), [0, 0xde, 0xdf]);
            for (key, item) in kept {
                encode_into(out, &Value::Str(key));
                encode_into(out, &item);
            }
        }
        Value::Timestamp(data) => {
            match data.len() {
                4 => out.push(0xd6),
                8 => out.push(0xd7),
                len => length_header(out, len, None, [0xc7, 0xc8, 0xc9]),
            }
            out.push(0xff);
            out.extend(data);
        }
    }
}

/// A JavaScript object's property order: array-index keys (`"0"`, `"7"`, not `"07"`) first,
/// ascending, then the others in insertion order. notepack decodes into, and encodes from, such
/// objects, so `{"b":…,"1":…}` on the wire is written back as `{"1":…,"b":…}`.
fn js_property_order(entries: Vec<(String, Value)>) -> Vec<(String, Value)> {
    let (mut indexed, others): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(k, _)| crate::binary::array_index(k).is_some());
    indexed.sort_by_key(|(k, _)| crate::binary::array_index(k));
    indexed.extend(others);
    indexed
}

/// JavaScript's ToInt32 then reinterpretation as unsigned (the low 32 bits of the integer part).
fn low_32_bits(n: f64) -> u32 {
    if !n.is_finite() {
        return 0;
    }
    n.trunc().rem_euclid(4_294_967_296.0) as u32
}

fn encode_number(out: &mut Vec<u8>, n: f64) {
    // notepack: `Math.floor(value) !== value || !isFinite(value)` → float 64.
    if n.floor() != n || !n.is_finite() {
        out.push(0xcb);
        out.extend(n.to_be_bytes());
        return;
    }
    if n >= 0.0 {
        // -0 compares equal to 0 and takes this branch, as in JavaScript.
        if n < 128.0 {
            out.push(n as u8);
        } else if n < 256.0 {
            out.extend([0xcc, n as u8]);
        } else if n < 65536.0 {
            out.push(0xcd);
            out.extend((n as u16).to_be_bytes());
        } else if n < 4_294_967_296.0 {
            out.push(0xce);
            out.extend((n as u32).to_be_bytes());
        } else {
            // `hi = (value / 2^32) >> 0`: for 2^64 and above the high word wraps (the corruption).
            out.push(0xcf);
            out.extend(low_32_bits(n / 4_294_967_296.0).to_be_bytes());
            out.extend(low_32_bits(n).to_be_bytes());
        }
    } else if n >= -32.0 {
        out.push(n as i8 as u8);
    } else if n >= -128.0 {
        out.extend([0xd0, n as i8 as u8]);
    } else if n >= -32768.0 {
        out.push(0xd1);
        out.extend((n as i16).to_be_bytes());
    } else if n >= -2_147_483_648.0 {
        out.push(0xd2);
        out.extend((n as i32).to_be_bytes());
    } else {
        // `hi = Math.floor(value / 2^32)`, written as its low 32 bits.
        out.push(0xd3);
        out.extend(low_32_bits((n / 4_294_967_296.0).floor()).to_be_bytes());
        out.extend(low_32_bits(n).to_be_bytes());
    }
}

/// Decodes exactly one value from `bytes` (trailing bytes are an error, as in notepack).
pub fn decode(bytes: &[u8]) -> Result<Value, MsgpackError> {
    let mut reader = Reader { bytes, at: 0 };
    let value = reader.value(0)?;
    match bytes.len() - reader.at {
        0 => Ok(value),
        left => Err(MsgpackError::TrailingBytes(left)),
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MsgpackError> {
        let end = self.at.checked_add(n).ok_or(MsgpackError::Truncated)?;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or(MsgpackError::Truncated)?;
        self.at = end;
        Ok(slice)
    }

    fn uint(&mut self, n: usize) -> Result<u64, MsgpackError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn value(&mut self, depth: usize) -> Result<Value, MsgpackError> {
        if depth > MAX_DEPTH {
            return Err(MsgpackError::TooDeep);
        }
        let tag = self.take(1)?[0];
        Ok(match tag {
            0x00..=0x7f => Value::Number(f64::from(tag)),
            0x80..=0x8f => self.map(usize::from(tag & 0x0f), depth)?,
            0x90..=0x9f => self.array(usize::from(tag & 0x0f), depth)?,
            0xa0..=0xbf => self.string(usize::from(tag & 0x1f))?,
            0xc0 => Value::Nil,
            0xc1 => return Err(MsgpackError::Reserved(tag)),
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0xc4..=0xc6 => {
                let len = self.uint(1 << (tag - 0xc4))? as usize;
                Value::Bin(self.take(len)?.to_vec())
            }
            0xc7..=0xc9 => {
                let len = self.uint(1 << (tag - 0xc7))? as usize;
                self.ext(len)?
            }
            0xca => Value::Number(f64::from(f32::from_bits(self.uint(4)? as u32))),
            0xcb => Value::Number(f64::from_bits(self.uint(8)?)),
            0xcc..=0xcf => {
                // notepack reads uint 64 as hi * 2^32 + lo (rounded to a double).
                let n = self.uint(1 << (tag - 0xcc))?;
                Value::Number((n >> 32) as f64 * 4_294_967_296.0 + (n & 0xffff_ffff) as f64)
            }
            0xd0 => Value::Number(f64::from(self.uint(1)? as u8 as i8)),
            0xd1 => Value::Number(f64::from(self.uint(2)? as u16 as i16)),
            0xd2 => Value::Number(f64::from(self.uint(4)? as u32 as i32)),
            0xd3 => {
                let n = self.uint(8)?;
                let hi = (n >> 32) as u32 as i32;
                Value::Number(f64::from(hi) * 4_294_967_296.0 + (n & 0xffff_ffff) as f64)
            }
            0xd4..=0xd8 => self.ext(1 << (tag - 0xd4))?,
            0xd9..=0xdb => {
                let len = self.uint(1 << (tag - 0xd9))? as usize;
                self.string(len)?
            }
            0xdc | 0xdd => {
                let len = self.uint(if tag == 0xdc { 2 } else { 4 })? as usize;
                self.array(len, depth)?
            }
            0xde | 0xdf => {
                let len = self.uint(if tag == 0xde { 2 } else { 4 })? as usize;
                self.map(len, depth)?
            }
            0xe0..=0xff => Value::Number(f64::from(tag as i8)),
        })
    }

    fn string(&mut self, len: usize) -> Result<Value, MsgpackError> {
        let bytes = self.take(len)?;
        let text = std::str::from_utf8(bytes).map_err(|_| MsgpackError::InvalidUtf8)?;
        Ok(Value::Str(text.to_owned()))
    }

    fn ext(&mut self, len: usize) -> Result<Value, MsgpackError> {
        let kind = self.take(1)?[0] as i8;
        let data = self.take(len)?;
        // notepack's legacy encoding of undefined: fixext 1, type 0 (its data byte is ignored).
        Ok(match kind {
            0 if len == 1 => Value::Undefined,
            -1 => Value::Timestamp(data.to_vec()),
            _ => Value::Array(vec![
                Value::Number(f64::from(kind)),
                Value::Bin(data.to_vec()),
            ]),
        })
    }

    fn array(&mut self, len: usize, depth: usize) -> Result<Value, MsgpackError> {
        // Every element takes at least one byte: a length beyond the input is truncated.
        if len > self.bytes.len() - self.at {
            return Err(MsgpackError::Truncated);
        }
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(self.value(depth + 1)?);
        }
        Ok(Value::Array(items))
    }

    fn map(&mut self, len: usize, depth: usize) -> Result<Value, MsgpackError> {
        if len > (self.bytes.len() - self.at) / 2 {
            return Err(MsgpackError::Truncated);
        }
        let mut entries: Vec<(String, Value)> = Vec::with_capacity(len);
        for _ in 0..len {
            let Value::Str(key) = self.value(depth + 1)? else {
                return Err(MsgpackError::NonStringKey);
            };
            let value = self.value(depth + 1)?;
            // notepack assigns `object[key] = value`: a repeated key keeps its first place and
            // takes the last value.
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        Ok(Value::Map(js_property_order(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_DEPTH, MsgpackError, Value, decode, encode};

    #[test]
    fn fixed_forms_end_one_short_of_their_limit() {
        // notepack: fixstr below 32 bytes, fixarray and fixmap below 16 entries, str 8 below
        // 256 bytes, 16-bit lengths below 65536; at each limit, the next form.
        let s = |n: usize| encode(&Value::Str("a".repeat(n)));
        assert_eq!(s(31)[0], 0xa0 | 31);
        assert_eq!(s(32)[..2], [0xd9, 32]);
        assert_eq!(s(255)[..2], [0xd9, 255]);
        assert_eq!(s(256)[..3], [0xda, 1, 0]);
        assert_eq!(s(65535)[..3], [0xda, 0xff, 0xff]);
        assert_eq!(s(65536)[..5], [0xdb, 0, 1, 0, 0]);
        let a = |n: usize| encode(&Value::Array(vec![Value::Nil; n]));
        assert_eq!(a(15)[0], 0x90 | 15);
        assert_eq!(a(16)[..3], [0xdc, 0, 16]);
    }

    #[test]
    fn nesting_through_map_values_counts_toward_max_depth() {
        // `n` maps each holding the next under "a", innermost value nil at depth n.
        let nested = |n: usize| {
            let mut bytes = Vec::new();
            for _ in 0..n {
                bytes.extend([0x81, 0xa1, b'a']);
            }
            bytes.push(0xc0);
            bytes
        };
        assert!(decode(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(decode(&nested(MAX_DEPTH + 1)), Err(MsgpackError::TooDeep));
    }

    #[test]
    fn nesting_through_arrays_counts_toward_max_depth() {
        // `n` one-element arrays, each holding the next; innermost nil at depth n.
        let nested = |n: usize| {
            let mut bytes = vec![0x91; n];
            bytes.push(0xc0);
            bytes
        };
        assert!(decode(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(decode(&nested(MAX_DEPTH + 1)), Err(MsgpackError::TooDeep));
    }

    /// What notepack.io 3.0.1's decode gives for each (fixtures/node/cluster/notepack-diff.mjs,
    /// one hex line each: `{"$undefined":true}`, `[0,<aabb>]`, a Date, `[5,<cc>]`, `[5,<aabb>]`,
    /// `[7,<cc>]`).
    #[test]
    fn extensions_decode_as_notepack_hands_them_on() {
        let ext = |kind: f64, data: &[u8]| {
            Ok(Value::Array(vec![
                Value::Number(kind),
                Value::Bin(data.to_vec()),
            ]))
        };
        // fixext 1 of type 0 is notepack's undefined; type 0 with two bytes is an extension.
        assert_eq!(decode(&[0xd4, 0x00, 0x00]), Ok(Value::Undefined));
        assert_eq!(decode(&[0xd5, 0x00, 0xaa, 0xbb]), ext(0.0, &[0xaa, 0xbb]));
        // Type -1, a timestamp (a Date in notepack), kept as its raw data.
        assert_eq!(
            decode(&[0xd6, 0xff, 0, 0, 0, 1]),
            Ok(Value::Timestamp(vec![0, 0, 0, 1]))
        );
        // ext 8, 16 and 32: one, two and four bytes of length.
        assert_eq!(decode(&[0xc7, 0x01, 0x05, 0xcc]), ext(5.0, &[0xcc]));
        assert_eq!(
            decode(&[0xc8, 0x00, 0x02, 0x05, 0xaa, 0xbb]),
            ext(5.0, &[0xaa, 0xbb])
        );
        assert_eq!(
            decode(&[0xc9, 0x00, 0x00, 0x00, 0x01, 0x07, 0xcc]),
            ext(7.0, &[0xcc])
        );
    }

    fn hex(value: Value) -> String {
        encode(&value).iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn integral_numbers_take_notepacks_smallest_form() {
        for (n, wire) in [
            (0.0, "00"),
            (127.0, "7f"),
            (128.0, "cc80"),
            (65536.0, "ce00010000"),
            (4_294_967_296.0, "cf0000000100000000"),
            (-1.0, "ff"),
            (-33.0, "d0df"),
            (-2_147_483_649.0, "d3ffffffff7fffffff"),
            (-0.0, "00"),
        ] {
            assert_eq!(hex(Value::Number(n)), wire, "{n}");
        }
    }

    #[test]
    fn numbers_from_two_to_the_64_wrap_as_notepack_wraps_them() {
        assert_eq!(hex(Value::Number(2f64.powi(64))), "cf0000000000000000");
        assert_eq!(hex(Value::Number(1e300)), "cf0000000000000000");
        assert_eq!(
            hex(Value::Number(2f64.powi(64) + 2f64.powi(33))),
            "cf0000000200000000"
        );
    }

    #[test]
    fn undefined_is_nil_in_arrays_and_left_out_of_maps() {
        let value = Value::Array(vec![
            Value::Undefined,
            Value::Map(vec![
                ("k".into(), Value::Undefined),
                ("j".into(), Value::Number(1.0)),
            ]),
        ]);
        assert_eq!(hex(value), "92c081a16a01");
        assert_eq!(decode(&[0xd4, 0, 0]), Ok(Value::Undefined));
    }

    #[test]
    fn maps_follow_javascript_property_order() {
        // {"b":1,"1":2,"b":3} → {"1":2,"b":3}
        let wire = [0x83, 0xa1, b'b', 1, 0xa1, b'1', 2, 0xa1, b'b', 3];
        let value = decode(&wire).unwrap();
        assert_eq!(
            value,
            Value::Map(vec![
                ("1".into(), Value::Number(2.0)),
                ("b".into(), Value::Number(3.0))
            ])
        );
        assert_eq!(hex(value), "82a13102a16203");
    }

    #[test]
    fn decoding_refuses_what_is_not_one_value() {
        assert!(decode(&[0x92, 0x01]).is_err());
        assert!(decode(&[0x01, 0x02]).is_err());
        assert!(decode(&[0xc1]).is_err());
        assert!(decode(&[0x81, 0x01, 0x01]).is_err());
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
