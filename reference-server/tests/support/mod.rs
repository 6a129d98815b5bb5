//! Shared test doubles: the contract router on an ephemeral port, a raw HTTP/1.1 client (one
//! connection per request, bytes as sent), a WebSocket client that buffers every frame, and
//! bounded waits.

#![allow(dead_code)]

pub mod sio;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sio_reference_server::{Engine, EngineConfig, contract};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// How long any single expected event may take.
pub const WAIT: Duration = Duration::from_secs(3);

/// Awaits `f`, failing the test after [`WAIT`].
pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// A contract server running in this test's runtime.
pub struct Server {
    pub addr: SocketAddr,
    /// The echo engine (`/engine.io/`).
    pub engine: Engine,
    /// sio-main's engine (`/socket.io/`).
    pub sio: Engine,
    /// sio-recovery's engine (`/socket.io-recovery/`).
    pub recovery: Engine,
}

impl Server {
    /// The contract router with the echo server's options.
    pub async fn start() -> Server {
        Server::start_with(contract::echo_config()).await
    }

    pub async fn start_with(config: EngineConfig) -> Server {
        let c = contract::build_with(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = c.router;
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Server {
            addr,
            engine: c.echo,
            sio: c.sio_main,
            recovery: c.sio_recovery,
        }
    }

    pub fn url(&self, query: &str) -> String {
        format!("/engine.io/?{query}")
    }

    /// One request on a fresh connection.
    pub async fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        within(
            &format!("{method} {target}"),
            raw_request(self.addr, method, target, headers, body),
        )
        .await
        .unwrap_or_else(|e| panic!("{method} {target}: {e}"))
    }

    pub async fn get(&self, query: &str) -> RawResponse {
        self.request("GET", &self.url(query), &[], b"").await
    }

    pub async fn post(&self, query: &str, body: &str) -> RawResponse {
        self.request(
            "POST",
            &self.url(query),
            &[("Content-Type", "text/plain;charset=UTF-8")],
            body.as_bytes(),
        )
        .await
    }

    /// A polling handshake; returns the sid.
    pub async fn handshake(&self) -> String {
        let r = self.get("EIO=4&transport=polling").await;
        assert_eq!(r.status, 200, "{r:?}");
        sid_of(&r.text()[1..])
    }

    pub fn poll(sid: &str) -> String {
        format!("EIO=4&transport=polling&sid={sid}")
    }

    /// Waits until the server holds a GET for `sid`.
    pub async fn until_get_held(&self, sid: &str) {
        within("the GET to be held", async {
            while !self.engine.has_held_get(sid) {
                tokio::task::yield_now().await;
            }
        })
        .await;
    }

    /// Waits until session `sid` is gone.
    pub async fn until_closed(&self, sid: &str) {
        within("the session to close", async {
            while self.engine.has_session(sid) {
                tokio::task::yield_now().await;
            }
        })
        .await;
    }

    pub async fn ws(&self, query: &str) -> WsClient {
        self.ws_at(&self.url(query)).await
    }

    /// A WebSocket to `target` (path and query).
    pub async fn ws_at(&self, target: &str) -> WsClient {
        let url = format!("ws://{}{}", self.addr, target);
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        // As `ws` does (`socket.setNoDelay()`): frames written back to back leave back to back.
        tcp.set_nodelay(true).unwrap();
        let (ws, resp) = within(
            "the WebSocket handshake",
            tokio_tungstenite::client_async(url, tcp),
        )
        .await
        .unwrap();
        assert_eq!(resp.status(), 101);
        WsClient { ws }
    }

    /// A WebSocket upgrade request written by hand; returns every byte until the server closes.
    pub async fn raw_upgrade(&self, query: &str) -> Vec<u8> {
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            self.url(query),
            self.addr
        );
        let mut tcp = TcpStream::connect(self.addr).await.unwrap();
        tcp.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        within("the server to close the upgrade", tcp.read_to_end(&mut out))
            .await
            .unwrap();
        out
    }
}

/// The sid in an open packet's JSON.
pub fn sid_of(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["sid"].as_str().unwrap().to_owned()
}

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

/// What a WebSocket client saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    Text(String),
    Binary(Vec<u8>),
    /// A close frame: `None` is a close without a status code (1005).
    Close(Option<CloseCode>),
    /// The connection ended without a close frame, or with a protocol error.
    Gone,
}

pub struct WsClient {
    pub ws: WebSocketStream<TcpStream>,
}

impl WsClient {
    pub async fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    pub async fn send_binary(&mut self, bytes: &[u8]) {
        self.ws.send(Message::binary(bytes.to_vec())).await.unwrap();
    }

    /// The next message or close, within [`WAIT`].
    pub async fn next(&mut self) -> Seen {
        within("a WebSocket frame", async {
            loop {
                return match self.ws.next().await {
                    Some(Ok(Message::Text(t))) => Seen::Text(t.as_str().to_owned()),
                    Some(Ok(Message::Binary(b))) => Seen::Binary(b.to_vec()),
                    Some(Ok(Message::Close(f))) => Seen::Close(f.map(|f| f.code)),
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => Seen::Gone,
                };
            }
        })
        .await
    }

    pub async fn expect_text(&mut self, text: &str) {
        assert_eq!(self.next().await, Seen::Text(text.to_owned()));
    }

    /// Like [`WsClient::expect_text`], answering (and skipping) server pings meanwhile, for
    /// tests whose subject is not the heartbeat.
    pub async fn expect_echo(&mut self, text: &str) {
        loop {
            match self.next().await {
                Seen::Text(t) if t == "2" && text != "2" => self.send("3").await,
                other => return assert_eq!(other, Seen::Text(text.to_owned())),
            }
        }
    }

    /// The open packet's JSON.
    pub async fn open_packet(&mut self) -> String {
        match self.next().await {
            Seen::Text(t) if t.starts_with('0') => t[1..].to_owned(),
            other => panic!("expected an open packet, got {other:?}"),
        }
    }
}
