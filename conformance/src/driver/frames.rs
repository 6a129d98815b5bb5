//! A raw WebSocket client that writes frames bit by bit, so a case can get them wrong on
//! purpose: no mask, reserved opcodes and RSV bits, invalid UTF-8, oversized or fragmented
//! control frames, stray continuations, bad close codes.
//!
//! tungstenite (behind [`super::ws`]) refuses to produce such frames, so this client does the
//! upgrade itself (a literal HTTP/1.1 request with the RFC 6455 sample key) over the same
//! connection function as the other drivers (TCP, or TLS for `https://`), then encodes frames
//! with [`RawFrame::encode`] and decodes what the server sends with a small reader that accepts
//! whatever arrives (server frames are not judged here; the case judges them). Reads happen in
//! the case's task, bounded by the caller: there is no background reader, so nothing is read
//! that the case did not ask for.

use super::tls::{self, Stream};
use super::transcript::{Dir, Payload, Transcript, Transport};
use super::{Endpoint, HttpError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Opcodes (RFC 6455 §5.2).
pub mod opcode {
    /// Continuation frame.
    pub const CONTINUATION: u8 = 0x0;
    /// Text frame.
    pub const TEXT: u8 = 0x1;
    /// Binary frame.
    pub const BINARY: u8 = 0x2;
    /// Connection close.
    pub const CLOSE: u8 = 0x8;
    /// Ping.
    pub const PING: u8 = 0x9;
    /// Pong.
    pub const PONG: u8 = 0xA;
}

/// The masking key of every masked client frame: the one of RFC 6455 §5.7's examples. A fixed
/// key keeps transcripts identical run after run; the server cannot tell.
pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// The RFC 6455 §1.3 sample `Sec-WebSocket-Key` and the accept value a server must derive.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// One frame exactly as it will go on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawFrame {
    /// FIN bit.
    pub fin: bool,
    /// RSV1..RSV3 as the low three bits (`0b100` = RSV1).
    pub rsv: u8,
    /// Opcode (low four bits).
    pub opcode: u8,
    /// Masking key; `None` sends the frame unmasked (a protocol error from a client).
    pub mask: Option<[u8; 4]>,
    /// Payload bytes (before masking).
    pub payload: Vec<u8>,
}

impl RawFrame {
    /// A well-formed, final, masked frame.
    pub fn new(opcode: u8, payload: impl Into<Vec<u8>>) -> RawFrame {
        RawFrame {
            fin: true,
            rsv: 0,
            opcode,
            mask: Some(MASK),
            payload: payload.into(),
        }
    }

    /// A text frame.
    pub fn text(payload: impl Into<Vec<u8>>) -> RawFrame {
        RawFrame::new(opcode::TEXT, payload)
    }

    /// A close frame with a code and a reason (raw bytes, so it can be invalid UTF-8).
    pub fn close(code: u16, reason: &[u8]) -> RawFrame {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason);
        RawFrame::new(opcode::CLOSE, payload)
    }

    /// The same frame with FIN cleared (a fragment that more frames continue).
    pub fn not_final(mut self) -> RawFrame {
        self.fin = false;
        self
    }

    /// The same frame with these RSV bits (`0b100` = RSV1, `0b010` = RSV2, `0b001` = RSV3).
    pub fn with_rsv(mut self, rsv: u8) -> RawFrame {
        self.rsv = rsv & 0b111;
        self
    }

    /// The same frame without a mask.
    pub fn unmasked(mut self) -> RawFrame {
        self.mask = None;
        self
    }

    /// The wire bytes: header (7-, 16- or 64-bit length), masking key, masked payload.
    pub fn encode(&self) -> Vec<u8> {
        let len = self.payload.len();
        let mut out = Vec::with_capacity(len + 14);
        out.push((u8::from(self.fin) << 7) | ((self.rsv & 0b111) << 4) | (self.opcode & 0x0f));
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        if len < 126 {
            out.push(mask_bit | len as u8);
        } else if len <= usize::from(u16::MAX) {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        match self.mask {
            Some(key) => {
                out.extend_from_slice(&key);
                out.extend(self.payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
            }
            None => out.extend_from_slice(&self.payload),
        }
        out
    }

    /// A one-line description for the transcript: `text fin rsv=000 masked 6 bytes`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} rsv={:03b} {} {} bytes",
            opcode_name(self.opcode),
            if self.fin { "fin" } else { "no-fin" },
            self.rsv,
            if self.mask.is_some() {
                "masked"
            } else {
                "UNMASKED"
            },
            self.payload.len()
        )
    }
}

