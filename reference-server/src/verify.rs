//! Request verification and the error table, in the order engine.io 6.6.12 applies them
//! (`server.ts#verify`, then `#handshake`). Pure: the caller passes a view of the request and a
//! way to look sessions up.
//!
//! ```text
//! 1. transport not enabled (or missing)                    → 0 Transport unknown
//! 2. Origin header with invalid characters                 → 3 Bad request (INVALID_ORIGIN)
//! 3. with sid:    unknown                                  → 1 Session ID unknown
//!                 no upgrade and transport ≠ the session's → 3 Bad request (TRANSPORT_MISMATCH)
//!                 EIO revision ≠ the session's             → 3 Bad request (PROTOCOL_MISMATCH)
//! 4. without sid: method ≠ GET                             → 2 Bad handshake method
//!                 websocket without an Upgrade             → 3 Bad request (TRANSPORT_HANDSHAKE_ERROR)
//! 5. handshake:   EIO ≠ "4" and no allowEIO3               → 5 Unsupported protocol version
//! ```
//! Step 5 is [`check_protocol`]: for WebSocket handshakes Node runs it only after the 101.

use std::collections::HashMap;

use crate::config::EngineConfig;
use crate::session::TransportKind;

/// `Server.errors`: the codes of the polling JSON error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 0 `Transport unknown`.
    UnknownTransport,
    /// 1 `Session ID unknown`.
    UnknownSid,
    /// 2 `Bad handshake method`.
    BadHandshakeMethod,
    /// 3 `Bad request`.
    BadRequest,
    /// 4 `Forbidden` (reserved for `allowRequest`, which is not implemented).
    Forbidden,
    /// 5 `Unsupported protocol version`.
    UnsupportedProtocolVersion,
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            ErrorCode::UnknownTransport => 0,
            ErrorCode::UnknownSid => 1,
            ErrorCode::BadHandshakeMethod => 2,
            ErrorCode::BadRequest => 3,
            ErrorCode::Forbidden => 4,
            ErrorCode::UnsupportedProtocolVersion => 5,
        }
    }

    /// `Server.errorMessages[code]`.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::UnknownTransport => "Transport unknown",
            ErrorCode::UnknownSid => "Session ID unknown",
            ErrorCode::BadHandshakeMethod => "Bad handshake method",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// `abortRequest`: 403 for FORBIDDEN, 400 otherwise. (Upgrade refusals are always 400.)
    pub fn http_status(self) -> u16 {
        if self == ErrorCode::Forbidden {
            403
        } else {
            400
        }
    }

    /// The polling error body: `{"code":N,"message":"…"}`.
    pub fn json_body(self) -> String {
        format!(
            r#"{{"code":{},"message":"{}"}}"#,
            self.code(),
            self.message()
        )
    }
}

/// Why a request was refused: the code, and Node's context name where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// The error code.
    pub code: ErrorCode,
    /// Node's `context.name` (`INVALID_ORIGIN`, `TRANSPORT_MISMATCH`, …), for logs and tests.
    pub name: Option<&'static str>,
}

impl From<ErrorCode> for Refusal {
    fn from(code: ErrorCode) -> Refusal {
        Refusal { code, name: None }
    }
}

/// What verification needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    /// The HTTP method, as sent (`GET`, `POST`, …).
    pub method: &'a str,
    /// The parsed query.
    pub query: &'a HashMap<String, String>,
    /// The raw `Origin` header, if any.
    pub origin: Option<&'a [u8]>,
    /// Whether the request is an HTTP upgrade (Node's `upgrade` event).
    pub upgrade: bool,
}

/// What verification needs to know about an existing session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionView {
    /// The session's current transport.
    pub transport: TransportKind,
    /// The session's protocol revision (4).
    pub protocol: u8,
}

/// A verified request: a handshake, or a request for an existing session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// No `sid`: open a session over `transport` (after [`check_protocol`]).
    Handshake {
        /// The requested transport.
        transport: TransportKind,
    },
    /// A request for session `sid` over `transport`.
    Existing {
        /// The session id.
        sid: String,
        /// The requested transport.
        transport: TransportKind,
    },
}

