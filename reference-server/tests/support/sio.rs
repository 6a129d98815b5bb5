//! Raw Socket.IO clients for the tests: a WebSocket client that answers pings and reads frames
//! as text, and a polling client that POSTs and GETs payloads, both on a contract path.

use super::{RawResponse, Seen, Server, WsClient, sid_of, within};

/// sio-main's path.
pub const MAIN: &str = "/socket.io/";

/// A Socket.IO client over a raw WebSocket (engine pings are answered and skipped).
pub struct SioWs {
    pub ws: WsClient,
    /// The engine sid.
    pub eio_sid: String,
}

impl SioWs {
    /// Opens a WebSocket on `path` and reads the open packet.
    pub async fn open_at(srv: &Server, path: &str) -> SioWs {
        let mut ws = srv
            .ws_at(&format!("{path}?EIO=4&transport=websocket"))
            .await;
        let open = ws.open_packet().await;
        SioWs {
            ws,
            eio_sid: sid_of(&open),
        }
    }

    /// [`SioWs::open_at`] on sio-main.
    pub async fn open(srv: &Server) -> SioWs {
        SioWs::open_at(srv, MAIN).await
    }

    /// Opens, joins `/` with `40`, and reads the CONNECT reply and the `auth` event; returns the
    /// client and its socket id.
    pub async fn connected(srv: &Server) -> (SioWs, String) {
        let mut c = SioWs::open(srv).await;
        c.send("40").await;
        let sid = c.connect_reply("").await;
        c.expect(r#"42["auth",{}]"#).await;
        (c, sid)
    }

    pub async fn send(&mut self, text: &str) {
        self.ws.send(text).await;
    }

    pub async fn send_binary(&mut self, bytes: &[u8]) {
        self.ws.send_binary(bytes).await;
    }

    /// The next frame that is not a ping (pings are answered).
    pub async fn next(&mut self) -> Seen {
        loop {
            match self.ws.next().await {
                Seen::Text(t) if t == "2" => self.ws.send("3").await,
                other => return other,
            }
        }
    }

    /// The next non-ping frame, which must be text.
    pub async fn text(&mut self) -> String {
        match self.next().await {
            Seen::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    pub async fn expect(&mut self, text: &str) {
        assert_eq!(self.text().await, text);
    }

    pub async fn expect_binary(&mut self, bytes: &[u8]) {
        assert_eq!(self.next().await, Seen::Binary(bytes.to_vec()));
    }

    /// A CONNECT reply `40<nsp,>{"sid":"…"}` (`nsp` as written, `""` for `/`); its sid.
    pub async fn connect_reply(&mut self, nsp: &str) -> String {
        let t = self.text().await;
        let json = t
            .strip_prefix(&format!("40{nsp}"))
            .unwrap_or_else(|| panic!("expected a CONNECT reply for {nsp:?}, got {t}"));
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 1, "only sid: {t}");
        let sid = obj["sid"].as_str().unwrap().to_owned();
        assert_eq!(sid.len(), 20);
        sid
    }

    /// The server closes the connection (no status code), pings aside.
    pub async fn expect_closed(&mut self) {
        match self.next().await {
            Seen::Close(None) | Seen::Gone => {}
            other => panic!("expected the connection to close, got {other:?}"),
        }
    }

    /// Nothing but pings arrives for `ms` milliseconds (a bounded wait for an absence).
    pub async fn expect_silence(&mut self, ms: u64) {
        let r = tokio::time::timeout(std::time::Duration::from_millis(ms), self.next()).await;
        if let Ok(seen) = r {
            panic!("expected nothing, got {seen:?}");
        }
    }
}

/// A Socket.IO client over polling.
pub struct SioPoll<'a> {
    pub srv: &'a Server,
    pub path: String,
    pub eio_sid: String,
}

impl<'a> SioPoll<'a> {
    /// A polling handshake on `path`.
    pub async fn open_at(srv: &'a Server, path: &str) -> SioPoll<'a> {
        let r = srv
            .request("GET", &format!("{path}?EIO=4&transport=polling"), &[], b"")
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        SioPoll {
            srv,
            path: path.to_owned(),
            eio_sid: sid_of(&r.text()[1..]),
        }
    }

    pub async fn open(srv: &'a Server) -> SioPoll<'a> {
        SioPoll::open_at(srv, MAIN).await
    }

    fn target(&self) -> String {
        format!("{}?EIO=4&transport=polling&sid={}", self.path, self.eio_sid)
    }

    pub async fn post(&self, body: &str) -> RawResponse {
        self.srv
            .request(
                "POST",
                &self.target(),
                &[("Content-Type", "text/plain;charset=UTF-8")],
                body.as_bytes(),
            )
            .await
    }

    pub async fn get(&self) -> RawResponse {
        self.srv.request("GET", &self.target(), &[], b"").await
    }

    /// GETs until a payload other than a lone ping arrives (pings are answered).
    pub async fn get_payload(&self) -> String {
        within("a polling payload", async {
            loop {
                let r = self.get().await;
                assert_eq!(r.status, 200, "{r:?}");
                let t = r.text();
                if t == "2" {
                    self.post("3").await.is_ok();
                    continue;
                }
                return t;
            }
        })
        .await
    }
}

/// Replaces each `(value, name)` in `text` by `<name>`, so frames with ids compare literally.
pub fn redact(text: &str, ids: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (value, name) in ids {
        out = out.replace(value, &format!("<{name}>"));
    }
    out
}
