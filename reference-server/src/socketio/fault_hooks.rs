//! The Socket.IO faults that need more than a one-line hook (feature `faults`, tests only):
//! how a server open to a published advisory looks from its clients. A Rust server cannot let
//! one bad packet kill its process, so "the process crashed" is modelled by what the clients
//! of that process see: every session of the namespace drops at once, without a DISCONNECT.

use super::socket::Socket;
use serde_json::Value as J;

/// Drops the engine connection of every socket in the namespaces of `sockets` (a crash as
/// the bystanders see it).
pub(crate) fn crash(sockets: impl IntoIterator<Item = Socket>) {
    for socket in sockets {
        for s in socket.nsp().sockets() {
            s.drop_connection();
        }
    }
}

/// The JSON payload of a text Socket.IO packet: from the first `[` or `{` after the type, the
/// attachment count, the namespace and the id (good enough for the crafted packets the faults
/// react to; the namespaces of the contract contain neither character).
fn payload(text: &str) -> Option<(usize, J)> {
    let start = text.find(['[', '{'])?;
    Some((start, serde_json::from_str(&text[start..]).ok()?))
}

/// An EVENT (`2…`) whose first element is neither a string nor a number: the input of
/// CVE-2023-32695.
pub(crate) fn event_name_not_string(text: &str) -> bool {
    if !text.starts_with('2') {
        return false;
    }
    matches!(payload(text), Some((_, J::Array(a))) if a.first().is_some_and(|n| !n.is_string() && !n.is_number()))
}

/// A BINARY_EVENT / BINARY_ACK header with every placeholder whose `num` is not an index of
/// the announced attachments replaced by `null` (what the unpatched parser's lookup gave once
/// serialised), or `None` when the text is not such a header or has no such placeholder.
pub(crate) fn null_bad_placeholders(text: &str) -> Option<String> {
    let rest = text.strip_prefix('5').or_else(|| text.strip_prefix('6'))?;
    let count: u64 = rest.split('-').next()?.parse().ok()?;
    let (start, mut data) = payload(text)?;
    fn walk(v: &mut J, count: u64) -> bool {
        match v {
            J::Object(o) if o.get("_placeholder") == Some(&J::Bool(true)) => {
                let valid = o.get("num").and_then(J::as_u64).is_some_and(|n| n < count);
                if !valid {
                    *v = J::Null;
                }
                !valid
            }
            J::Object(o) => o.values_mut().fold(false, |acc, v| walk(v, count) | acc),
            J::Array(a) => a.iter_mut().fold(false, |acc, v| walk(v, count) | acc),
            _ => false,
        }
    }
    walk(&mut data, count).then(|| format!("{}{}", &text[..start], data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crafted_inputs_are_recognised() {
        assert!(event_name_not_string(r#"2[{"toString":"x"}]"#));
        assert!(event_name_not_string(r#"2/a,1[null]"#));
        assert!(!event_name_not_string(r#"2["message"]"#));
        assert!(!event_name_not_string(r#"2[1,"x"]"#));
        assert_eq!(
            null_bad_placeholders(r#"51-["m",{"_placeholder":true,"num":"splice"}]"#).as_deref(),
            Some(r#"51-["m",null]"#)
        );
        assert_eq!(
            null_bad_placeholders(r#"51-["m",{"_placeholder":true,"num":0}]"#),
            None
        );
    }
}
