//! The behaviours of the official Node server (engine.io 6.6.12, socket.io 4.8.4) that cases
//! cite by tag in their source (`observed Node behaviour`, e.g. `§4 #17; §1.7`), written down
//! here so that every tag a case or a transcript cites resolves inside the repository:
//!
//! - `§1.<n>` / `§2.<n>`: a wire rule of Engine.IO v4 / Socket.IO v5 as Node applies it;
//! - `§4 #<n>`: a behaviour observed on the wire against the pinned Node server; each has
//!   transcripts in fixtures/transcripts (their `covers` tag is `notes-4.<n>`);
//! - `§5`: connection state recovery.
//!
//! Each entry says what Node does in our words; the transcripts are the byte-exact record.

/// One behaviour of the official server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Behaviour {
    /// The tag cases cite (`§4 #17`, `§1.7`).
    pub tag: &'static str,
    /// What the behaviour is about.
    pub title: &'static str,
    /// What Node does.
    pub node: &'static str,
}

const fn b(tag: &'static str, title: &'static str, node: &'static str) -> Behaviour {
    Behaviour { tag, title, node }
}

/// Every behaviour, wire rules first, then the observed behaviours in number order.
pub const BEHAVIOURS: &[Behaviour] = &[
    b(
        "§1.3",
        "Query parameters",
        "`EIO` (the protocol version), `transport` (`polling` or `websocket`), `sid` (after the handshake); `t`, the \
       client's cache buster, is ignored on every request; `b64` (v3 only) asks for base64 binary",
    ),
    b(
        "§1.4",
        "Request verification and its error table",
        "checks a request in a fixed order (the transport; the origin; with a sid: known, same transport unless \
       upgrading; without one: GET, an Upgrade header for `websocket`, allowRequest; then the protocol version) and \
       refuses it with 400 and `{\"code\":N,\"message\":…}`: 0 Transport unknown, 1 Session ID unknown, 2 Bad \
       handshake method, 3 Bad request, 4 Forbidden (403), 5 Unsupported protocol version; an upgrade is refused with \
       a raw `HTTP/1.1 400` and the message as text; a method other than GET or POST on a known session gets 500",
    ),
    b(
        "§1.5",
        "HTTP long-polling",
        "a GET waits for packets, a POST carries them; packets of one body are joined with the record separator 0x1E, \
       binary ones as `b` + base64; replies are `text/plain; charset=UTF-8` with `cache-control: no-store`; a POST \
       that was taken is answered `ok` (`text/html`); decoding a body stops at the first packet that does not parse, \
       and the session is then closed",
    ),
    b(
        "§1.6",
        "The WebSocket transport",
        "one Engine.IO packet per frame; binary messages go as raw binary frames without a type prefix; a text frame \
       starting with `b` is read as base64 binary; the server closes with no status code (the client sees 1005); a \
       client `close` packet over WebSocket is ignored; a client `noop` or `upgrade` on the established transport is \
       ignored",
    ),
    b(
        "§1.7",
        "The upgrade from polling to WebSocket",
        "the probe `2probe` is answered `3probe` on the new WebSocket; from then on, every 100 ms while a GET is held, \
       the GET is released with `6` (noop); the client's `5` completes the upgrade, what the socket had buffered is \
       written on the WebSocket (step 4), and a polling request for the session is then refused with code 3",
    ),
    b(
        "§1.8",
        "The v4 heartbeat",
        "the server sends `2` every pingInterval and waits pingTimeout for `3`; a pong re-arms the interval; a silent \
       client is closed after about pingInterval + pingTimeout; a `ping` from the client on the established \
       transport is an invalid heartbeat direction and closes the session",
    ),
    b(
        "§1.9",
        "maxPayload (maxHttpBufferSize)",
        "announced in the open packet; a POST body over it gets 413 with an empty body and the session is kept; a \
       WebSocket frame over it closes the connection with 1009",
    ),
    b(
        "§1.10",
        "Engine.IO v3 (allowEIO3)",
        "the client pings and the server pongs; polling payloads are `<length>:<packet>` with lengths in UTF-16 code \
       units, binary as XHR2 frames or `b4…` with `b64=1`; the open packet still carries maxPayload; Socket.IO over \
       it is protocol v4: `/` is joined implicitly, CONNECT replies have no sid, CONNECT_ERROR carries a string",
    ),
    b(
        "§2.1",
        "Socket.IO packet types and reserved event names",
        "types 0–6 (CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK); an EVENT named \
       `connect`, `connect_error`, `disconnect`, `disconnecting`, `newListener` or `removeListener` is refused by the \
       parser and the connection closed",
    ),
    b(
        "§2.2",
        "The Socket.IO encoding",
        "`<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`, the namespace written only when it is not `/` and always \
       followed by a comma; binary values become `{\"_placeholder\":true,\"num\":N}` numbered in depth-first order, \
       so placeholders a client numbered otherwise are renumbered (with the buffers reordered) when Node re-emits \
       them",
    ),
    b(
        "§2.3",
        "The Socket.IO decoder's rules",
        "rule 2: the attachment count of a binary packet must be a whole number from 1 to maxAttachments (10), else \
       `Illegal attachments` / `too many attachments`; rule 3: the namespace runs to the first comma or the end \
       (`40/admin` without a comma is valid); rule 5: the JSON must parse and fit the type (an EVENT's data is an \
       array whose first element is a string or number), else `invalid payload`; rule 6: exactly the announced \
       buffers follow a binary header, a text packet meanwhile or a placeholder out of range is an error",
    ),
    b(
        "§2.4",
        "What the Socket.IO server does with packets",
        "a decoding error closes the whole engine connection; a CONNECT to a namespace not joined joins it; an \
       unknown namespace is refused with `44/<nsp>,{\"message\":\"Invalid namespace\"}` and the connection kept; a \
       CONNECT to a joined namespace, a packet for a namespace not joined, or a CONNECT_ERROR from the client closes \
       the connection; an ACK with an unknown id is ignored; an EVENT whose ack is never called gets nothing",
    ),
    b(
        "§2.5",
        "CONNECT payloads (auth)",
        "the CONNECT payload becomes `socket.handshake.auth` (`{}` when absent); a payload that is not a plain object \
       (`40\"str\"`, `40[]`) is an invalid payload and closes the connection",
    ),
    b(
        "§4 #1",
        "Polling handshake",
        "200 `text/plain; charset=UTF-8`, `cache-control: no-store`, body \
       `0{\"sid\":…,\"upgrades\":[\"websocket\"],\"pingInterval\":…,\"pingTimeout\":…,\"maxPayload\":…}` in that key order",
    ),
    b(
        "§4 #2",
        "WebSocket handshake",
        "the open packet is the first frame, with `\"upgrades\":[]`",
    ),
    b(
        "§4 #3",
        "A missing, malformed or v3 protocol version (without allowEIO3)",
        "400 `application/json` `{\"code\":5,\"message\":\"Unsupported protocol version\"}`",
    ),
    b(
        "§4 #4",
        "A missing or unknown transport",
        "400 `{\"code\":0,\"message\":\"Transport unknown\"}`",
    ),
    b(
        "§4 #5",
        "A POST or PUT without a sid",
        "400 `{\"code\":2,\"message\":\"Bad handshake method\"}`",
    ),
    b(
        "§4 #6",
        "An unknown sid over polling",
        "400 `{\"code\":1,\"message\":\"Session ID unknown\"}`",
    ),
    b(
        "§4 #7",
        "An unknown sid on a WebSocket upgrade",
        "a raw `HTTP/1.1 400 Bad Request` with `Session ID unknown` as a text/html body, and the socket destroyed",
    ),
    b(
        "§4 #8",
        "`transport=websocket` on a plain GET (no Upgrade header)",
        "400 `{\"code\":3,\"message\":\"Bad request\"}`",
    ),
    b(
        "§4 #9",
        "CORS preflight with cors `*`",
        "204 with `Access-Control-Allow-Origin: *` and the allowed methods and headers; a request with an Origin gets \
       `Access-Control-Allow-Origin: *`",
    ),
    b(
        "§4 #10",
        "Socket.IO CONNECT over polling",
        "the POST `40` is answered `ok`; the next GET carries `40{\"sid\":…}`",
    ),
    b(
        "§4 #11",
        "An event with an ack and an event, batched in one POST",
        "the ack and the handler's emit come back batched in one GET, in the order the handlers ran",
    ),
    b(
        "§4 #12",
        "Several refused namespaces in one POST",
        "each gets its CONNECT_ERROR, batched, in the order the (asynchronous) middlewares finished, the unknown \
       namespace first",
    ),
    b(
        "§4 #13",
        "Binary over polling",
        "a BINARY_EVENT header and its base64 attachment in one POST; the echo comes back the same way in one GET",
    ),
    b(
        "§4 #14",
        "Binary over WebSocket with two attachments",
        "the header frame, then one binary frame per attachment, in placeholder order",
    ),
    b(
        "§4 #15",
        "A binary ack with a nested buffer",
        "answered `461-<id>[…]` with the placeholder where the buffer was, then the buffer",
    ),
    b(
        "§4 #16",
        "Placeholders numbered out of order by the client",
        "re-emitted renumbered in depth-first order, with the buffers reordered to match",
    ),
    b(
        "§4 #17",
        "The upgrade, with a GET held",
        "`3probe` on the WebSocket; the held GET is released with `6` about 100 ms after the probe; after `5`, a \
       polling request for the session gets 400 code 3",
    ),
    b(
        "§4 #18",
        "A second WebSocket for an upgraded session",
        "the 101 completes, then the server closes it (the client sees 1005)",
    ),
    b(
        "§4 #19",
        "The heartbeat over polling",
        "an idle GET is released with `2` after pingInterval; a POST `3` is answered `ok`",
    ),
    b(
        "§4 #20",
        "No pong",
        "the session is closed at about pingInterval + pingTimeout: the next polling GET gets 400 code 1, a \
       WebSocket is closed with 1005",
    ),
    b(
        "§4 #21",
        "A second GET while one is held",
        "the held GET gets `1` (close), the second 400 with an empty body, and the session is gone",
    ),
    b(
        "§4 #22",
        "A POST over maxHttpBufferSize",
        "413 with an empty body, and the session is kept (the next GET gets the ping)",
    ),
    b(
        "§4 #23",
        "A WebSocket frame over maxHttpBufferSize",
        "the WebSocket is closed with 1009",
    ),
    b(
        "§4 #24",
        "A POST with `Content-Type: application/octet-stream`",
        "400 with an empty body, and the session is closed",
    ),
    b(
        "§4 #25",
        "A POST that does not parse (`abc`, an empty body, a client ping)",
        "200 `ok`, then the session is closed (the next GET gets 400 code 1)",
    ),
    b(
        "§4 #26",
        "A client `1` (close) over polling",
        "a held GET is released with `6`; without one, the session closes and a later GET gets 400 code 1",
    ),
    b(
        "§4 #27",
        "A client `1` (close) over WebSocket",
        "ignored: the session lives until the ping timeout closes it",
    ),
    b(
        "§4 #28",
        "An undecodable Socket.IO packet after CONNECT, over polling",
        "the engine connection is closed: the next GET gets `6` and `1` in one payload",
    ),
    b(
        "§4 #29",
        "An EVENT before any CONNECT",
        "the engine connection is closed (`6`␞`1` over polling)",
    ),
    b(
        "§4 #30",
        "An EVENT named `connect` or `disconnect`",
        "the engine connection is closed",
    ),
    b(
        "§4 #31",
        "A second CONNECT to a joined namespace, after its reply",
        "the engine connection is closed",
    ),
    b(
        "§4 #32",
        "A CONNECT_ERROR sent by the client",
        "the engine connection is closed",
    ),
    b(
        "§4 #33",
        "Payloads of the wrong shape",
        "`42{}`, `40\"str\"`, `40[]`, `42abc[…]` and JSON Node cannot parse close the engine connection",
    ),
    b(
        "§4 #34",
        "An EVENT with no payload (`42`)",
        "accepted silently: the connection stays",
    ),
    b(
        "§4 #35",
        "An ACK with an unknown id",
        "ignored: the connection stays",
    ),
    b(
        "§4 #36",
        "Binary protocol errors",
        "a binary frame with no header pending, text while buffers are awaited, an attachment count of 0 or over 10, \
       a placeholder out of range: each closes the engine connection",
    ),
    b(
        "§4 #37",
        "A client `2` (ping) on the established transport",
        "the session is closed (invalid heartbeat direction)",
    ),
    b(
        "§4 #38",
        "A client `6` (noop) or `5` (upgrade) on the established transport",
        "ignored",
    ),
    b(
        "§4 #39",
        "A CONNECT whose namespace has no trailing comma (`40/admin`)",
        "handled as `40/admin,`: the reply carries the comma; the connection stays",
    ),
    b(
        "§4 #40",
        "A DISCONNECT, then an EVENT to the same namespace",
        "no reply to the DISCONNECT; the EVENT is for a namespace no longer joined and closes the engine connection",
    ),
    b(
        "§5",
        "Connection state recovery",
        "with the option on, a CONNECT reply carries a `pid` and each server EVENT without an ack (not volatile) gets \
       an offset appended; a client that reconnects with `{pid, offset}` after a recoverable drop, within \
       maxDisconnectionDuration, gets its sid, rooms and data back and the events it missed, before the CONNECT \
       reply; check 1: with the option off the reply has only `sid`, and a `{pid, offset}` neither fails nor \
       recovers",
    ),
];

