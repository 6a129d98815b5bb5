//! Finding out what a target serves, by behaviour: an Engine.IO open packet on each contract
//! path (and the timings it announces), then what the server does when spoken to (`4probe`
//! echoed, a CONNECT to `/` answered, `message` answered by `message-back`, a control event
//! acked, a recovery offer). A path that merely answers 200 proves nothing.
//!
//! Every probe is bounded by the step timeout and the probes run side by side, so a target that
//! accepts connections and never answers is known within a few seconds.

use crate::config::{Capability, Server, Settings, Timings};
use crate::driver::http::{self, HttpRequest};
use crate::driver::ws::{self, Next, WsConn, WsConnect, WsEvent};
use crate::driver::{Endpoint, HttpError, Transcript};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// What detection found.
#[derive(Clone, Debug, PartialEq)]
pub struct Detected {
    /// The capabilities the target showed.
    pub capabilities: BTreeSet<Capability>,
    /// The timings each server path announced in its open packet (connectTimeout: the
    /// official suites' 1000 ms where their handlers answer, else Node's default 45000 ms).
    pub announced: BTreeMap<Server, Timings>,
    /// The fastest handshake round trip seen (the network's share of every wait).
    pub round_trip: Duration,
    /// One line per path or behaviour that was looked for and not found, and why.
    pub notes: Vec<String>,
}

/// Why detection found nothing to test.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    /// No connection could be made, or nothing answered at all within the bound.
    #[error("cannot reach {0}")]
    Unreachable(String),
    /// Something answered, but no contract path gave an Engine.IO open packet.
    #[error("not an Engine.IO server: {0}")]
    NotEngineIo(String),
}

/// Probes the target. `Ok` when at least one path speaks Engine.IO.
pub async fn detect(settings: &Settings) -> Result<Detected, DetectError> {
    let endpoint = &settings.endpoint;
    let step = settings.step;
    let handshakes =
        futures_util::future::join_all(Server::ALL.map(|server| handshake(endpoint, server, step)))
            .await;
    let mut announced = BTreeMap::new();
    let mut notes = Vec::new();
    let mut answered = Vec::new();
    let mut unreachable = None;
    let mut round_trip: Option<Duration> = None;
    for (server, outcome) in Server::ALL.into_iter().zip(handshakes) {
        match outcome {
            Handshake::Open { timings, took } => {
                announced.insert(server, timings);
                round_trip = Some(round_trip.map_or(took, |r| r.min(took)));
            }
            Handshake::Answered(what) => {
                notes.push(format!(
                    "{}: no Engine.IO handshake ({what})",
                    server.path()
                ));
                answered.push(format!("{} answered {what}", server.path()));
            }
            Handshake::Silent(why) => {
                notes.push(format!("{}: {why}", server.path()));
                if why.starts_with("cannot connect") {
                    unreachable.get_or_insert(why);
                }
            }
        }
    }
    if announced.is_empty() {
        return Err(if !answered.is_empty() {
            DetectError::NotEngineIo(answered.join("; "))
        } else {
            DetectError::Unreachable(format!(
                "{endpoint}: {}",
                unreachable.unwrap_or_else(|| {
                    format!(
                        "nothing answered an Engine.IO handshake within {} ms",
                        step.as_millis()
                    )
                })
            ))
        });
    }
    let has = |s: Server| announced.contains_key(&s);
    let (echo, sio, recovery, health) = tokio::join!(
        async {
            if has(Server::EioEcho) {
                echo_answers(endpoint, step).await
            } else {
                Err("no handshake".to_string())
            }
        },
        async {
            if has(Server::SioMain) {
                sio_behaviour(endpoint, Server::SioMain, step).await
            } else {
                Err("no handshake".to_string())
            }
        },
        async {
            if has(Server::SioRecovery) {
                sio_behaviour(endpoint, Server::SioRecovery, step).await
            } else {
                Err("no handshake".to_string())
            }
        },
        health(endpoint, step),
    );
    let mut capabilities = BTreeSet::new();
    match echo {
        Ok(()) => {
            capabilities.insert(Capability::Eio);
        }
        Err(why) if has(Server::EioEcho) => notes.push(format!("/engine.io/: no echo ({why})")),
        Err(_) => {}
    }
    let mut handlers = false;
    match sio {
        Ok(found) => {
            capabilities.insert(Capability::Sio);
            handlers = found.handlers;
            if found.handlers {
                capabilities.insert(Capability::SioHandlers);
            } else {
                notes.push(format!(
                    "/socket.io/: no suite handlers ({})",
                    found.why_not
                ));
            }
            if found.control_events && health.is_ok() {
                capabilities.insert(Capability::ContractExtensions);
            } else if found.handlers {
                notes.push(format!(
                    "/socket.io/: no contract extensions ({})",
                    health.as_ref().err().cloned().unwrap_or_else(|| {
                        "the control event `get-state` was not acked".to_string()
                    })
                ));
            }
        }
        Err(why) if has(Server::SioMain) => {
            notes.push(format!("/socket.io/: not a Socket.IO server ({why})"))
        }
        Err(_) => {}
    }
    match recovery {
        Ok(found) if found.recovery_offered => {
            capabilities.insert(Capability::Recovery);
        }
        Ok(_) => notes.push("/socket.io-recovery/: the CONNECT reply offers no `pid`".into()),
        Err(why) if has(Server::SioRecovery) => notes.push(format!("/socket.io-recovery/: {why}")),
        Err(_) => {}
    }
    if has(Server::SioEio3) {
        capabilities.insert(Capability::Eio3);
    }
    // connectTimeout is announced nowhere: the official suites' servers use 1000 ms, a server
    // without them is taken at Node's default.
    for (server, timings) in announced.iter_mut() {
        if server.is_socketio() {
            timings.connect_timeout = if handlers {
                Timings::CONTRACT.connect_timeout
            } else {
                Timings::NODE_CONNECT_TIMEOUT
            };
        }
    }
    let contract_timings = !announced.is_empty()
        && announced.values().all(Timings::announces_contract)
        && (capabilities.contains(&Capability::Eio) || handlers);
    if contract_timings {
        capabilities.insert(Capability::ContractTimings);
    }
    Ok(Detected {
        capabilities,
        announced,
        round_trip: round_trip.unwrap_or_default(),
        notes,
    })
}

