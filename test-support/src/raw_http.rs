//! A raw HTTP/1.1 client for tests: one connection per request, the request bytes exactly as
//! written, the response as it came off the wire (status, headers in order, the body
//! de-chunked), and assertions in Node's terms (its JSON errors, its polling headers).

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response as it came off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    /// Status, content type and body at once.
    pub fn is(&self, status: u16, content_type: Option<&str>, body: &str) {
        assert_eq!(
            (
                self.status,
                self.header("content-type"),
                self.text().as_str()
            ),
            (status, content_type, body),
            "{self:?}"
        );
    }

    /// Node's JSON error.
    pub fn is_error(&self, code: u8, message: &str) {
        self.is(
            if code == 4 { 403 } else { 400 },
            Some("application/json"),
            &format!(r#"{{"code":{code},"message":"{message}"}}"#),
        );
    }

    /// A 200 payload with Node's polling headers.
    pub fn is_payload(&self, body: &str) {
        self.is(200, Some("text/plain; charset=UTF-8"), body);
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }

    /// The answer to a POST that was taken.
    pub fn is_ok(&self) {
        self.is(200, Some("text/html"), "ok");
        assert_eq!(self.header("cache-control"), Some("no-store"));
    }
}

/// One HTTP/1.1 request with `Connection: close`; reads to EOF. An incomplete response is an
/// error (the server tore the connection down).
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<RawResponse, String> {
    let mut tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    tcp.write_all(body).await.map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await.map_err(|e| e.to_string())?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<RawResponse, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no complete head")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|e| e.to_string())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("empty")?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let body = if let Some(len) = get("content-length") {
        let len: usize = len.parse().map_err(|_| "bad length")?;
        if rest.len() < len {
            return Err("truncated body".into());
        }
        rest[..len].to_vec()
    } else if get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk")?;
        let size = usize::from_str_radix(
            std::str::from_utf8(&rest[..line_end]).map_err(|e| e.to_string())?,
            16,
        )
        .map_err(|e| e.to_string())?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if rest.len() < size + 2 {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}
