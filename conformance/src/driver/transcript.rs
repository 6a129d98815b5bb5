//! The per-case wire transcript: every request, response, frame and close, in arrival order,
//! with the connection it belongs to and its time offset from the start of the case.

use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Which transport an entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// HTTP long-polling (one entry per request and one per response).
    Polling,
    /// WebSocket (one entry per frame, plus connect/open/close).
    Websocket,
}

/// Direction of an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Client to server (`>` in reports).
    Out,
    /// Server to client (`<` in reports).
    In,
    /// Something the harness noted (a deliberate pause, an automatic pong).
    Note,
}

/// The payload of an entry: text is shown as text when it is UTF-8, binary always as hex.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// No payload.
    None,
    /// A text frame or an HTTP body.
    Text(&'a [u8]),
    /// A binary frame.
    Binary(&'a [u8]),
}

impl<'a> Payload<'a> {
    /// Text, or no payload when empty.
    pub fn text_or_none(bytes: &'a [u8]) -> Payload<'a> {
        if bytes.is_empty() {
            Payload::None
        } else {
            Payload::Text(bytes)
        }
    }
}

/// One line of the transcript.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// Milliseconds since the case started.
    pub t_ms: f64,
    /// Connection label: `http#3`, `ws#1`.
    pub conn: String,
    /// Transport.
    pub transport: Transport,
    /// Direction.
    pub dir: Dir,
    /// What happened: `GET /engine.io/?EIO=4&transport=polling`, `200`, `text`, `binary`, `close 1005`.
    pub what: String,
    /// HTTP headers, when the entry is a request or a response.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The payload as text, when it is valid UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The payload as lowercase hex, when it is binary (or not UTF-8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hex: Option<String>,
}

/// A shared, append-only transcript (cloning shares it).
#[derive(Clone, Debug)]
pub struct Transcript {
    start: Instant,
    entries: Arc<Mutex<Vec<Entry>>>,
    next_http: Arc<Mutex<u32>>,
    next_ws: Arc<Mutex<u32>>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Transcript {
    /// An empty transcript whose clock starts now.
    pub fn new() -> Transcript {
        Transcript {
            start: Instant::now(),
            entries: Arc::default(),
            next_http: Arc::default(),
            next_ws: Arc::default(),
        }
    }

    /// A fresh HTTP connection label.
    pub fn http_label(&self) -> String {
        let mut n = self.next_http.lock().expect("transcript lock");
        *n += 1;
        format!("http#{n}")
    }

    /// A fresh WebSocket connection label.
    pub fn ws_label(&self) -> String {
        let mut n = self.next_ws.lock().expect("transcript lock");
        *n += 1;
        format!("ws#{n}")
    }

    /// Appends an entry stamped with the current offset.
    pub fn push(
        &self,
        conn: &str,
        transport: Transport,
        dir: Dir,
        what: impl Into<String>,
        headers: Vec<(String, String)>,
        payload: Payload<'_>,
    ) {
        let t_ms = (self.start.elapsed().as_secs_f64() * 10_000.0).round() / 10.0;
        let (text, hex) = match payload {
            Payload::None => (None, None),
            Payload::Text(bytes) => match std::str::from_utf8(bytes) {
                Ok(t) => (Some(t.to_string()), None),
                Err(_) => (None, Some(hex(bytes))),
            },
            Payload::Binary(bytes) => (None, Some(hex(bytes))),
        };
        self.entries.lock().expect("transcript lock").push(Entry {
            t_ms,
            conn: conn.to_string(),
            transport,
            dir,
            what: what.into(),
            headers,
            text,
            hex,
        });
    }

    /// A note (no payload) on a connection.
    pub fn note(&self, conn: &str, transport: Transport, what: impl Into<String>) {
        self.push(conn, transport, Dir::Note, what, Vec::new(), Payload::None);
    }

    /// The server's 101 on WebSocket connection `conn`: the connection is open.
    pub fn ws_opened(&self, conn: &str) {
        let what = "open 101";
        self.push(
            conn,
            Transport::Websocket,
            Dir::In,
            what,
            Vec::new(),
            Payload::None,
        );
    }

    /// A copy of the entries so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.entries.lock().expect("transcript lock").clone()
    }
}

impl Entry {
    /// One readable line: `  +12.3ms ws#1 < text 4hello`.
    pub fn line(&self) -> String {
        let arrow = match self.dir {
            Dir::Out => '>',
            Dir::In => '<',
            Dir::Note => '=',
        };
        let mut line = format!(
            "{:>9.1}ms {:<7} {arrow} {}",
            self.t_ms, self.conn, self.what
        );
        if let Some(t) = &self.text {
            line.push_str("  ");
            line.push_str(&crate::failure::visible(t));
        }
        if let Some(h) = &self.hex {
            line.push_str("  hex:");
            line.push_str(&crate::failure::clip(h, 160));
        }
        line
    }
}
