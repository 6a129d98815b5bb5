//! The largest polling body that gets through, against the `maxPayload` the server announces:
//! a body limit in a proxy (nginx's `client_max_body_size` is 1 MB by default) below it breaks
//! clients that send large messages over polling. Each size is tried on a session of its own,
//! since a refused body can end the session.

use super::Doctor;
use super::fixes;
use super::handshake::{Broken, Polling};
use super::report::Check;

/// `42["sio-doctor","` + `"]`: the bytes of the event around the padding.
const EVENT_OVERHEAD: usize = 19;

/// Bisection steps between the largest size that passed and the first refused.
const BISECT_STEPS: usize = 6;

/// A POST body of exactly `size` bytes: one event nobody handles (servers drop it).
fn body_of(size: usize) -> String {
    let pad = size.saturating_sub(EVENT_OVERHEAD);
    format!("42[\"sio-doctor\",\"{}\"]", "a".repeat(pad))
}

/// The sizes tried in order: 1 KiB, ×16 steps below `max`, then `max` itself.
fn ladder(max: u64) -> Vec<u64> {
    let mut sizes = Vec::new();
    let mut size = 1024;
    while size < max {
        sizes.push(size);
        size *= 16;
    }
    sizes.push(max.max(EVENT_OVERHEAD as u64));
    sizes
}

/// Whether a body of `size` bytes passes, on a fresh session joined to `/`.
async fn probe(doctor: &Doctor, size: u64) -> Result<(), (Broken, bool)> {
    let mut session = Polling::open(doctor).await.map_err(|b| (b, false))?;
    session.join().await.map_err(|b| (b, false))?;
    session
        .post(body_of(size as usize))
        .await
        .map(|_| ())
        .map_err(|b| (b, true))
}

/// Runs the payload check.
pub async fn check(doctor: &Doctor) -> Check {
    const ID: &str = "payload";
    let Some(max) = doctor.open.as_ref().map(|o| o.max_payload) else {
        return Check::skip(ID, "no announced maxPayload");
    };
    doctor.client.take_log();
    let mut passed: Option<u64> = None;
    let mut refused: Option<(u64, Broken)> = None;
    for size in ladder(max) {
        doctor.client.take_log();
        match probe(doctor, size).await {
            Ok(()) => passed = Some(size),
            Err((broken, true)) => {
                refused = Some((size, broken));
                break;
            }
            Err((broken, false)) if broken.code == Some(1) && doctor.sticky_failed => {
                return Check::skip(ID, "blocked by sticky (code 1)");
            }
            Err((broken, false)) => {
                return Check::fail(ID, format!("no session to send on: {}", broken.summary))
                    .with_code(broken.code)
                    .with_evidence(doctor.client.take_log());
            }
        }
    }
    let Some((first_refused, broken)) = refused else {
        return Check::pass(
            ID,
            format!("a polling body of maxPayload ({max} bytes) passes"),
        );
    };
    let evidence = doctor.client.take_log();
    // Narrow down the limit between the last size that passed and the first refused.
    let (mut low, mut high) = (passed.unwrap_or(0), first_refused);
    for _ in 0..BISECT_STEPS {
        if high - low <= 64 {
            break;
        }
        let mid = low + (high - low) / 2;
        match probe(doctor, mid).await {
            Ok(()) => low = mid,
            Err(_) => high = mid,
        }
    }
    doctor.client.take_log();
    let who = if broken.code.is_some() {
        "the server itself"
    } else {
        "something in front of the server (no Engine.IO error body)"
    };
    Check::fail(
        ID,
        format!(
            "polling bodies of {low} bytes pass, {high} bytes are refused by {who} ({}), below the announced maxPayload {max}",
            broken.summary
        ),
    )
    .with_code(broken.code)
    .with_evidence(evidence)
    .with_fix(fixes::body_limit(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_exact_size() {
        assert_eq!(body_of(1024).len(), 1024);
        assert_eq!(body_of(1_000_000).len(), 1_000_000);
    }

    #[test]
    fn the_ladder_ends_at_max_payload() {
        assert_eq!(ladder(1_000_000), vec![1024, 16384, 262_144, 1_000_000]);
        assert_eq!(ladder(100), vec![100]);
    }
}
