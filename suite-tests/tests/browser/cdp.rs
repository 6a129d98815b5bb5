//! Just enough of the Chrome DevTools Protocol to load a page in headless Chromium, read what
//! the browser logged, ask the laid-out page questions and take a screenshot.
//!
//! Chromium is started with `--remote-debugging-port=0` on 127.0.0.1 and a fresh profile
//! directory, where it writes the port it got (`DevToolsActivePort`); one WebSocket to the
//! browser carries every command, pages are attached in flat mode (each command and event
//! names its `sessionId`). Every wait is bounded ([`STEP`]); the process is killed on drop.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// Bound on one command, one page load, or the browser's start.
pub const STEP: Duration = Duration::from_secs(20);

/// A headless Chromium and the WebSocket to it.
pub struct Browser {
    child: Child,
    ws: WebSocketStream<TcpStream>,
    next_id: u64,
    /// Events received while waiting for replies, oldest first.
    events: Vec<Value>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Chromium binary: `$CHROMIUM`, else the first of the usual names found on the PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

impl Browser {
    /// Starts Chromium headless with its profile in `profile` (an empty directory) and connects.
    pub async fn launch(chromium: &Path, profile: &Path) -> Browser {
        let child = Command::new(chromium)
            .args([
                "--headless",
                // Containers and CI run as root, where the sandbox cannot start.
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromium.display()));
        // Chromium writes `PORT\n/devtools/browser/ID` once it listens.
        let port_file = profile.join("DevToolsActivePort");
        let started = Instant::now();
        let (port, path) = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    break (port.to_string(), path.to_string());
                }
            }
            assert!(
                started.elapsed() < STEP,
                "Chromium wrote no DevToolsActivePort within {STEP:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let tcp = TcpStream::connect(format!("127.0.0.1:{port}"))
            .await
            .expect("connect to the DevTools port");
        let url = format!("ws://127.0.0.1:{port}{path}");
        let (ws, _) = tokio::time::timeout(STEP, tokio_tungstenite::client_async(url, tcp))
            .await
            .expect("DevTools WebSocket handshake within the bound")
            .expect("DevTools WebSocket handshake");
        Browser {
            child,
            ws,
            next_id: 0,
            events: Vec::new(),
        }
    }

    /// Sends a command (to a page when `session` is given) and returns its `result`; panics on
    /// an error reply or after [`STEP`].
    pub async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        use futures_util::{SinkExt, StreamExt};
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            command["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(command.to_string()))
            .await
            .expect("send a DevTools command");
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("{method}: no reply within {STEP:?}"))
                .unwrap_or_else(|| panic!("{method}: the browser closed the connection"))
                .expect("read from the DevTools WebSocket");
            let Message::Text(text) = message else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if v["id"] == json!(id) {
                assert!(v["error"].is_null(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
            if v["method"].is_string() {
                self.events.push(v);
            }
        }
    }

    /// Waits (bounded) for an event of a page; events already received count.
    pub async fn event(&mut self, session: &str, method: &str) -> Value {
        use futures_util::StreamExt;
        let matches = |v: &Value| v["method"] == method && v["sessionId"] == session;
        if let Some(at) = self.events.iter().position(matches) {
            return self.events.remove(at);
        }
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no {method} within {STEP:?}"))
                .expect("the browser closed the connection")
                .expect("read from the DevTools WebSocket");
            let Message::Text(text) = message else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if matches(&v) {
                return v;
            }
            if v["method"].is_string() {
                self.events.push(v);
            }
        }
    }

    /// Opens `url` in a new page of `width` × `height` CSS pixels, waits for its load event and
    /// returns the page's session id. Console, exception and log events are collected from the
    /// start.
    pub async fn open(&mut self, url: &str, width: u32, height: u32) -> String {
        let target = self
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        let session = attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        let s = Some(session.as_str());
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            self.call(s, domain, json!({})).await;
        }
        self.call(
            s,
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        let navigated = self.call(s, "Page.navigate", json!({"url": url})).await;
        assert!(
            navigated["errorText"].is_null(),
            "{url}: {}",
            navigated["errorText"]
        );
        self.event(&session, "Page.loadEventFired").await;
        session
    }

    /// Evaluates a JavaScript expression in the page and returns its value (as JSON).
    pub async fn eval(&mut self, session: &str, expression: &str) -> Value {
        let r = self
            .call(
                Some(session),
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        assert!(
            r["exceptionDetails"].is_null(),
            "{expression}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// What the page logged as an error or a warning: console calls, uncaught exceptions,
    /// and the browser's own log (a resource that failed to load is logged there).
    pub fn complaints(&self, session: &str) -> Vec<String> {
        self.events
            .iter()
            .filter(|v| v["sessionId"] == session)
            .filter_map(|v| match v["method"].as_str()? {
                "Runtime.consoleAPICalled"
                    if matches!(v["params"]["type"].as_str(), Some("error" | "warning")) =>
                {
                    Some(format!("console: {}", v["params"]["args"]))
                }
                "Runtime.exceptionThrown" => Some(format!(
                    "exception: {}",
                    v["params"]["exceptionDetails"]["text"]
                )),
                "Log.entryAdded"
                    if matches!(
                        v["params"]["entry"]["level"].as_str(),
                        Some("error" | "warning")
                    ) =>
                {
                    Some(format!(
                        "log: {} {}",
                        v["params"]["entry"]["text"], v["params"]["entry"]["url"]
                    ))
                }
                _ => None,
            })
            .collect()
    }

    /// A PNG of the page from its top, `height` CSS pixels tall at most (the whole page when
    /// it is shorter).
    pub async fn screenshot(&mut self, session: &str, height: u32) -> Vec<u8> {
        let size = self
            .eval(
                session,
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]",
            )
            .await;
        let width = size[0].as_u64().unwrap_or(1200);
        let full = size[1].as_u64().unwrap_or(u64::from(height));
        let shot = self
            .call(
                Some(session),
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": {"x": 0, "y": 0, "width": width, "height": full.min(u64::from(height)), "scale": 1}
                }),
            )
            .await;
        data_encoding::BASE64
            .decode(shot["data"].as_str().expect("screenshot data").as_bytes())
            .expect("the screenshot is base64")
    }
}
