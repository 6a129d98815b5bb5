//! The WebSocket through the proxy: the upgrade of a polling session (101, or 400 with code 3
//! when the proxy strips the `Upgrade`/`Connection` headers), the probe (`2probe` → `3probe`,
//! then `5`), and a WebSocket opened directly as `transports: ["websocket"]` clients do. Uses the
//! runner's own WebSocket driver, with the balancer's cookies on the upgrade request.

use super::Doctor;
use super::client::{Open, engine_code, quote};
use super::fixes;
use super::handshake::Polling;
use super::report::Check;
use crate::driver::transcript::Transcript;
use crate::driver::ws::{self, Next, WsConn, WsConnect, WsEvent};
use std::time::{Duration, Instant};

/// Opens a WebSocket to `target` with the cookie jar's cookies; the evidence goes to the client's
/// log. `Err` carries a finished check (refused, failed).
pub async fn open(
    doctor: &Doctor,
    id: &'static str,
    target: &str,
    auto_pong: bool,
) -> Result<WsConn, Check> {
    let headers: Vec<(String, String)> = doctor
        .client
        .cookie_header(target)
        .map(|c| vec![("cookie".to_string(), c)])
        .unwrap_or_default();
    doctor
        .client
        .note(format!("> GET {target} (Upgrade: websocket)"));
    let started = Instant::now();
    let transcript = Transcript::new();
    let outcome = ws::connect_with_headers(
        &doctor.endpoint,
        target,
        &headers,
        doctor.step,
        &transcript,
        auto_pong,
    )
    .await;
    match outcome {
        Ok(WsConnect::Open(conn)) => {
            doctor.client.note(format!(
                "< 101 Switching Protocols ({} ms)",
                started.elapsed().as_millis()
            ));
            Ok(conn)
        }
        Ok(WsConnect::Refused { status, body }) => {
            let body = String::from_utf8_lossy(&body).into_owned();
            doctor.client.note(format!("< {status} {}", quote(&body)));
            let code = engine_code(&body);
            let evidence = doctor.client.take_log();
            let check = if code == Some(1) && doctor.sticky_failed {
                return Err(Check::skip(
                    id,
                    "blocked by sticky: the upgrade reached a node that does not hold the session (code 1)",
                ));
            } else if code == Some(3) {
                Check::fail(
                    id,
                    format!(
                        "the upgrade got HTTP {status} instead of 101: the server saw a plain GET for transport=websocket, so the proxy dropped the Upgrade/Connection headers"
                    ),
                )
                .with_fix(fixes::upgrade_headers())
            } else if code == Some(1) {
                Check::fail(
                    id,
                    format!(
                        "the upgrade reached a node that does not hold the session (HTTP {status})"
                    ),
                )
                .with_fix(fixes::sticky_sessions())
            } else {
                Check::fail(id, format!("the upgrade got HTTP {status} instead of 101"))
                    .with_fix(fixes::websocket_refused(status))
            };
            Err(check.with_code(code).with_evidence(evidence))
        }
        Ok(WsConnect::Failed(why)) => {
            doctor.client.note(format!("< {why}"));
            Err(Check::fail(id, format!("the upgrade failed: {why}"))
                .with_evidence(doctor.client.take_log())
                .with_fix(fixes::upgrade_headers()))
        }
        Err(e) => {
            doctor.client.note(format!("< {e}"));
            Err(
                Check::fail(id, format!("no connection for the upgrade: {e}"))
                    .with_evidence(doctor.client.take_log()),
            )
        }
    }
}

/// The next text frame within `bound` (pings are answered by the driver when asked to).
pub async fn next_text(
    doctor: &Doctor,
    conn: &mut WsConn,
    bound: Duration,
) -> Result<String, String> {
    match conn.next(bound).await {
        Next::Event(WsEvent::Text(text)) => {
            doctor.client.note(format!("< text {}", quote(&text)));
            Ok(text)
        }
        Next::Event(other) => {
            doctor.client.note(format!("< {}", other.describe()));
            Err(other.describe())
        }
        Next::Timeout => {
            doctor
                .client
                .note(format!("< nothing within {} ms", bound.as_millis()));
            Err(format!("nothing within {} ms", bound.as_millis()))
        }
        Next::Ended => Err("the connection had ended".into()),
    }
}

/// Sends a text frame, noting it in the evidence.
pub async fn send(doctor: &Doctor, conn: &WsConn, text: &str) -> Result<(), String> {
    doctor.client.note(format!("> text {text}"));
    conn.send_text(text).await
}

/// `websocket.direct`: a WebSocket without a polling session; the first frame must be the open
/// packet.
pub async fn direct(doctor: &Doctor) -> Check {
    const ID: &str = "websocket.direct";
    doctor.client.take_log();
    let target = format!("{}?EIO=4&transport=websocket", doctor.path);
    let mut conn = match open(doctor, ID, &target, false).await {
        Ok(conn) => conn,
        Err(check) => return check,
    };
    let first = next_text(doctor, &mut conn, doctor.step).await;
    let _ = conn.close(Some(1000)).await;
    let evidence = doctor.client.take_log();
    match first {
        Ok(text) => match Open::parse(&text) {
            Some(open) => Check::pass(
                ID,
                format!(
                    "101, then the open packet (sid {}, pingInterval {} ms)",
                    open.sid, open.ping_interval
                ),
            ),
            None => Check::fail(
                ID,
                format!(
                    "101, but the first frame is not an open packet: {}",
                    quote(&text)
                ),
            )
            .with_evidence(evidence),
        },
        Err(why) => {
            Check::fail(ID, format!("101, but no open packet: {why}")).with_evidence(evidence)
        }
    }
}

/// `websocket.upgrade`: a polling session upgrades as the official client does it.
pub async fn upgrade(doctor: &Doctor) -> Check {
    const ID: &str = "websocket.upgrade";
    doctor.client.take_log();
    let session = match Polling::open(doctor).await {
        Ok(session) => session,
        Err(broken) if broken.code == Some(1) && doctor.sticky_failed => {
            return Check::skip(ID, "blocked by sticky (code 1)");
        }
        Err(broken) => {
            return Check::fail(ID, format!("no session to upgrade: {}", broken.summary))
                .with_code(broken.code)
                .with_evidence(doctor.client.take_log());
        }
    };
    let target = format!(
        "{}?EIO=4&transport=websocket&sid={}",
        doctor.path, session.sid
    );
    let mut conn = match open(doctor, ID, &target, false).await {
        Ok(conn) => conn,
        Err(check) => return check,
    };
    let probe = async {
        send(doctor, &conn, "2probe").await?;
        let reply = next_text(doctor, &mut conn, doctor.step).await?;
        if reply != "3probe" {
            return Err(format!("the probe got {} instead of 3probe", quote(&reply)));
        }
        send(doctor, &conn, "5").await
    }
    .await;
    let _ = conn.close(Some(1000)).await;
    let evidence = doctor.client.take_log();
    match probe {
        Ok(()) => Check::pass(
            ID,
            "101, 2probe → 3probe, upgrade sent: the polling session moved to WebSocket",
        ),
        Err(why) => {
            Check::fail(ID, format!("101, but the probe failed: {why}")).with_evidence(evidence)
        }
    }
}
