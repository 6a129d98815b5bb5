//! A raw WebSocket client: text and binary frames (anything the case writes, malformed Engine.IO
//! packets included), a background reader that pushes EVERY frame and the close into a
//! per-connection buffer as it arrives, and bounded waits on that buffer.
//!
//! Buffering is the point: the official suites add a listener after each `await` and lose
//! frames that arrive in the same read. Here nothing is lost; a case reads frames in order.

use super::tls::{self, Stream};
use super::transcript::{Dir, Payload, Transcript, Transport};
use super::{Endpoint, HttpError};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

type Sink = SplitSink<WebSocketStream<Stream>, Message>;

/// What the server sent on a WebSocket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WsEvent {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
    /// The end of the connection: the close frame's code (1005 when it had none) and reason,
    /// or 1006 when the connection ended without a close frame (the reason says why).
    Close {
        /// Close code.
        code: u16,
        /// Close reason, or the transport error for 1006.
        reason: String,
    },
}

impl WsEvent {
    /// A one-line description for reports: `text 4hello`, `binary 010203`, `close 1005`.
    pub fn describe(&self) -> String {
        match self {
            WsEvent::Text(t) => format!("text {}", crate::failure::visible(t)),
            WsEvent::Binary(b) => format!("binary {}", super::transcript::hex(b)),
            WsEvent::Close { code, reason } if reason.is_empty() => format!("close {code}"),
            WsEvent::Close { code, reason } => format!("close {code} ({reason})"),
        }
    }
}

/// The transcript note (and report tolerance) for a noop `6` the server sent over WebSocket,
/// which the reader keeps out of the buffer: Node never sends one there (it sends its upgrade
/// noop on the polling transport), but the protocol gives a noop no meaning a client could act
/// on, so it is not a deviation a case should fail on.
pub const NOOP_SKIPPED: &str = "tolerance: the server sent a noop `6` over WebSocket (Node never does; a client ignores it); skipped";

/// A frame to queue with [`WsConn::queue`].
#[derive(Clone, Copy, Debug)]
pub enum OutFrame<'a> {
    /// A text frame.
    Text(&'a str),
    /// A binary frame.
    Binary(&'a [u8]),
}

/// The outcome of an upgrade attempt.
pub enum WsConnect<C = WsConn> {
    /// 101: the connection is open.
    Open(C),
    /// The server answered the upgrade with another status.
    Refused {
        /// HTTP status.
        status: u16,
        /// Body bytes that came with the refusal (may be empty).
        body: Vec<u8>,
    },
    /// The upgrade neither succeeded nor got an HTTP answer (reset, invalid reply, timeout).
    Failed(String),
}

/// What a bounded wait on the buffer gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// The next event.
    Event(WsEvent),
    /// Nothing arrived within the bound.
    Timeout,
    /// The connection's close was already consumed; nothing more will come.
    Ended,
}

/// An open WebSocket connection.
pub struct WsConn {
    /// `ws#N`, as in the transcript.
    pub label: String,
    sink: Arc<Mutex<Sink>>,
    rx: mpsc::UnboundedReceiver<WsEvent>,
    reader: JoinHandle<()>,
    transcript: Transcript,
    auto_pong: Arc<AtomicBool>,
}

impl Drop for WsConn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Opens `ws://endpoint<target>` (`wss://` over TLS) within `bound`. `Err` only when no
/// connection could be made (TCP, or the TLS handshake).
pub async fn connect(
    endpoint: &Endpoint,
    target: &str,
    bound: Duration,
    transcript: &Transcript,
    auto_pong: bool,
) -> Result<WsConnect, HttpError> {
    connect_with_headers(endpoint, target, &[], bound, transcript, auto_pong).await
}

