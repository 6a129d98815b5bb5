//! Shared test doubles: the contract router on an ephemeral port, a raw HTTP/1.1 client (one
//! connection per request, bytes as sent), a WebSocket client that buffers every frame, and
//! bounded waits.

#![allow(dead_code)]

pub mod sio;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sio_contract_server as contract;
use sio_reference_server::{Engine, EngineConfig};
pub use sio_test_support::raw_http::{RawResponse, raw_request};
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
        let addr = sio_test_support::serve_here(c.router).await;
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

/// The ack id of a server's EVENT asking for an ack on the main namespace (`42<id>[…]`).
pub fn ack_id_of(event: &str) -> String {
    let rest = event.strip_prefix("42").unwrap();
    rest.split('[').next().unwrap().to_owned()
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
