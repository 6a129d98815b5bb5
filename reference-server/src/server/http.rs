//! HTTP responses with Node's status codes, headers and bodies (behaviour tag §1.2, 1.4, 1.5).
//!
//! ```text
//! payload       200  Content-Type: text/plain; charset=UTF-8, cache-control: no-store
//! v3 binary     200  Content-Type: application/octet-stream, cache-control: no-store
//! POST taken    200  Content-Type: text/html, cache-control: no-store, body "ok"
//! error         400/403  Content-Type: application/json, {"code":N,"message":"…"}
//! refusal (WS)  400  Connection: close, Content-type: text/html, body = the message
//! ```

use std::io;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use crate::session::HttpReply;
use crate::verify::ErrorCode;

fn response(status: u16, headers: &[(&str, &str)], body: Body) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            resp.headers_mut().append(k, v);
        }
    }
    resp
}

/// Adds headers (CORS) in front of a response's own, as the `cors` middleware does.
pub(super) fn with_headers(mut resp: Response, extra: &[(&'static str, String)]) -> Response {
    if extra.is_empty() {
        return resp;
    }
    let own = std::mem::take(resp.headers_mut());
    for (k, v) in extra {
        if let Ok(v) = HeaderValue::from_str(v) {
            resp.headers_mut()
                .append(HeaderName::from_static(lower(k)), v);
        }
    }
    for (k, v) in own.iter() {
        resp.headers_mut().append(k.clone(), v.clone());
    }
    resp
}

fn lower(name: &'static str) -> &'static str {
    match name {
        "Access-Control-Allow-Origin" => "access-control-allow-origin",
        "Access-Control-Allow-Credentials" => "access-control-allow-credentials",
        "Access-Control-Allow-Methods" => "access-control-allow-methods",
        "Access-Control-Allow-Headers" => "access-control-allow-headers",
        "Vary" => "vary",
        "Content-Length" => "content-length",
        _ => "x-unknown",
    }
}

/// The answer to a held polling request. `ie` adds `X-XSS-Protection: 0` as Node does for
/// user agents containing `;MSIE` or `Trident/`.
pub(super) fn reply(r: HttpReply, ie: bool) -> Response {
    let xss: &[(&str, &str)] = if ie {
        &[("X-XSS-Protection", "0")]
    } else {
        &[]
    };
    match r {
        HttpReply::Payload(p) => {
            let mut h = vec![("Content-Type", "text/plain; charset=UTF-8")];
            h.extend_from_slice(xss);
            h.push(("cache-control", "no-store"));
            response(200, &h, Body::from(p))
        }
        HttpReply::BinaryPayload(bytes) => {
            let mut h = vec![("Content-Type", "application/octet-stream")];
            h.extend_from_slice(xss);
            h.push(("cache-control", "no-store"));
            response(200, &h, Body::from(bytes))
        }
        HttpReply::Ok => {
            let mut h = vec![("Content-Type", "text/html")];
            h.extend_from_slice(xss);
            h.push(("cache-control", "no-store"));
            response(200, &h, Body::from("ok"))
        }
        HttpReply::Status(s) => response(s, &[], Body::empty()),
        HttpReply::Abort => {
            // A body that fails: hyper tears the connection down mid-response.
            let failing = futures_util::stream::once(async {
                Err::<Bytes, io::Error>(io::Error::other("aborted"))
            });
            response(200, &[], Body::from_stream(failing))
        }
    }
}

/// `abortRequest`: the JSON error body.
pub(super) fn error_json(code: ErrorCode) -> Response {
    response(
        code.http_status(),
        &[("Content-Type", "application/json")],
        Body::from(code.json_body()),
    )
}

/// `abortUpgrade`: always 400, the message as a text/html body, and the connection closed.
pub(super) fn upgrade_refusal(message: &str) -> Response {
    refusal(400, message, &[])
}

/// `ws`'s `abortHandshake`: `status`, `Connection: close`, text/html, the message as body.
pub(super) fn refusal(status: u16, message: &str, extra: &[(&str, &str)]) -> Response {
    let mut h = vec![("Connection", "close"), ("Content-type", "text/html")];
    h.extend_from_slice(extra);
    response(status, &h, Body::from(message.to_owned()))
}

/// The raw bytes Node writes on an upgraded socket when the EIO check fails after the 101.
pub(super) fn raw_refusal_bytes(message: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: {}\r\n\r\n{message}",
        message.len()
    )
    .into_bytes()
}

/// The `cors` preflight answer: 204 with the headers given.
pub(super) fn preflight(headers: Vec<(&'static str, String)>) -> Response {
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    response(204, &h, Body::empty())
}