/// [`connect`], with extra request headers on the upgrade request (the deployment doctor sends
/// the cookies a load balancer set, as a browser does, so that cookie affinity can work).
pub async fn connect_with_headers(
    endpoint: &Endpoint,
    target: &str,
    headers: &[(String, String)],
    bound: Duration,
    transcript: &Transcript,
    auto_pong: bool,
) -> Result<WsConnect, HttpError> {
    let label = transcript.ws_label();
    let url = format!(
        "{}://{}{}",
        endpoint.ws_scheme(),
        endpoint.host_header(),
        target
    );
    transcript.push(
        &label,
        Transport::Websocket,
        Dir::Out,
        format!("upgrade GET {target}"),
        Vec::new(),
        Payload::None,
    );
    // Our own connection (not tungstenite's `connect_async`), so TLS and the socket options
    // stay under our control.
    let stream = tls::connect(endpoint, bound)
        .await
        .map_err(HttpError::Connect)?;
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| HttpError::Invalid(e.to_string()))?;
    for (name, value) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| HttpError::Invalid(e.to_string()))?;
        let value = tokio_tungstenite::tungstenite::http::HeaderValue::from_str(value)
            .map_err(|e| HttpError::Invalid(e.to_string()))?;
        request.headers_mut().append(name, value);
    }
    let handshake = tokio::time::timeout(bound, tokio_tungstenite::client_async(request, stream));
    let ws = match handshake.await {
        Ok(Ok((ws, _response))) => ws,
        Ok(Err(WsError::Http(response))) => {
            let status = response.status().as_u16();
            let body = response.body().clone().unwrap_or_default();
            transcript.push(
                &label,
                Transport::Websocket,
                Dir::In,
                format!("refused {status}"),
                Vec::new(),
                Payload::Text(&body),
            );
            return Ok(WsConnect::Refused { status, body });
        }
        Ok(Err(e)) => {
            transcript.note(&label, Transport::Websocket, format!("upgrade failed: {e}"));
            return Ok(WsConnect::Failed(e.to_string()));
        }
        Err(_) => {
            transcript.note(&label, Transport::Websocket, "upgrade timed out");
            return Ok(WsConnect::Failed(format!(
                "no upgrade reply within {} ms",
                bound.as_millis()
            )));
        }
    };
    transcript.ws_opened(&label);
    let (sink, mut stream) = ws.split();
    let sink = Arc::new(Mutex::new(sink));
    let (tx, rx) = mpsc::unbounded_channel();
    let auto_pong = Arc::new(AtomicBool::new(auto_pong));
    let reader = {
        let sink = sink.clone();
        let transcript = transcript.clone();
        let auto_pong = auto_pong.clone();
        let label = label.clone();
        tokio::spawn(async move {
            let push = |event: WsEvent| {
                let _ = tx.send(event);
            };
            let rec = |what: &str, payload: Payload<'_>| {
                transcript.push(
                    &label,
                    Transport::Websocket,
                    Dir::In,
                    what,
                    Vec::new(),
                    payload,
                );
            };
            while let Some(message) = stream.next().await {
                match message {
                    Ok(Message::Text(t)) => {
                        rec("text", Payload::Text(t.as_bytes()));
                        if t.as_str() == "2" && auto_pong.load(Ordering::SeqCst) {
                            let sent = sink.lock().await.send(Message::text("3")).await;
                            transcript.push(
                                &label,
                                Transport::Websocket,
                                Dir::Out,
                                if sent.is_ok() {
                                    "text (automatic pong)"
                                } else {
                                    "text (automatic pong, send failed)"
                                },
                                Vec::new(),
                                Payload::Text(b"3"),
                            );
                        } else if t.as_str() == "6" {
                            // A noop carries nothing and every client skips it; what a case
                            // judges is the frames around it. Visible as a tolerance.
                            transcript.note(&label, Transport::Websocket, NOOP_SKIPPED);
                        } else {
                            push(WsEvent::Text(t.as_str().to_string()));
                        }
                    }
                    Ok(Message::Binary(b)) => {
                        rec("binary", Payload::Binary(&b));
                        push(WsEvent::Binary(b.to_vec()));
                    }
                    Ok(Message::Close(frame)) => {
                        let (code, reason) = frame.map_or((1005, String::new()), |f| {
                            (u16::from(f.code), f.reason.as_str().to_string())
                        });
                        rec(&format!("close {code} {reason}"), Payload::None);
                        push(WsEvent::Close { code, reason });
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let reason = e.to_string();
                        rec(&format!("close 1006 ({reason})"), Payload::None);
                        push(WsEvent::Close { code: 1006, reason });
                        return;
                    }
                }
            }
            let reason = "the connection ended without a close frame".to_string();
            rec(&format!("close 1006 ({reason})"), Payload::None);
            push(WsEvent::Close { code: 1006, reason });
        })
    };
    Ok(WsConnect::Open(WsConn {
        label,
        sink,
        rx,
        reader,
        transcript: transcript.clone(),
        auto_pong,
    }))
}