/// What one handshake GET gave.
enum Handshake {
    /// A valid open packet.
    Open { timings: Timings, took: Duration },
    /// An HTTP answer that is not an open packet (status and a glimpse of the body).
    Answered(String),
    /// No answer: refused, reset or nothing within the bound.
    Silent(String),
}

async fn handshake(endpoint: &Endpoint, server: Server, step: Duration) -> Handshake {
    let eio = if server == Server::SioEio3 { 3 } else { 4 };
    let request = HttpRequest {
        method: "GET".into(),
        target: format!(
            "{}?EIO={eio}&transport=polling",
            endpoint.target(server.path())
        ),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let start = Instant::now();
    let response = match http::send(endpoint, &request, step).await {
        Ok(r) => r,
        Err(HttpError::Connect(e)) => return Handshake::Silent(format!("cannot connect: {e}")),
        Err(e) => return Handshake::Silent(format!("no HTTP answer: {e}")),
    };
    let took = start.elapsed();
    let body = String::from_utf8_lossy(&response.body).into_owned();
    let glimpse = crate::failure::visible(&body.chars().take(80).collect::<String>());
    let packet = if eio == 3 {
        // `<length>:0{…}` (the v3 text payload framing).
        body.split_once(':').map(|(_, rest)| rest.to_string())
    } else {
        Some(body.clone())
    };
    match packet.as_deref().and_then(open_packet_timings) {
        Some(timings) if response.status == 200 => Handshake::Open { timings, took },
        _ => Handshake::Answered(format!("{} {glimpse}", response.status)),
    }
}

/// The timings of an Engine.IO open packet `0{"sid":…,"pingInterval":…,"pingTimeout":…,…}`
/// (`maxPayload` is v4 only; absent, Node's 1e6 is assumed). `None` for anything else.
pub fn open_packet_timings(packet: &str) -> Option<Timings> {
    let json = packet.strip_prefix('0')?;
    let Value::Object(o) = serde_json::from_str::<Value>(json).ok()? else {
        return None;
    };
    o.get("sid")?.as_str()?;
    Some(Timings {
        ping_interval: o.get("pingInterval")?.as_u64()?,
        ping_timeout: o.get("pingTimeout")?.as_u64()?,
        max_payload: match o.get("maxPayload") {
            Some(v) => v.as_u64()?,
            None => Timings::CONTRACT.max_payload,
        },
        connect_timeout: Timings::CONTRACT.connect_timeout,
    })
}

async fn open_socket(
    endpoint: &Endpoint,
    server: Server,
    step: Duration,
) -> Result<WsConn, String> {
    let target = format!(
        "{}?EIO=4&transport=websocket",
        endpoint.target(server.path())
    );
    let transcript = Transcript::new();
    match ws::connect(endpoint, &target, step, &transcript, true).await {
        Ok(WsConnect::Open(mut conn)) => match next_text(&mut conn, step).await {
            Some(t) if t.starts_with('0') => Ok(conn),
            Some(t) => Err(format!("the first frame is not an open packet: {t}")),
            None => Err("no open packet over WebSocket".into()),
        },
        Ok(WsConnect::Refused { status, .. }) => {
            Err(format!("WebSocket upgrade refused: {status}"))
        }
        Ok(WsConnect::Failed(e)) => Err(format!("WebSocket upgrade failed: {e}")),
        Err(e) => Err(e.to_string()),
    }
}

/// The next text frame within `bound` (binary frames are skipped), or `None`.
async fn next_text(conn: &mut WsConn, bound: Duration) -> Option<String> {
    let deadline = Instant::now() + bound;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match conn.next(left).await {
            Next::Event(WsEvent::Text(t)) => return Some(t),
            Next::Event(WsEvent::Binary(_)) => continue,
            _ => return None,
        }
    }
}