/// `text`, `close`, `opcode 0x3`, …
pub fn opcode_name(op: u8) -> String {
    match op {
        opcode::CONTINUATION => "continuation".into(),
        opcode::TEXT => "text".into(),
        opcode::BINARY => "binary".into(),
        opcode::CLOSE => "close".into(),
        opcode::PING => "ping".into(),
        opcode::PONG => "pong".into(),
        other => format!("opcode {other:#x}"),
    }
}

/// A frame the server sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerFrame {
    /// FIN bit.
    pub fin: bool,
    /// RSV bits.
    pub rsv: u8,
    /// Opcode.
    pub opcode: u8,
    /// Payload (unmasked if the server masked it, which it must not).
    pub payload: Vec<u8>,
}

impl ServerFrame {
    /// The close code of a close frame (1005 when it carries none).
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == opcode::CLOSE).then(|| match self.payload.as_slice() {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 1005,
        })
    }

    /// `text 4hello`, `close 1002`, `pong 616263`.
    pub fn describe(&self) -> String {
        match self.opcode {
            opcode::TEXT if self.fin => format!(
                "text {}",
                crate::failure::visible(&String::from_utf8_lossy(&self.payload))
            ),
            opcode::CLOSE => {
                let code = self.close_code().unwrap_or(1005);
                let reason = String::from_utf8_lossy(self.payload.get(2..).unwrap_or_default());
                if reason.is_empty() {
                    format!("close {code}")
                } else {
                    format!("close {code} ({reason})")
                }
            }
            op => format!(
                "{}{} {}",
                opcode_name(op),
                if self.fin { "" } else { " (no fin)" },
                super::transcript::hex(&self.payload)
            ),
        }
    }
}

/// What a bounded read gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    /// One complete frame.
    Frame(ServerFrame),
    /// The server ended the TCP connection (or reset it); why.
    Ended(String),
    /// Nothing complete within the bound.
    Timeout,
}

/// The outcome of the upgrade.
pub enum RawConnect {
    /// 101 with the right accept value: frames can flow.
    Open(RawWs),
    /// Another status (the status line and headers are kept for the report).
    Refused(String),
    /// No usable answer (reset, timeout, a 101 with a wrong accept value).
    Failed(String),
}

/// An upgraded connection driven frame by frame.
pub struct RawWs {
    /// `ws#N`, as in the transcript.
    pub label: String,
    stream: Stream,
    buf: Vec<u8>,
    transcript: Transcript,
    ended: Option<String>,
    /// A fragmented message of ours is open (its first frame sent, its final one not yet):
    /// RFC 6455 allows only control frames until it ends, so a pong `3` must wait.
    fragmenting: bool,
    /// Engine.IO pongs owed for pings that came while `fragmenting`; sent when it ends.
    owed_pongs: usize,
}