impl WsConn {
    /// Whether `2` frames are answered with `3` by the reader (and kept out of the buffer).
    pub fn set_auto_pong(&self, on: bool) {
        self.auto_pong.store(on, Ordering::SeqCst);
    }

    /// Writes one frame; with `flush` false it stays in the write buffer until the next
    /// flushing send, so that frames a client wrote together reach the server in one write
    /// (see [`WsConn::queue`]).
    async fn write(
        &self,
        message: Message,
        what: &str,
        payload: &[u8],
        binary: bool,
        flush: bool,
    ) -> Result<(), String> {
        self.transcript.push(
            &self.label,
            Transport::Websocket,
            Dir::Out,
            what,
            Vec::new(),
            if binary {
                Payload::Binary(payload)
            } else {
                Payload::Text(payload)
            },
        );
        let mut sink = self.sink.lock().await;
        let written = async {
            if flush {
                sink.send(message).await
            } else {
                sink.feed(message).await
            }
        };
        match tokio::time::timeout(Duration::from_secs(5), written).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("send did not complete within 5000 ms".into()),
        }
    }

    /// Sends one text frame.
    pub async fn send_text(&self, text: &str) -> Result<(), String> {
        self.write(Message::text(text), "text", text.as_bytes(), false, true)
            .await
    }

    /// Sends one binary frame.
    pub async fn send_binary(&self, bytes: &[u8]) -> Result<(), String> {
        self.write(Message::binary(bytes.to_vec()), "binary", bytes, true, true)
            .await
    }

    /// Queues one frame without sending it: the next `send_*` or `close` writes the queued
    /// frames and its own in one write. Servers can behave differently when frames arrive in
    /// one read (Node handles two `40/nsp,` in one read as two connections, in two reads as a
    /// protocol error), so a replayer that sends what a client wrote together must write it
    /// together. Only the write buffer holds queued frames, so they are bounded by the caller.
    pub async fn queue(&self, frame: OutFrame<'_>) -> Result<(), String> {
        match frame {
            OutFrame::Text(text) => {
                self.write(Message::text(text), "text", text.as_bytes(), false, false)
                    .await
            }
            OutFrame::Binary(bytes) => {
                self.write(
                    Message::binary(bytes.to_vec()),
                    "binary",
                    bytes,
                    true,
                    false,
                )
                .await
            }
        }
    }

    /// Sends a close frame (no code when `None`: the server sees 1005).
    pub async fn close(&self, code: Option<u16>) -> Result<(), String> {
        let frame = code.map(|c| CloseFrame {
            code: CloseCode::from(c),
            reason: "".into(),
        });
        let what = code.map_or("close".to_string(), |c| format!("close {c}"));
        self.write(Message::Close(frame), &what, &[], false, true)
            .await
    }

    /// Ends the connection without a close frame (the server sees the TCP connection end, as
    /// when a network drops): the reader task is stopped and awaited, then both halves of the
    /// stream are dropped, which closes the socket.
    pub async fn drop_connection(mut self) {
        self.transcript.note(
            &self.label,
            Transport::Websocket,
            "client drops the TCP connection (no close frame)",
        );
        self.reader.abort();
        let _ = (&mut self.reader).await;
    }

    /// Waits up to `bound` for the next buffered event.
    pub async fn next(&mut self, bound: Duration) -> Next {
        match tokio::time::timeout(bound, self.rx.recv()).await {
            Ok(Some(event)) => Next::Event(event),
            Ok(None) => Next::Ended,
            Err(_) => Next::Timeout,
        }
    }

    /// Everything already buffered, without waiting.
    pub fn drain(&mut self) -> Vec<WsEvent> {
        let mut out = Vec::new();
        while let Ok(e) = self.rx.try_recv() {
            out.push(e);
        }
        out
    }
}
