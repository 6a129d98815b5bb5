//! The smaller checks: whether Engine.IO v3 clients (socket.io-client 2.x) are accepted, what
//! TLS gives (HTTP version, certificate checked or not), and round-trip times.

use super::Doctor;
use super::client::quote;
use super::handshake::Polling;
use super::report::Check;
use std::time::Instant;

/// Round trips slower than this are worth a warning (a far region, a congested proxy), ms.
const SLOW_MS: u128 = 1000;

/// `eio3`: an EIO=3 handshake; either answer is fine, the check says which clients can connect.
pub async fn eio3(doctor: &Doctor) -> Check {
    const ID: &str = "eio3";
    let target = format!("{}?EIO=3&transport=polling", doctor.path);
    doctor.client.take_log();
    let answer = doctor.client.get(&target, &[]).await;
    let evidence = doctor.client.take_log();
    match answer {
        Ok(e) if e.status == 200 && e.body.contains("0{") => Check::pass(
            ID,
            "EIO3 accepted: socket.io-client 2.x can connect (allowEIO3 on)",
        ),
        Ok(e) if e.code() == Some(5) => Check::pass(
            ID,
            "EIO3 refused with code 5: socket.io-client 2.x cannot connect (allowEIO3 off); 3.x and 4.x clients can",
        )
        .with_code(Some(5)),
        Ok(e) => Check::warn(
            ID,
            format!("EIO3 handshake: HTTP {} {}", e.status, quote(&e.body)),
        )
        .with_code(e.code())
        .with_evidence(evidence),
        Err(e) => Check::warn(ID, format!("EIO3 handshake: no response: {}", e.error))
            .with_evidence(evidence),
    }
}

/// `tls`: for https, the HTTP version reached and how the certificate was checked.
pub async fn tls(doctor: &Doctor) -> Check {
    const ID: &str = "tls";
    if doctor.client.base.scheme() != "https" {
        return Check::skip(
            ID,
            "http:// URL: no TLS (browsers on https pages need wss:// and https://)",
        );
    }
    doctor.client.take_log();
    match doctor.client.get(&doctor.polling_target(None), &[]).await {
        Ok(e) => {
            let trust = if doctor.args.insecure {
                "certificate NOT checked (--insecure)"
            } else {
                "certificate chain and name verified"
            };
            Check::pass(
                ID,
                format!("TLS handshake succeeded, {}, {trust}", e.version),
            )
        }
        Err(e) => {
            Check::fail(ID, format!("TLS: {}", e.error)).with_evidence(doctor.client.take_log())
        }
    }
}

/// `rtt`: the handshake, one join round (POST + GET) and a WebSocket open, timed.
pub async fn rtt(doctor: &Doctor) -> Check {
    const ID: &str = "rtt";
    doctor.client.take_log();
    let started = Instant::now();
    let mut session = match Polling::open(doctor).await {
        Ok(s) => s,
        Err(b) => return Check::skip(ID, format!("no session to time: {}", b.summary)),
    };
    let handshake = started.elapsed().as_millis();
    let round = Instant::now();
    let joined = session.join().await;
    let round = round.elapsed().as_millis();
    doctor.client.take_log();
    let summary = format!(
        "handshake {handshake} ms, POST + GET round {round} ms{}",
        if joined.is_ok() {
            ""
        } else {
            " (the round failed)"
        }
    );
    if handshake > SLOW_MS || round > SLOW_MS {
        Check::warn(ID, format!("{summary}: slow"))
    } else {
        Check::pass(ID, summary)
    }
}
