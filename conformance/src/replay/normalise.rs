//! The transcripts' normalisation, run live: volatile values (Engine.IO sids, Socket.IO sids,
//! recovery pids and offsets, the `t` cache buster) are learned where they are born in the
//! target's replies, replaced by the transcript's tokens before comparing, and substituted back
//! into what the replayer sends. The rules are those of `fixtures/TRANSCRIPT-SCHEMA.md`
//! ("Normalisation"), implemented here from the wire text with a naive reader of our own (never
//! the shared codec):
//!
//! ```text
//! open packet              0{"sid":"<v>",…}                  → <eio-sid-N>
//! s2c CONNECT (type 0)     40[/nsp,]{"sid":"<v>","pid":"<w>"} → <sio-sid-N>, <pid-N>
//! s2c EVENT / BINARY_EVENT 42[/nsp,]["e",…,"<v>"]            → <offset-N>   (sio-recovery only,
//!   without ack id, at least two arguments, the last one a string)
//! cache buster             t=<v>                              → t=<t>, and <v> → <t> elsewhere
//! ```
//!
//! N counts distinct values per kind in order of first appearance; replacement is longest value
//! first, so a value that contains another is replaced whole.
//!
//! Server ack ids are volatile too (one counter per namespace, `nsp._ids`, which the transcript
//! saw start at 0 on a fresh server), but a number cannot be replaced by text search, so they
//! are aligned by position instead ([`Volatiles::align_ack`]): a server EVENT / BINARY_EVENT
//! that equals the expected one except for its ack id binds the expected id to the live one,
//! and the client's ACK / BINARY_ACK for that id in that namespace is sent with the live id
//! ([`Volatiles::live_ack`]).

use serde_json::Value;

/// The record separator of Engine.IO v4 polling payloads.
pub const RS: char = '\u{1e}';

/// The cache-buster value the replayer sends for `t=<t>`.
pub const T_VALUE: &str = "ReplayT0";

/// Volatile values learned so far, with their tokens.
#[derive(Debug, Default, Clone)]
pub struct Volatiles {
    /// `(live value, token)`, in order of birth.
    values: Vec<(String, String)>,
    /// Server ack ids: `(namespace prefix, id in the transcript, live id)`.
    acks: Vec<(String, String, String)>,
    /// Counters per kind: eio-sid, sio-sid, pid, offset.
    counts: [u32; 4],
    /// Whether offsets are born (the `sio-recovery` server only).
    pub recovery: bool,
}

const KINDS: [&str; 4] = ["eio-sid", "sio-sid", "pid", "offset"];

impl Volatiles {
    /// An empty table; `recovery` turns on offset learning.
    pub fn new(recovery: bool) -> Volatiles {
        Volatiles {
            recovery,
            ..Volatiles::default()
        }
    }

    fn add(&mut self, value: &str, kind: usize) {
        if value.is_empty() || self.values.iter().any(|(v, _)| v == value) {
            return;
        }
        self.counts[kind] += 1;
        let token = format!("<{}-{}>", KINDS[kind], self.counts[kind]);
        self.values.push((value.to_string(), token));
    }

