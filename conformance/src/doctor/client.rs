//! How the doctor talks to a deployment over HTTP: as a browser would (a cookie jar, redirects
//! followed, proxies from the environment, HTTP/2 where the server offers it over TLS), through
//! reqwest. Every request goes out on a fresh TCP connection (no pooling): load balancers pick a
//! node per connection, so reusing one would hide missing affinity. Each exchange is recorded as
//! two evidence lines; the Engine.IO open packet and error bodies are read here too.

use reqwest::Url;
use reqwest::cookie::{CookieStore, Jar};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a response body is quoted in the evidence.
const QUOTE: usize = 120;

/// The settings a server announces in its open packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    /// The session id.
    pub sid: String,
    /// Transports it offers to upgrade to.
    pub upgrades: Vec<String>,
    /// ms between the server's pings.
    pub ping_interval: u64,
    /// ms the server waits for a pong.
    pub ping_timeout: u64,
    /// Largest polling body it accepts, bytes.
    pub max_payload: u64,
}

impl Open {
    /// Reads an Engine.IO v4 open packet (`0{json}`), the first packet of a polling body or a
    /// WebSocket's first frame.
    pub fn parse(text: &str) -> Option<Open> {
        let first = text.split('\x1e').next()?;
        let json: serde_json::Value = serde_json::from_str(first.strip_prefix('0')?).ok()?;
        Some(Open {
            sid: json.get("sid")?.as_str()?.to_string(),
            upgrades: json
                .get("upgrades")
                .and_then(|u| u.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            ping_interval: json.get("pingInterval")?.as_u64()?,
            ping_timeout: json.get("pingTimeout")?.as_u64()?,
            max_payload: json
                .get("maxPayload")
                .and_then(|m| m.as_u64())
                .unwrap_or(1_000_000),
        })
    }

    /// `pingInterval 25000 ms, pingTimeout 20000 ms, maxPayload 1000000, upgrades [websocket]`.
    pub fn describe(&self) -> String {
        format!(
            "pingInterval {} ms, pingTimeout {} ms, maxPayload {}, upgrades [{}]",
            self.ping_interval,
            self.ping_timeout,
            self.max_payload,
            self.upgrades.join(",")
        )
    }
}

/// The official error code in an Engine.IO error body: `{"code":1,"message":"Session ID unknown"}`
/// on HTTP requests, or the bare message (`Session ID unknown`) that Node writes when it refuses
/// a WebSocket upgrade.
pub fn engine_code(body: &str) -> Option<u8> {
    let body = body.trim();
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        return json
            .get("code")?
            .as_u64()
            .filter(|c| *c <= 5)
            .map(|c| c as u8);
    }
    (0..=5).find(|c| body == super::report::engine_error_message(*c))
}

/// One request and its response.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// Status code.
    pub status: u16,
    /// The response body as text.
    pub body: String,
    /// Response headers, lowercase names.
    pub headers: Vec<(String, String)>,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub version: String,
    /// From sending the request to the end of the body.
    pub elapsed: Duration,
}

impl Exchange {
    /// The first header of that name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The Engine.IO error code in the body, if it is one.
    pub fn code(&self) -> Option<u8> {
        engine_code(&self.body)
    }
}

/// A request that got no response.
#[derive(Clone, Debug)]
pub struct NoResponse {
    /// reqwest's description (connection refused, timed out, TLS, …).
    pub error: String,
    /// The connection could not be made at all (as opposed to a reset or a timeout).
    pub connect: bool,
}

/// The doctor's HTTP client, and the transcript of everything it did.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    jar: Arc<Jar>,
    /// The deployment's origin and prefix: `https://host:port` (no trailing slash).
    pub base: Url,
    log: Arc<Mutex<Vec<String>>>,
}

/// TLS and timeout settings of the client.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// Bound on one request (the long polls of the idle check get their own).
    pub timeout: Duration,
    /// A PEM file of extra CAs to trust.
    pub ca_cert: Option<std::path::PathBuf>,
    /// Accept any certificate.
    pub insecure: bool,
}