/// `computeProtocolRevision`: `EIO === "4"` is 4, anything else (missing, `abc`, `3`) is 3.
pub fn protocol_revision(query: &HashMap<String, String>) -> u8 {
    if query.get("EIO").map(String::as_str) == Some("4") {
        4
    } else {
        3
    }
}

/// Runs Node's `verify()` checks, in Node's order.
pub fn verify(
    req: RequestView<'_>,
    config: &EngineConfig,
    lookup: impl FnOnce(&str) -> Option<SessionView>,
) -> Result<Verified, Refusal> {
    // "transport ∉ enabled transports → 0" (webtransport never goes through verify()).
    let named = req.query.get("transport").map(String::as_str);
    let named = match config
        .fault
        .is(crate::fault::Fault::UnknownTransportAsPolling)
    {
        true if named.is_some_and(|t| TransportKind::from_name(t).is_none()) => Some("polling"),
        _ => named,
    };
    let transport = named
        .and_then(TransportKind::from_name)
        .filter(|t| config.allows(*t))
        .ok_or(ErrorCode::UnknownTransport)?;
    // "invalid Origin header chars → 3 (INVALID_ORIGIN)".
    if req.origin.is_some_and(origin_is_invalid) {
        return Err(Refusal {
            code: ErrorCode::BadRequest,
            name: Some("INVALID_ORIGIN"),
        });
    }
    // `if (sid)`: an empty sid counts as no sid.
    match req.query.get("sid").filter(|s| !s.is_empty()) {
        Some(sid) => {
            let session = lookup(sid);
            if session.is_none() && config.fault.is(crate::fault::Fault::UnknownSidWrongCode) {
                return Err(ErrorCode::BadRequest.into());
            }
            let session = session.ok_or(ErrorCode::UnknownSid)?;
            // "without an upgrade, a transport different from the session's → 3".
            if !req.upgrade && session.transport != transport {
                return Err(Refusal {
                    code: ErrorCode::BadRequest,
                    name: Some("TRANSPORT_MISMATCH"),
                });
            }
            if protocol_revision(req.query) != session.protocol {
                return Err(Refusal {
                    code: ErrorCode::BadRequest,
                    name: Some("PROTOCOL_MISMATCH"),
                });
            }
            Ok(Verified::Existing {
                sid: sid.clone(),
                transport,
            })
        }
        None => {
            // "handshake is GET only".
            if req.method != "GET" {
                return Err(ErrorCode::BadHandshakeMethod.into());
            }
            // "transport=websocket on a plain GET (no Upgrade) → 3".
            if transport == TransportKind::WebSocket && !req.upgrade {
                return Err(Refusal {
                    code: ErrorCode::BadRequest,
                    name: Some("TRANSPORT_HANDSHAKE_ERROR"),
                });
            }
            Ok(Verified::Handshake { transport })
        }
    }
}

/// `handshake()`'s first check: "protocol === 3 && !allowEIO3 → 5". Returns the revision of
/// the new session.
pub fn check_protocol(
    query: &HashMap<String, String>,
    config: &EngineConfig,
) -> Result<u8, ErrorCode> {
    match protocol_revision(query) {
        4 => Ok(4),
        3 if config.allow_eio3 => Ok(3),
        _ => Err(ErrorCode::UnsupportedProtocolVersion),
    }
}