    /// The live value of a token, if it was born already.
    pub fn value_of(&self, token: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(_, t)| t == token)
            .map(|(v, _)| v.as_str())
    }

    /// The learned `(value, token)` pairs, in order of birth.
    pub fn learned(&self) -> &[(String, String)] {
        &self.values
    }

    /// Learns from one Engine.IO packet's text (`0{…}`, `4…`) sent by the server.
    pub fn learn_packet(&mut self, packet: &str, socketio: bool) {
        if let Some(json) = packet.strip_prefix('0') {
            if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(json) {
                if let Some(sid) = o.get("sid").and_then(Value::as_str) {
                    self.add(sid, 0);
                }
            }
            return;
        }
        let Some(sio) = packet.strip_prefix('4') else {
            return;
        };
        if !socketio {
            return;
        }
        let mut chars = sio.char_indices();
        let Some((_, kind)) = chars.next() else {
            return;
        };
        let mut rest = &sio[1..];
        if kind == '5' {
            // attachments count and dash
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            match rest[digits..].strip_prefix('-') {
                Some(r) if digits > 0 => rest = r,
                _ => return,
            }
        }
        if rest.starts_with('/') {
            match rest.find(',') {
                Some(i) => rest = &rest[i + 1..],
                None => return,
            }
        }
        let ack_digits = rest.chars().take_while(char::is_ascii_digit).count();
        let has_ack = ack_digits > 0;
        rest = &rest[ack_digits..];
        let Ok(data) = serde_json::from_str::<Value>(rest) else {
            return;
        };
        match kind {
            '0' => {
                if let Value::Object(o) = &data {
                    if let Some(sid) = o.get("sid").and_then(Value::as_str) {
                        self.add(sid, 1);
                    }
                    if let Some(pid) = o.get("pid").and_then(Value::as_str) {
                        self.add(pid, 2);
                    }
                }
            }
            '2' | '5' if self.recovery && !has_ack => {
                if let Value::Array(args) = &data {
                    if args.len() > 1 {
                        if let Some(Value::String(last)) = args.last() {
                            self.add(last, 3);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Replaces every learned value (longest first) by its token, and the cache buster by `<t>`.
    pub fn normalise(&self, text: &str) -> String {
        let mut values: Vec<&(String, String)> = self.values.iter().collect();
        values.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        let mut out = text.to_string();
        for (v, token) in values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), token);
            }
        }
        if out.contains(T_VALUE) {
            out = out.replace(T_VALUE, "<t>");
        }
        out
    }

    /// Replaces every token whose value is known by the live value, and `<t>` by the cache
    /// buster. Tokens not born yet are left as they are (the target will see them literally).
    pub fn substitute(&self, text: &str) -> String {
        let mut out = text.to_string();
        if !out.contains('<') {
            return out;
        }
        // Longest token first: <eio-sid-10> before <eio-sid-1>.
        let mut values: Vec<&(String, String)> = self.values.iter().collect();
        values.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1.cmp(&b.1)));
        for (v, token) in values {
            if out.contains(token.as_str()) {
                out = out.replace(token.as_str(), v);
            }
        }
        out.replace("<t>", T_VALUE)
    }
}

/// A Socket.IO packet inside an Engine.IO `message` packet, split around its ack id:
/// `4` + type + `[N-]` + `[/nsp,]` (the head), the id's digits, and the rest (`[…]`).
struct AckParts<'a> {
    kind: char,
    /// `[/nsp,]`: the namespace part, empty for `/`.
    nsp: &'a str,
    head: &'a str,
    id: &'a str,
    rest: &'a str,
}

