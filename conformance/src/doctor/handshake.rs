//! The first checks: does an Engine.IO server answer the polling handshake at the path, what
//! does it announce, and when it does not answer, which neighbour path does (a prefix the proxy
//! strips, a URL path taken for a namespace). Also the polling session every later check drives.

use super::Doctor;
use super::client::{Exchange, NoResponse, Open, engine_code, quote};
use super::fixes;
use super::report::Check;

/// What the handshake found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// Nothing answered at all (exit 2).
    Unreachable,
    /// Something answered, but no Engine.IO server at the path.
    NotHere,
    /// An Engine.IO server that refused the polling transport (WebSocket may still work).
    NoPolling,
    /// A polling session opened; `Doctor::open` holds its settings.
    Polling,
}

/// Runs `path` and `handshake.polling`, pushing both checks.
pub async fn check(doctor: &mut Doctor, checks: &mut Vec<Check>) -> Found {
    let target = doctor.polling_target(None);
    doctor.client.take_log();
    let answer = doctor.client.get(&target, &[]).await;
    let evidence = doctor.client.take_log();
    let exchange = match answer {
        Err(e) => {
            checks.push(
                Check::fail(
                    "path",
                    format!(
                        "nothing answers at {}: {}",
                        doctor.client.url(&target),
                        e.error
                    ),
                )
                .with_evidence(evidence),
            );
            return Found::Unreachable;
        }
        Ok(exchange) => exchange,
    };
    if exchange.status == 200
        && let Some(open) = Open::parse(&exchange.body)
    {
        checks.push(Check::pass(
            "path",
            format!("an Engine.IO server answers at {}", doctor.path),
        ));
        checks.push(Check::pass(
            "handshake.polling",
            format!(
                "sid {}, {} ({} ms, {})",
                open.sid,
                open.describe(),
                exchange.elapsed.as_millis(),
                exchange.version
            ),
        ));
        doctor.open = Some(open);
        return Found::Polling;
    }
    if let Some(code) = exchange.code() {
        checks.push(Check::pass(
            "path",
            format!(
                "an Engine.IO server answers at {} (with an error)",
                doctor.path
            ),
        ));
        let refused = Check::fail(
            "handshake.polling",
            format!(
                "the polling handshake was refused: HTTP {}",
                exchange.status
            ),
        )
        .with_code(Some(code))
        .with_evidence(evidence);
        checks.push(if code == 0 {
            Check {
                status: super::report::Status::Warn,
                summary: "the server refuses the polling transport (transports: [\"websocket\"]): clients must connect with transports: [\"websocket\"]".into(),
                ..refused
            }
        } else {
            refused
        });
        return Found::NoPolling;
    }
    let mut tried = evidence;
    for (candidate, doubled) in neighbours(&doctor.path, doctor.client.base.path()) {
        let target = format!("{candidate}?EIO=4&transport=polling");
        if let Ok(found) = doctor.client.get(&target, &[]).await
            && found.status == 200
            && Open::parse(&found.body).is_some()
        {
            tried.extend(doctor.client.take_log());
            checks.push(
                Check::fail(
                    "path",
                    format!(
                        "no Engine.IO server at {} (HTTP {}), but {candidate} answers the handshake",
                        doctor.path, exchange.status
                    ),
                )
                .with_evidence(tried)
                .with_fix(fixes::path(&doctor.path, &candidate, doubled)),
            );
            checks.push(Check::skip("handshake.polling", "blocked by path"));
            return Found::NotHere;
        }
        tried.extend(doctor.client.take_log());
    }
    checks.push(
        Check::fail(
            "path",
            format!(
                "no Engine.IO server at {} (HTTP {} {}), nor at the neighbour paths tried",
                doctor.path,
                exchange.status,
                quote(&exchange.body)
            ),
        )
        .with_evidence(tried)
        .with_fix(
            "route the clients' Engine.IO path to the Socket.IO server, and give the clients the \
             server's `path` (default /socket.io/)",
        ),
    );
    checks.push(Check::skip("handshake.polling", "blocked by path"));
    Found::NotHere
}