/// `checkInvalidHeaderChar`: tab, 0x20–0x7E and 0x80–0xFF are valid; anything else is not.
pub fn origin_is_invalid(origin: &[u8]) -> bool {
    origin
        .iter()
        .any(|&b| !(b == b'\t' || (0x20..=0x7e).contains(&b) || b >= 0x80))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> HashMap<String, String> {
        crate::query::parse(s)
    }

    fn run(
        method: &str,
        query: &str,
        upgrade: bool,
        session: Option<SessionView>,
    ) -> Result<Verified, Refusal> {
        let query = q(query);
        let req = RequestView {
            method,
            query: &query,
            origin: None,
            upgrade,
        };
        verify(req, &EngineConfig::default(), |_| session)
    }

    const POLLING: SessionView = SessionView {
        transport: TransportKind::Polling,
        protocol: 4,
    };

    #[test]
    fn the_error_table_in_nodes_order() {
        let code = |r: Result<Verified, Refusal>| r.unwrap_err().code.code();
        assert_eq!(code(run("GET", "EIO=4", false, None)), 0);
        assert_eq!(code(run("GET", "EIO=4&transport=abc", false, None)), 0);
        assert_eq!(
            code(run("GET", "EIO=4&transport=webtransport", false, None)),
            0
        );
        // transport is checked before the method and the sid.
        assert_eq!(code(run("POST", "transport=abc&sid=x", false, None)), 0);
        assert_eq!(
            code(run("GET", "EIO=4&transport=polling&sid=abc", false, None)),
            1
        );
        assert_eq!(code(run("POST", "EIO=4&transport=polling", false, None)), 2);
        assert_eq!(code(run("PUT", "EIO=4&transport=polling", false, None)), 2);
        assert_eq!(
            code(run("GET", "EIO=4&transport=websocket", false, None)),
            3
        );
        assert_eq!(
            code(run(
                "GET",
                "EIO=4&transport=websocket&sid=s",
                false,
                Some(POLLING)
            )),
            3
        );
        assert_eq!(
            code(run(
                "GET",
                "EIO=3&transport=polling&sid=s",
                false,
                Some(POLLING)
            )),
            3
        );
    }

    #[test]
    fn accepted_requests() {
        assert_eq!(
            run("GET", "EIO=4&transport=polling", false, None),
            Ok(Verified::Handshake {
                transport: TransportKind::Polling
            })
        );
        // The EIO check is not part of verify().
        assert_eq!(
            run("GET", "transport=websocket", true, None),
            Ok(Verified::Handshake {
                transport: TransportKind::WebSocket
            })
        );
        assert_eq!(
            run("PUT", "EIO=4&transport=polling&sid=s", false, Some(POLLING)),
            Ok(Verified::Existing {
                sid: "s".into(),
                transport: TransportKind::Polling
            })
        );
        // An upgrade may name another transport; an empty sid is no sid.
        assert!(
            run(
                "GET",
                "EIO=4&transport=websocket&sid=s",
                true,
                Some(POLLING)
            )
            .is_ok()
        );
        assert_eq!(
            run("GET", "EIO=4&transport=polling&sid=", false, None),
            Ok(Verified::Handshake {
                transport: TransportKind::Polling
            })
        );
    }

    #[test]
    fn eio_must_be_exactly_4() {
        let cfg = EngineConfig::default();
        assert_eq!(check_protocol(&q("EIO=4"), &cfg), Ok(4));
        for bad in ["", "EIO=3", "EIO=abc", "EIO=04"] {
            assert_eq!(
                check_protocol(&q(bad), &cfg),
                Err(ErrorCode::UnsupportedProtocolVersion),
                "{bad}"
            );
        }
        // allowEIO3: anything but "4" is v3, as `computeProtocolRevision` says.
        let eio3 = EngineConfig {
            allow_eio3: true,
            ..EngineConfig::default()
        };
        for v3 in ["", "EIO=3", "EIO=abc"] {
            assert_eq!(check_protocol(&q(v3), &eio3), Ok(3), "{v3}");
        }
        assert_eq!(check_protocol(&q("EIO=4"), &eio3), Ok(4));
    }

    #[test]
    fn origin_characters() {
        assert!(!origin_is_invalid(b"http://example.com\t\xff"));
        assert!(origin_is_invalid(b"http://a\x01"));
        assert!(origin_is_invalid(b"\x7f"));
        let query = q("EIO=4&transport=polling");
        let req = RequestView {
            method: "GET",
            query: &query,
            origin: Some(b"a\nb"),
            upgrade: false,
        };
        let r = verify(req, &EngineConfig::default(), |_| None).unwrap_err();
        assert_eq!(
            (r.code, r.name),
            (ErrorCode::BadRequest, Some("INVALID_ORIGIN"))
        );
    }

    #[test]
    fn error_bodies_are_nodes() {
        assert_eq!(
            ErrorCode::UnknownSid.json_body(),
            r#"{"code":1,"message":"Session ID unknown"}"#
        );
        assert_eq!(ErrorCode::Forbidden.http_status(), 403);
        assert_eq!(ErrorCode::UnknownTransport.http_status(), 400);
    }
}
