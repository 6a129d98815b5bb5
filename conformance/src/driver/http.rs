//! A raw HTTP/1.1 client for the polling transport: any method, any headers, raw body bytes;
//! one TCP connection per request (so concurrent requests are independent), a bound on every
//! request, TLS for `https://` endpoints ([`super::tls`]). [`send_raw`] writes arbitrary bytes
//! for requests hyper would refuse to build.

use super::Endpoint;
use super::tls::{self, Stream};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the case wrote it.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// Method, sent as is (`GET`, `POST`, `PUT`, `OPTIONS`, …).
    pub method: String,
    /// Request target (path and query), already prefixed.
    pub target: String,
    /// Extra headers, in order (`Host` and `Content-Length` are added by the client).
    pub headers: Vec<(String, String)>,
    /// Body bytes (sent with a `Content-Length`, also when empty for POST/PUT).
    pub body: Vec<u8>,
}

/// A complete response.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers with lowercase names, in the order received.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first header of that (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request produced no response.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The connection could not be made (nothing listening, unreachable host, a TLS handshake
    /// that failed: a certificate the trust settings reject).
    #[error("connect failed: {0}")]
    Connect(String),
    /// No complete response within the bound.
    #[error("no response within {0} ms")]
    Timeout(u64),
    /// The connection was reset or closed before a complete response.
    #[error("connection reset before a complete response: {0}")]
    Reset(String),
    /// The request could not be built (an invalid method or header the case asked for).
    #[error("invalid request: {0}")]
    Invalid(String),
}

async fn connect(endpoint: &Endpoint, bound: Duration) -> Result<Stream, HttpError> {
    tls::connect(endpoint, bound)
        .await
        .map_err(HttpError::Connect)
}

/// Sends one request on a fresh connection and reads the whole response, within `bound`.
pub async fn send(
    endpoint: &Endpoint,
    request: &HttpRequest,
    bound: Duration,
) -> Result<HttpResponse, HttpError> {
    let stream = connect(endpoint, bound).await?;
    let ms = bound.as_millis() as u64;
    let exchange = async {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| HttpError::Reset(e.to_string()))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut builder = hyper::Request::builder()
            .method(request.method.as_bytes())
            .uri(request.target.as_str())
            .header("host", endpoint.host_header());
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if !request.body.is_empty() || matches!(request.method.as_str(), "POST" | "PUT") {
            builder = builder.header("content-length", request.body.len());
        }
        let req = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| HttpError::Invalid(e.to_string()))?;
        let response = sender
            .send_request(req)
            .await
            .map_err(|e| HttpError::Reset(e.to_string()))?;
        let status = response.status().as_u16();
        let headers = header_pairs(response.headers());
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| HttpError::Reset(e.to_string()))?
            .to_bytes()
            .to_vec();
        driver.abort();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    };
    tokio::time::timeout(bound, exchange)
        .await
        .unwrap_or(Err(HttpError::Timeout(ms)))
}

/// Writes `bytes` on a fresh connection and returns everything read until the server closes
/// the connection or `bound` elapses (whatever arrived by then).
pub async fn send_raw(
    endpoint: &Endpoint,
    bytes: &[u8],
    bound: Duration,
) -> Result<Vec<u8>, HttpError> {
    let mut stream = connect(endpoint, bound).await?;
    stream
        .write_all(bytes)
        .await
        .map_err(|e| HttpError::Reset(e.to_string()))?;
    let mut out = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(bound, read).await;
    Ok(out)
}

/// A response's headers as (lowercase name, value) pairs, in the order received; a value that
/// is not UTF-8 is kept lossily (it is evidence, shown to a reader, never parsed further).
pub(crate) fn header_pairs(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