/// Paths where the server may answer instead, each with whether it is the path doubled (the
/// mark of a proxy that strips the prefix it matched).
pub fn neighbours(path: &str, url_path: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut add = |candidate: String, doubled: bool| {
        if candidate != path && !out.iter().any(|(c, _)| *c == candidate) {
            out.push((candidate, doubled));
        }
    };
    if path != "/" {
        add(format!("{}{}", path, &path[1..]), true);
    }
    let prefix = url_path.trim_matches('/');
    if !prefix.is_empty() {
        add(format!("/{prefix}{path}"), false);
        add(format!("/{prefix}/socket.io/"), false);
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.len() > 1 {
        add(format!("/{}/", segments[1..].join("/")), false);
    }
    add("/socket.io/".into(), false);
    add("/engine.io/".into(), false);
    out
}

/// Why a step of a polling session did not go as a client needs.
#[derive(Clone, Debug)]
pub struct Broken {
    /// One line for the report.
    pub summary: String,
    /// The Engine.IO error code, when the answer carried one.
    pub code: Option<u8>,
}

impl Broken {
    fn from_exchange(what: &str, exchange: &Exchange) -> Broken {
        Broken {
            summary: format!("{what}: HTTP {} {}", exchange.status, quote(&exchange.body)),
            code: engine_code(&exchange.body),
        }
    }

    /// The exchange of a session's request when it is the `200` a client needs.
    fn unless_200(what: &str, sent: Result<Exchange, NoResponse>) -> Result<Exchange, Broken> {
        let exchange = sent.map_err(|e| Broken {
            summary: format!("{what}: no response: {}", e.error),
            code: None,
        })?;
        if exchange.status == 200 {
            Ok(exchange)
        } else {
            Err(Broken::from_exchange(what, &exchange))
        }
    }
}

/// A polling session driven by hand: the handshake, POSTs, GETs.
pub struct Polling<'a> {
    doctor: &'a Doctor,
    /// The session id.
    pub sid: String,
    /// Requests sent on it so far (the handshake included).
    pub requests: usize,
}

impl<'a> Polling<'a> {
    /// Opens a session with the polling handshake.
    pub async fn open(doctor: &'a Doctor) -> Result<Polling<'a>, Broken> {
        let exchange = doctor
            .client
            .get(&doctor.polling_target(None), &[])
            .await
            .map_err(|e| Broken {
                summary: format!("handshake: no response: {}", e.error),
                code: None,
            })?;
        match Open::parse(&exchange.body) {
            Some(open) if exchange.status == 200 => Ok(Polling {
                doctor,
                sid: open.sid,
                requests: 1,
            }),
            _ => Err(Broken::from_exchange("handshake", &exchange)),
        }
    }

    /// POSTs one payload; a client needs `200 ok`.
    pub async fn post(&mut self, body: String) -> Result<Exchange, Broken> {
        self.requests += 1;
        let what = format!("POST #{}", self.requests);
        let target = self.doctor.polling_target(Some(&self.sid));
        let sent = self.doctor.client.post(&target, body).await;
        Broken::unless_200(&what, sent)
    }

    /// One GET (a long poll: waits up to a heartbeat for data).
    pub async fn poll(&mut self) -> Result<Exchange, Broken> {
        self.requests += 1;
        let what = format!("GET #{}", self.requests);
        let target = self.doctor.polling_target(Some(&self.sid));
        let bound = Some(self.doctor.long_poll_bound());
        let sent = (self.doctor.client)
            .send(reqwest::Method::GET, &target, &[], None, bound)
            .await;
        Broken::unless_200(&what, sent)
    }

    /// Joins the main namespace (`40`) and polls until the CONNECT reply, answering pings on
    /// the way: a step with an immediate answer, so rounds never wait for a heartbeat.
    pub async fn join(&mut self) -> Result<(), Broken> {
        self.post("40".into()).await?;
        for _ in 0..4 {
            let exchange = self.poll().await?;
            for packet in exchange.body.split('\x1e') {
                if packet.starts_with("40") {
                    return Ok(());
                }
                if packet.starts_with("44") || packet == "1" {
                    return Err(Broken {
                        summary: format!(
                            "the namespace / refused the connection: {}",
                            quote(packet)
                        ),
                        code: None,
                    });
                }
                if packet == "2" {
                    self.post("3".into()).await?;
                }
            }
        }
        Err(Broken {
            summary: "no CONNECT reply to `40` within 4 polls".into(),
            code: None,
        })
    }

    /// Leaves the main namespace (`41`): the server answers nothing, the session stays.
    pub async fn leave(&mut self) -> Result<(), Broken> {
        self.post("41".into()).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbours_start_with_the_doubled_path() {
        let n = neighbours("/socket.io/", "/");
        assert_eq!(n[0], ("/socket.io/socket.io/".to_string(), true));
        assert!(n.contains(&("/engine.io/".to_string(), false)));
        assert!(!n.iter().any(|(c, _)| c == "/socket.io/"));
    }

    #[test]
    fn a_url_path_is_tried_as_a_prefix() {
        let n = neighbours("/socket.io/", "/app");
        assert!(n.contains(&("/app/socket.io/".to_string(), false)));
        let n = neighbours("/app/socket.io/", "/");
        assert!(n.contains(&("/socket.io/".to_string(), false)));
    }
}