/// Upgrades `target` on a new connection within `bound`. `Err` only when no connection could
/// be made (TCP, TLS).
pub async fn connect(
    endpoint: &Endpoint,
    target: &str,
    bound: Duration,
    transcript: &Transcript,
) -> Result<RawConnect, HttpError> {
    let label = transcript.ws_label();
    transcript.push(
        &label,
        Transport::Websocket,
        Dir::Out,
        format!("upgrade GET {target} (raw frame client)"),
        Vec::new(),
        Payload::None,
    );
    let mut stream = tls::connect(endpoint, bound)
        .await
        .map_err(HttpError::Connect)?;
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        endpoint.host_header()
    );
    let exchange = async {
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("writing the upgrade request: {e}"))?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let rest = buf.split_off(end + 4);
                return Ok((String::from_utf8_lossy(&buf).into_owned(), rest));
            }
            if buf.len() > 64 * 1024 {
                return Err("an upgrade response head over 64 KiB".to_string());
            }
            match stream.read(&mut chunk).await {
                Ok(0) => return Err("the connection ended before the upgrade reply".into()),
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(format!("reading the upgrade reply: {e}")),
            }
        }
    };
    let (head, rest) = match tokio::time::timeout(bound, exchange).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            transcript.note(&label, Transport::Websocket, format!("upgrade failed: {e}"));
            return Ok(RawConnect::Failed(e));
        }
        Err(_) => {
            let e = format!("no upgrade reply within {} ms", bound.as_millis());
            transcript.note(&label, Transport::Websocket, e.clone());
            return Ok(RawConnect::Failed(e));
        }
    };
    let status_line = head.lines().next().unwrap_or_default().to_string();
    if status_line.split_whitespace().nth(1) != Some("101") {
        transcript.push(
            &label,
            Transport::Websocket,
            Dir::In,
            format!("refused: {status_line}"),
            Vec::new(),
            Payload::None,
        );
        return Ok(RawConnect::Refused(status_line));
    }
    let accept = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("sec-websocket-accept")
            .then(|| v.trim().to_string())
    });
    if accept.as_deref() != Some(ACCEPT) {
        let e = format!("101 with Sec-WebSocket-Accept {accept:?}, expected {ACCEPT:?}");
        transcript.note(&label, Transport::Websocket, e.clone());
        return Ok(RawConnect::Failed(e));
    }
    transcript.ws_opened(&label);
    Ok(RawConnect::Open(RawWs {
        label,
        stream,
        buf: rest,
        transcript: transcript.clone(),
        ended: None,
        fragmenting: false,
        owed_pongs: 0,
    }))
}