fn ack_parts(packet: &str) -> Option<AckParts<'_>> {
    let sio = packet.strip_prefix('4')?;
    let kind = sio.chars().next().filter(|c| ('2'..='6').contains(c))?;
    let mut at = 2; // after `4` and the type
    if matches!(kind, '5' | '6') {
        let digits = packet[at..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || packet.as_bytes().get(at + digits) != Some(&b'-') {
            return None;
        }
        at += digits + 1;
    }
    let nsp_start = at;
    if packet[at..].starts_with('/') {
        at += packet[at..].find(',')? + 1;
    }
    let nsp = &packet[nsp_start..at];
    let digits = packet[at..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    Some(AckParts {
        kind,
        nsp,
        head: &packet[..at],
        id: &packet[at..at + digits],
        rest: &packet[at + digits..],
    })
}

impl Volatiles {
    /// Aligns the ack id of a server packet `got` (normalised) with the `expected` one: when
    /// both are an EVENT / BINARY_EVENT with an ack id and equal but for the id, binds the
    /// expected id to the live one and returns `got` written with the expected id; otherwise
    /// `got` unchanged.
    pub fn align_ack(&mut self, expected: &str, got: &str) -> String {
        let (Some(want), Some(live)) = (ack_parts(expected), ack_parts(got)) else {
            return got.to_string();
        };
        let event = matches!(want.kind, '2' | '5');
        if !event || want.head != live.head || want.rest != live.rest {
            return got.to_string();
        }
        // Two pending acks never share an id (Node's counter only goes up): a live id bound to
        // another expected id is a real difference, left for the comparison to report.
        let reused = self
            .acks
            .iter()
            .any(|(n, w, l)| n == want.nsp && l == live.id && w != want.id);
        if reused {
            return got.to_string();
        }
        let binding = (
            want.nsp.to_string(),
            want.id.to_string(),
            live.id.to_string(),
        );
        self.acks
            .retain(|(n, w, _)| (n, w) != (&binding.0, &binding.1));
        self.acks.push(binding);
        expected.to_string()
    }

    /// A client packet with the live ack id: an ACK / BINARY_ACK whose id the server used under
    /// another number ([`Volatiles::align_ack`]) is rewritten; anything else is unchanged.
    pub fn live_ack(&self, packet: &str) -> String {
        let Some(p) = ack_parts(packet).filter(|p| matches!(p.kind, '3' | '6')) else {
            return packet.to_string();
        };
        match self.acks.iter().find(|(n, w, _)| n == p.nsp && w == p.id) {
            Some((_, _, live)) => format!("{}{live}{}", p.head, p.rest),
            None => packet.to_string(),
        }
    }
}

/// Splits an Engine.IO v3 string payload (`<length>:<packet>…`, lengths in UTF-16 units) into
/// its packets; `None` when it is not well framed.
pub fn split_v3(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let colon = rest.find(':')?;
        let len: usize = rest[..colon].parse().ok().filter(|_| colon > 0)?;
        let body = &rest[colon + 1..];
        let mut units = 0;
        let mut end = 0;
        for (i, c) in body.char_indices() {
            if units == len {
                end = i;
                break;
            }
            units += c.len_utf16();
            end = i + c.len_utf8();
        }
        if units != len {
            return None;
        }
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    (!out.is_empty()).then_some(out)
}

/// Frames packets as an Engine.IO v3 string payload.
pub fn join_v3(packets: &[String]) -> String {
    packets
        .iter()
        .map(|p| format!("{}:{p}", p.encode_utf16().count()))
        .collect()
}

/// The packets of a polling payload text: v4 split on the record separator, v3 by its framing
/// (a body that is not well framed is one packet).
pub fn packets(text: &str, eio: u8) -> Vec<String> {
    if eio == 3 {
        return split_v3(text).unwrap_or_else(|| vec![text.to_string()]);
    }
    if text.is_empty() {
        return Vec::new();
    }
    text.split(RS).map(str::to_string).collect()
}

/// Joins packets back into a payload text.
pub fn join(packets: &[String], eio: u8) -> String {
    if eio == 3 {
        join_v3(packets)
    } else {
        packets.join(&RS.to_string())
    }
}

/// Applies `f` to every packet of a payload and re-frames it (v3 lengths recomputed); a v3 body
/// that is not well framed is rewritten as plain text, as the capture's normalise() does.
pub fn map_payload(text: &str, eio: u8, f: impl Fn(&str) -> String) -> String {
    if eio == 3 {
        match split_v3(text) {
            Some(ps) => join_v3(&ps.iter().map(|p| f(p)).collect::<Vec<_>>()),
            None => f(text),
        }
    } else {
        f(text)
    }
}

/// Whether two packets are equal under the replay's rules: open packets (`0{…}`) as JSON values
/// (key order is not the point of a handshake), everything else byte for byte.
pub fn packet_eq(expected: &str, got: &str) -> bool {
    if expected == got {
        return true;
    }
    match (expected.strip_prefix("0{"), got.strip_prefix("0{")) {
        (Some(_), Some(_)) => {
            let a = serde_json::from_str::<Value>(&expected[1..]);
            let b = serde_json::from_str::<Value>(&got[1..]);
            matches!((a, b), (Ok(a), Ok(b)) if a == b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_where_values_are_born_and_normalises() {
        let mut v = Volatiles::new(true);
        v.learn_packet(
            r#"0{"sid":"AAA","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#,
            true,
        );
        v.learn_packet(r#"40{"sid":"BBB","pid":"CCC"}"#, true);
        v.learn_packet(r#"42["auth",{},"DDD"]"#, true);
        v.learn_packet(r#"421["x","EEE"]"#, true); // ack id: no offset
        v.learn_packet(r#"42["only"]"#, true); // one argument: no offset
        v.learn_packet(
            r#"451-/custom,["m",{"_placeholder":true,"num":0},"FFF"]"#,
            true,
        );
        assert_eq!(v.value_of("<eio-sid-1>"), Some("AAA"));
        assert_eq!(v.value_of("<sio-sid-1>"), Some("BBB"));
        assert_eq!(v.value_of("<pid-1>"), Some("CCC"));
        assert_eq!(v.value_of("<offset-1>"), Some("DDD"));
        assert_eq!(v.value_of("<offset-2>"), Some("FFF"));
        assert_eq!(v.value_of("<offset-3>"), None);
        assert_eq!(
            v.normalise(r#"/x?sid=AAA&t=ReplayT0 42["auth",{},"DDD"] /admin#AAA"#),
            r#"/x?sid=<eio-sid-1>&t=<t> 42["auth",{},"<offset-1>"] /admin#<eio-sid-1>"#
        );
        assert_eq!(
            v.substitute("sid=<eio-sid-1>&t=<t>&x=<pid-1><sio-sid-9>"),
            "sid=AAA&t=ReplayT0&x=CCC<sio-sid-9>"
        );
    }

    #[test]
    fn server_ack_ids_are_aligned_by_position() {
        let mut v = Volatiles::new(false);
        // Equal but for the id: bound, and written with the transcript's id.
        assert_eq!(
            v.align_ack(r#"42/custom,0["ask",1]"#, r#"42/custom,7["ask",1]"#),
            r#"42/custom,0["ask",1]"#
        );
        assert_eq!(
            v.align_ack(
                r#"451-3["b",{"_placeholder":true,"num":0}]"#,
                r#"451-12["b",{"_placeholder":true,"num":0}]"#
            ),
            r#"451-3["b",{"_placeholder":true,"num":0}]"#
        );
        // A live id already given to another expected id is not aligned again.
        assert_eq!(
            v.align_ack(r#"42/custom,1["ask",1]"#, r#"42/custom,7["ask",1]"#),
            r#"42/custom,7["ask",1]"#
        );
        // Other differences are left for the comparison to report.
        assert_eq!(
            v.align_ack(r#"420["ask",1]"#, r#"421["ask",2]"#),
            r#"421["ask",2]"#
        );
        assert_eq!(
            v.align_ack(r#"420["ask"]"#, r#"42/x,5["ask"]"#),
            r#"42/x,5["ask"]"#
        );
        // The client's acks for bound ids go out with the live id, in their namespace only.
        assert_eq!(v.live_ack(r#"43/custom,0["yes"]"#), r#"43/custom,7["yes"]"#);
        assert_eq!(
            v.live_ack(r#"461-3[{"_placeholder":true,"num":0}]"#),
            r#"461-12[{"_placeholder":true,"num":0}]"#
        );
        assert_eq!(v.live_ack(r#"430["yes"]"#), r#"430["yes"]"#);
        assert_eq!(
            v.live_ack(r#"42/custom,0["not an ack"]"#),
            r#"42/custom,0["not an ack"]"#
        );
    }

    #[test]
    fn v3_framing_counts_utf16_units() {
        let ps = split_v3("2:4012:42[\"m\",\"😀\"]").unwrap();
        assert_eq!(ps, vec!["40".to_string(), "42[\"m\",\"😀\"]".to_string()]);
        assert_eq!(join_v3(&ps), "2:4012:42[\"m\",\"😀\"]");
        assert!(split_v3("5:40").is_none());
        assert_eq!(map_payload("2:40", 3, |p| format!("{p}x")), "3:40x");
    }

    #[test]
    fn handshakes_compare_as_json() {
        assert!(packet_eq(r#"0{"a":1,"b":2}"#, r#"0{"b":2,"a":1}"#));
        assert!(!packet_eq(r#"0{"a":1}"#, r#"0{"a":2}"#));
        assert!(!packet_eq(r#"40{"a":1,"b":2}"#, r#"40{"b":2,"a":1}"#));
    }
}