impl Client {
    /// A client for `base` (`http://…` or `https://…`).
    pub fn new(base: &str, options: &ClientOptions) -> Result<Client, String> {
        let base = Url::parse(base).map_err(|e| format!("invalid --url {base:?}: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!("--url must be http:// or https://, not {base}"));
        }
        let jar = Arc::new(Jar::default());
        let mut builder = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            // Fresh TCP connection per request: a balancer decides per connection.
            .pool_max_idle_per_host(0)
            .timeout(options.timeout)
            .user_agent(concat!(
                "sio-conformance-doctor/",
                env!("CARGO_PKG_VERSION")
            ));
        if let Some(path) = &options.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| format!("cannot read --ca-cert {}: {e}", path.display()))?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("--ca-cert {}: {e}", path.display()))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        if options.insecure {
            builder = builder.danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|e| e.to_string())?;
        Ok(Client {
            http,
            jar,
            base,
            log: Arc::default(),
        })
    }

    /// The URL of a request target (`/socket.io/?EIO=4&transport=polling`).
    pub fn url(&self, target: &str) -> String {
        let mut base = self.base.clone();
        base.set_path("");
        base.set_query(None);
        format!("{}{}", base.as_str().trim_end_matches('/'), target)
    }

    /// The `Cookie` header a browser would send with a request to `target` (balancer cookies).
    pub fn cookie_header(&self, target: &str) -> Option<String> {
        let url = Url::parse(&self.url(target)).ok()?;
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
    }

    /// The evidence recorded since the last [`Client::take_log`].
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Adds a line to the evidence (WebSocket steps, notes).
    pub fn note(&self, line: impl Into<String>) {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line.into());
    }

    /// GET `target`.
    pub async fn get(
        &self,
        target: &str,
        headers: &[(&str, &str)],
    ) -> Result<Exchange, NoResponse> {
        self.send(reqwest::Method::GET, target, headers, None, None)
            .await
    }

    /// POST `body` (text/plain, as the official client sends polling payloads) to `target`.
    pub async fn post(&self, target: &str, body: String) -> Result<Exchange, NoResponse> {
        self.send(
            reqwest::Method::POST,
            target,
            &[("content-type", "text/plain;charset=UTF-8")],
            Some(body),
            None,
        )
        .await
    }

    /// Any request, with its own timeout when `timeout` is given (a long poll).
    pub async fn send(
        &self,
        method: reqwest::Method,
        target: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<Exchange, NoResponse> {
        let shown_body = body
            .as_deref()
            .map_or(String::new(), |b| format!(" {}", quote(b)));
        self.note(format!("> {method} {target}{shown_body}"));
        let mut request = self.http.request(method, self.url(target));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let started = Instant::now();
        let outcome = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let version = format!("{:?}", response.version());
            let headers = crate::driver::http::header_pairs(response.headers());
            let body = response.text().await?;
            Ok::<_, reqwest::Error>(Exchange {
                status,
                body,
                headers,
                version,
                elapsed: started.elapsed(),
            })
        }
        .await;
        match outcome {
            Ok(exchange) => {
                self.note(format!(
                    "< {} {} ({} ms)",
                    exchange.status,
                    quote(&exchange.body),
                    exchange.elapsed.as_millis()
                ));
                Ok(exchange)
            }
            Err(e) => {
                let error = describe_error(&e);
                self.note(format!(
                    "< no response after {} ms: {error}",
                    started.elapsed().as_millis()
                ));
                Err(NoResponse {
                    error,
                    connect: e.is_connect(),
                })
            }
        }
    }
}

/// reqwest's error with its causes (the top level alone says only "error sending request").
fn describe_error(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A body as one short line: control characters visible, long ones cut.
pub fn quote(body: &str) -> String {
    let visible: String = body
        .chars()
        .map(|c| match c {
            '\x1e' => '␞',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect();
    if visible.chars().count() > QUOTE {
        let cut: String = visible.chars().take(QUOTE).collect();
        format!("{cut}… ({} bytes)", body.len())
    } else {
        visible
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_open_packet_and_error_codes() {
        let open = Open::parse(
            "0{\"sid\":\"s1\",\"upgrades\":[\"websocket\"],\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":1000000}\x1e40",
        )
        .unwrap();
        assert_eq!(open.sid, "s1");
        assert_eq!(open.ping_interval, 300);
        assert_eq!(open.upgrades, vec!["websocket"]);
        assert_eq!(Open::parse("40{\"sid\":\"x\"}"), None);
        assert_eq!(
            engine_code("{\"code\":1,\"message\":\"Session ID unknown\"}"),
            Some(1)
        );
        assert_eq!(engine_code("<html>413</html>"), None);
        assert_eq!(engine_code("Session ID unknown"), Some(1));
    }

    #[test]
    fn quotes_are_one_short_line() {
        assert_eq!(quote("2\x1e3"), "2␞3");
        let long = "a".repeat(500);
        assert!(quote(&long).ends_with("… (500 bytes)"));
    }
}
