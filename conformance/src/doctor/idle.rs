//! Idle survival: proxies cut connections that stay silent longer than their idle timeout
//! (nginx's proxy_read_timeout and AWS ALB: 60 s, Cloudflare: 100 s). The heartbeat keeps a
//! session talking every pingInterval; this holds an idle session past each `--idle` mark while
//! answering pings, over WebSocket (polling when WebSocket does not work), and flags a heartbeat
//! slower than the usual cuts.

use super::Doctor;
use super::fixes;
use super::handshake::Polling;
use super::report::Check;
use super::websocket;
use crate::driver::ws::{Next, WsEvent};
use std::time::{Duration, Instant};

/// The shortest idle timeout in common proxy defaults (nginx proxy_read_timeout, AWS ALB), ms.
const COMMON_IDLE_CUT_MS: u64 = 60_000;

/// `heartbeat`: the announced pingInterval against the common idle cuts.
pub fn heartbeat(doctor: &Doctor) -> Check {
    const ID: &str = "heartbeat";
    let Some(open) = &doctor.open else {
        return Check::skip(ID, "no announced heartbeat (no polling handshake)");
    };
    if open.ping_interval >= COMMON_IDLE_CUT_MS {
        Check::warn(
            ID,
            format!(
                "pingInterval {} ms: an idle connection is silent at least that long, and proxies cut at 60 s by default",
                open.ping_interval
            ),
        )
        .with_fix(fixes::slow_heartbeat(open.ping_interval))
    } else {
        Check::pass(
            ID,
            format!(
                "pingInterval {} ms, pingTimeout {} ms: proxy idle timeouts must exceed {} ms",
                open.ping_interval,
                open.ping_timeout,
                open.ping_interval + open.ping_timeout
            ),
        )
    }
}

/// The `--idle` marks as durations, ascending, zeros dropped.
fn marks(doctor: &Doctor) -> Vec<Duration> {
    let mut marks: Vec<Duration> = doctor
        .args
        .idle
        .iter()
        .filter(|s| s.is_finite() && **s > 0.0)
        .map(|s| Duration::from_secs_f64(*s))
        .collect();
    marks.sort();
    marks
}

/// `1.5 s`, `60 s`.
fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// How long the session lived, and why it ended if it did.
type Held = Result<(), (Duration, String)>;

/// Holds a WebSocket session joined to `/` until `hold` (pings answered by the driver).
async fn hold_websocket(doctor: &Doctor, hold: Duration) -> Result<Held, Check> {
    let target = format!("{}?EIO=4&transport=websocket", doctor.path);
    let mut conn = websocket::open(doctor, "idle", &target, true).await?;
    let started = Instant::now();
    let join = async {
        websocket::next_text(doctor, &mut conn, doctor.step).await?;
        websocket::send(doctor, &conn, "40").await?;
        loop {
            let text = websocket::next_text(doctor, &mut conn, doctor.step).await?;
            if text.starts_with("40") {
                return Ok::<(), String>(());
            }
        }
    }
    .await;
    if let Err(why) = join {
        return Ok(Err((started.elapsed(), format!("joining / failed: {why}"))));
    }
    doctor.client.note("… idle, answering pings");
    loop {
        let left = hold.saturating_sub(started.elapsed());
        if left.is_zero() {
            let _ = conn.close(Some(1000)).await;
            return Ok(Ok(()));
        }
        match conn.next(left).await {
            Next::Timeout => {}
            Next::Event(WsEvent::Close { code, reason }) => {
                let what = format!("close {code} {reason}");
                doctor.client.note(format!(
                    "< {what} after {} ms",
                    started.elapsed().as_millis()
                ));
                return Ok(Err((started.elapsed(), what)));
            }
            Next::Event(_) => {}
            Next::Ended => return Ok(Err((started.elapsed(), "the connection ended".into()))),
        }
    }
}

/// Holds a polling session joined to `/` until `hold`, answering each ping with a POST.
async fn hold_polling(doctor: &Doctor, hold: Duration) -> Result<Held, Check> {
    let mut session = Polling::open(doctor).await.map_err(|b| {
        Check::fail("idle", format!("no session to hold: {}", b.summary)).with_code(b.code)
    })?;
    let started = Instant::now();
    if let Err(b) = session.join().await {
        return Ok(Err((started.elapsed(), b.summary)));
    }
    while started.elapsed() < hold {
        let exchange = match session.poll().await {
            Ok(exchange) => exchange,
            Err(b) => return Ok(Err((started.elapsed(), b.summary))),
        };
        if exchange.body.split('\x1e').any(|p| p == "2")
            && let Err(b) = session.post("3".into()).await
        {
            return Ok(Err((started.elapsed(), b.summary)));
        }
    }
    Ok(Ok(()))
}

/// `idle`: holds a session past each mark.
pub async fn check(doctor: &Doctor, websocket_works: bool) -> Check {
    const ID: &str = "idle";
    let marks = marks(doctor);
    let Some(hold) = marks.last().copied() else {
        return Check::skip(ID, "--idle 0");
    };
    let Some(open) = doctor.open.clone() else {
        if !websocket_works {
            return Check::skip(ID, "neither transport opens a session");
        }
        return Check::skip(ID, "no announced heartbeat");
    };
    doctor.client.take_log();
    let (transport, held) = if websocket_works {
        ("WebSocket", hold_websocket(doctor, hold).await)
    } else {
        ("polling", hold_polling(doctor, hold).await)
    };
    let held = match held {
        Ok(held) => held,
        Err(check) => return check,
    };
    let list = marks
        .iter()
        .map(|m| secs(*m))
        .collect::<Vec<_>>()
        .join(", ");
    match held {
        Ok(()) => Check::pass(
            ID,
            format!("an idle {transport} session answering pings survived {list}"),
        ),
        Err((after, why)) => {
            let survived: Vec<String> = marks
                .iter()
                .filter(|m| **m <= after)
                .map(|m| secs(*m))
                .collect();
            let survived = if survived.is_empty() {
                "no mark".to_string()
            } else {
                survived.join(", ")
            };
            Check::fail(
                ID,
                format!(
                    "an idle {transport} session was cut after {} ms ({why}); survived: {survived}; with pingInterval {} ms the connection is silent up to that long, longer than the proxy allows",
                    after.as_millis(),
                    open.ping_interval
                ),
            )
            .with_evidence(doctor.client.take_log())
            .with_fix(fixes::idle_timeout(open.ping_interval, open.ping_timeout))
        }
    }
}