/// Sends `frame` and waits for a text frame that starts with `reply` (skipping others).
async fn ask(
    conn: &mut WsConn,
    frame: &str,
    reply: &str,
    step: Duration,
) -> Result<String, String> {
    conn.send_text(frame).await?;
    let deadline = Instant::now() + step;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match next_text(conn, left).await {
            Some(t) if t.starts_with(reply) => return Ok(t),
            Some(_) => continue,
            None => {
                return Err(format!(
                    "`{frame}` got no `{reply}…` within {} ms",
                    step.as_millis()
                ));
            }
        }
    }
}

async fn echo_answers(endpoint: &Endpoint, step: Duration) -> Result<(), String> {
    let mut conn = open_socket(endpoint, Server::EioEcho, step).await?;
    let result = ask(&mut conn, "4probe", "4probe", step).await.map(|_| ());
    conn.drop_connection().await;
    result
}

/// What a Socket.IO path did when spoken to.
struct SioFound {
    handlers: bool,
    why_not: String,
    control_events: bool,
    recovery_offered: bool,
}

async fn sio_behaviour(
    endpoint: &Endpoint,
    server: Server,
    step: Duration,
) -> Result<SioFound, String> {
    let mut conn = open_socket(endpoint, server, step).await?;
    let found = sio_behaviour_on(&mut conn, step).await;
    conn.drop_connection().await;
    found
}

async fn sio_behaviour_on(conn: &mut WsConn, step: Duration) -> Result<SioFound, String> {
    // The CONNECT reply (`40…`) or refusal (`44…`); what comes before it (an event emitted
    // from a connection handler ahead of the reply, as some servers do) is kept: the cases
    // judge the order, detection only looks for the behaviour.
    conn.send_text("40").await?;
    let mut early = Vec::new();
    let deadline = Instant::now() + step;
    let reply = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match next_text(conn, left).await {
            Some(t) if t.starts_with("40") || t.starts_with("44") => break t,
            Some(t) => early.push(t),
            None => {
                return Err(format!(
                    "`40` got no CONNECT reply within {} ms",
                    step.as_millis()
                ));
            }
        }
    };
    if !reply.starts_with("40{") {
        return Err(format!("a CONNECT to `/` was answered {reply}"));
    }
    let recovery_offered = reply.contains("\"pid\"");
    // The suite handlers: `auth` on connection, then `message` → `message-back`,
    // `message-with-ack` acked, `/custom` joined with its own `auth`.
    let handlers = async {
        let is_auth = |t: &String| t.starts_with(r#"42["auth","#);
        if !early.iter().any(is_auth) && !next_text(conn, step).await.as_ref().is_some_and(is_auth)
        {
            return Err("no `auth` event after the CONNECT".to_string());
        }
        ask(
            conn,
            r#"42["message","probe"]"#,
            r#"42["message-back","probe""#,
            step,
        )
        .await?;
        ask(
            conn,
            r#"4291["message-with-ack","probe"]"#,
            r#"4391["probe""#,
            step,
        )
        .await?;
        ask(conn, "40/custom,", "40/custom,{", step).await?;
        match next_text(conn, step).await {
            Some(t) if t.starts_with(r#"42/custom,["auth","#) => Ok(()),
            _ => Err("no `auth` event after the CONNECT to `/custom`".to_string()),
        }
    }
    .await;
    let (handlers, why_not) = match handlers {
        Ok(()) => (true, String::new()),
        Err(why) => (false, why),
    };
    let control_events = handlers
        && ask(conn, r#"4292["get-state"]"#, "4392[", step)
            .await
            .is_ok();
    Ok(SioFound {
        handlers,
        why_not,
        control_events,
        recovery_offered,
    })
}

async fn health(endpoint: &Endpoint, step: Duration) -> Result<(), String> {
    let request = HttpRequest {
        method: "GET".into(),
        target: endpoint.target("/health"),
        headers: Vec::new(),
        body: Vec::new(),
    };
    match http::send(endpoint, &request, step).await {
        Ok(r) if r.status == 200 && r.body == b"ok" => Ok(()),
        Ok(r) => Err(format!("GET /health answered {}", r.status)),
        Err(e) => Err(format!("GET /health: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_packets_give_their_timings() {
        let t = open_packet_timings(
            r#"0{"sid":"x","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
        )
        .expect("an open packet");
        assert_eq!(
            (t.ping_interval, t.ping_timeout, t.max_payload),
            (25000, 20000, 1_000_000)
        );
        // v3 has no maxPayload.
        let t = open_packet_timings(
            r#"0{"sid":"x","upgrades":[],"pingInterval":300,"pingTimeout":200}"#,
        )
        .expect("a v3 open packet");
        assert_eq!(t.max_payload, 1_000_000);
        for not_open in [
            "",
            "ok",
            "<html>",
            r#"0{"upgrades":[]}"#,
            r#"0{"sid":"x","pingInterval":"300","pingTimeout":200}"#,
            r#"4{"sid":"x","pingInterval":300,"pingTimeout":200}"#,
        ] {
            assert_eq!(open_packet_timings(not_open), None, "{not_open:?}");
        }
    }
}