/// The entry for `tag`.
pub fn behaviour(tag: &str) -> Option<&'static Behaviour> {
    BEHAVIOURS.iter().find(|b| b.tag == tag)
}

/// The behaviour tags a case's source section cites: `§4 #17; §1.7` → `§4 #17`, `§1.7`;
/// qualifiers after a tag (`§2.3 rule 5`, `§1.7 step 4`, `§5 check 1`) belong to it. References
/// to other documents in the same section (`CONTRACT §3`) are not behaviour tags.
pub fn tags_in(section: &str) -> Vec<String> {
    section
        .split(';')
        .filter_map(|part| {
            let part = part.trim();
            let rest = part.strip_prefix('§')?;
            let number: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let after = &rest[number.len()..];
            match after.strip_prefix(" #") {
                Some(n) => {
                    let n: String = n.chars().take_while(char::is_ascii_digit).collect();
                    Some(format!("§{number} #{n}"))
                }
                None => Some(format!("§{number}")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_read_with_their_qualifiers_dropped() {
        assert_eq!(tags_in("§4 #17; §1.7"), ["§4 #17", "§1.7"]);
        assert_eq!(tags_in("§2.3 rule 5"), ["§2.3"]);
        assert_eq!(tags_in("§5 check 1; CONTRACT §4 (recovery off)"), ["§5"]);
        assert_eq!(
            tags_in("§1.10 EIO=3 differences; engine.io-protocol v3"),
            ["§1.10"]
        );
        assert!(tags_in("socket.io advisory CVE-2024-38355").is_empty());
    }

    #[test]
    fn tags_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for b in BEHAVIOURS {
            assert!(seen.insert(b.tag), "{} twice", b.tag);
        }
        assert_eq!(
            BEHAVIOURS
                .iter()
                .filter(|b| b.tag.starts_with("§4 #"))
                .count(),
            40
        );
    }
}
