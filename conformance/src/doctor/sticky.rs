//! Session affinity: many polls and POSTs of one session, each on a fresh TCP connection (a load
//! balancer picks a node per connection) and carrying the cookies the balancer set (cookie
//! affinity is the common cloud setup). One "Session ID unknown" (code 1) means a request
//! reached a node that does not hold the session: no affinity.

use super::Doctor;
use super::fixes;
use super::handshake::Polling;
use super::report::Check;

/// Runs the stickiness check: the handshake, then `--rounds` rounds of leave (`41`), join (`40`)
/// and the poll that carries the CONNECT reply (three requests a round, none waiting on a
/// heartbeat).
pub async fn check(doctor: &Doctor) -> Check {
    doctor.client.take_log();
    let mut session = match Polling::open(doctor).await {
        Ok(session) => session,
        Err(broken) => {
            return Check::fail("sticky", format!("no session to check: {}", broken.summary))
                .with_code(broken.code)
                .with_evidence(doctor.client.take_log());
        }
    };
    let rounds = doctor.args.rounds;
    let outcome = async {
        session.join().await?;
        for _ in 0..rounds {
            session.leave().await?;
            session.join().await?;
        }
        Ok::<(), super::handshake::Broken>(())
    }
    .await;
    let evidence = doctor.client.take_log();
    let cookies = doctor
        .client
        .cookie_header(&doctor.path)
        .map_or("no cookies set".to_string(), |c| format!("cookies: {c}"));
    match outcome {
        Ok(()) => Check::pass(
            "sticky",
            format!(
                "{} requests of one session, each on a fresh connection, reached the node holding it ({cookies})",
                session.requests
            ),
        ),
        Err(broken) if broken.code == Some(1) => Check::fail(
            "sticky",
            format!(
                "request {} of the session reached a node that does not hold it ({}): no session affinity ({cookies})",
                session.requests, broken.summary
            ),
        )
        .with_code(Some(1))
        .with_evidence(evidence)
        .with_fix(fixes::sticky_sessions()),
        Err(broken) => Check::fail(
            "sticky",
            format!(
                "request {} of the session failed: {}",
                session.requests, broken.summary
            ),
        )
        .with_code(broken.code)
        .with_evidence(evidence),
    }
}