impl RawWs {
    /// Writes these frames in ONE write (so they reach the server together), logging each.
    pub async fn send(&mut self, frames: &[RawFrame]) -> Result<(), String> {
        let mut bytes = Vec::new();
        let mut owed = Vec::new();
        for f in frames {
            match f.opcode {
                opcode::TEXT | opcode::BINARY if !f.fin => self.fragmenting = true,
                opcode::CONTINUATION if f.fin => self.fragmenting = false,
                _ => {}
            }
            if !self.fragmenting && self.owed_pongs > 0 {
                owed.extend((0..self.owed_pongs).map(|_| RawFrame::text("3")));
                self.owed_pongs = 0;
            }
            self.transcript.push(
                &self.label,
                Transport::Websocket,
                Dir::Out,
                format!("frame {}", f.describe()),
                Vec::new(),
                if f.opcode == opcode::TEXT && std::str::from_utf8(&f.payload).is_ok() {
                    Payload::Text(&f.payload)
                } else {
                    Payload::Binary(&f.payload)
                },
            );
            bytes.extend_from_slice(&f.encode());
            for pong in owed.drain(..) {
                self.transcript.push(
                    &self.label,
                    Transport::Websocket,
                    Dir::Out,
                    "frame text (pong owed since the fragmented message began)",
                    Vec::new(),
                    Payload::Text(&pong.payload),
                );
                bytes.extend_from_slice(&pong.encode());
            }
        }
        let write = async {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(Duration::from_secs(5), write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("write did not complete within 5000 ms".into()),
        }
    }

    /// Reads the next frame within `bound`.
    pub async fn next(&mut self, bound: Duration) -> Read {
        if let Some(why) = &self.ended {
            return Read::Ended(why.clone());
        }
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            if let Some(frame) = self.parse() {
                self.log_in(&frame);
                return Read::Frame(frame);
            }
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) => return self.end("the server ended the TCP connection"),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Ok(Err(e)) => return self.end(&format!("the connection failed: {e}")),
                Err(_) => return Read::Timeout,
            }
        }
    }

    /// Reads the next frame that is not an Engine.IO ping (a text `2`), answering each ping
    /// with a masked `3` so the session lives through the wait.
    pub async fn next_skipping_pings(&mut self, bound: Duration) -> Read {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Read::Frame(f) if f.opcode == opcode::TEXT && f.fin && f.payload == b"2" => {
                    if self.fragmenting {
                        // A text frame now would break our own fragmented message.
                        self.owed_pongs += 1;
                        continue;
                    }
                    // A failed pong is not this read's business: the next read says what
                    // happened to the connection.
                    let _ = self.send(&[RawFrame::text("3")]).await;
                }
                other => return other,
            }
        }
    }

    fn end(&mut self, why: &str) -> Read {
        self.transcript.push(
            &self.label,
            Transport::Websocket,
            Dir::In,
            format!("end: {why}"),
            Vec::new(),
            Payload::None,
        );
        self.ended = Some(why.to_string());
        Read::Ended(why.to_string())
    }

    fn log_in(&self, f: &ServerFrame) {
        let what = match f.opcode {
            opcode::CLOSE => format!("frame {}", f.describe()),
            op => format!(
                "frame {}{}{}",
                opcode_name(op),
                if f.fin { "" } else { " no-fin" },
                if f.rsv != 0 {
                    format!(" rsv={:03b}", f.rsv)
                } else {
                    String::new()
                }
            ),
        };
        let payload = match f.opcode {
            opcode::CLOSE => Payload::None,
            opcode::TEXT if std::str::from_utf8(&f.payload).is_ok() => Payload::Text(&f.payload),
            _ => Payload::Binary(&f.payload),
        };
        self.transcript.push(
            &self.label,
            Transport::Websocket,
            Dir::In,
            what,
            Vec::new(),
            payload,
        );
    }

    /// One complete frame off the front of the buffer, if there is one.
    fn parse(&mut self) -> Option<ServerFrame> {
        let b = &self.buf;
        if b.len() < 2 {
            return None;
        }
        let masked = b[1] & 0x80 != 0;
        let (len, mut at) = match b[1] & 0x7f {
            126 => (u64::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?])), 4),
            127 => (u64::from_be_bytes(b.get(2..10)?.try_into().ok()?), 10),
            n => (u64::from(n), 2),
        };
        let key = if masked {
            let k: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
            at += 4;
            Some(k)
        } else {
            None
        };
        let end = at.checked_add(usize::try_from(len).ok()?)?;
        let mut payload = b.get(at..end)?.to_vec();
        if let Some(k) = key {
            payload
                .iter_mut()
                .enumerate()
                .for_each(|(i, x)| *x ^= k[i % 4]);
        }
        let frame = ServerFrame {
            fin: b[0] & 0x80 != 0,
            rsv: (b[0] >> 4) & 0b111,
            opcode: b[0] & 0x0f,
            payload,
        };
        self.buf.drain(..end);
        Some(frame)
    }

    /// Ends the connection without a close frame.
    pub async fn drop_connection(mut self) {
        self.transcript.note(
            &self.label,
            Transport::Websocket,
            "client drops the TCP connection",
        );
        let _ = tokio::time::timeout(Duration::from_millis(500), self.stream.shutdown()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_rfc_examples() {
        // RFC 6455 §5.7: a single-frame masked text message "Hello".
        assert_eq!(
            RawFrame::text("Hello").encode(),
            [
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        // …unmasked, and its first fragment.
        assert_eq!(
            RawFrame::text("Hello").unmasked().encode(),
            [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
        );
        assert_eq!(
            RawFrame::text("Hel").unmasked().not_final().encode(),
            [0x01, 0x03, 0x48, 0x65, 0x6c]
        );
        // 256 bytes: 16-bit length; 65536 bytes: 64-bit length.
        let f = RawFrame::new(opcode::BINARY, vec![0; 256])
            .unmasked()
            .encode();
        assert_eq!(&f[..4], &[0x82, 0x7e, 0x01, 0x00]);
        let f = RawFrame::new(opcode::BINARY, vec![0; 65536])
            .unmasked()
            .encode();
        assert_eq!(&f[..10], &[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
        // RSV1 and a close code.
        assert_eq!(RawFrame::text("").with_rsv(0b100).encode()[0], 0xc1);
        assert_eq!(
            RawFrame::close(1000, b"").unmasked().encode(),
            [0x88, 0x02, 0x03, 0xe8]
        );
    }

    #[test]
    fn close_codes() {
        let f = |payload: &[u8]| ServerFrame {
            fin: true,
            rsv: 0,
            opcode: opcode::CLOSE,
            payload: payload.to_vec(),
        };
        assert_eq!(f(&[0x03, 0xea]).close_code(), Some(1002));
        assert_eq!(f(&[]).close_code(), Some(1005));
        assert_eq!(f(&[0x03, 0xef, b'x']).describe(), "close 1007 (x)");
    }
}
