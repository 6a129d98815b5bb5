//! CORS for a page of `--origin`: the handshake's `Access-Control-Allow-Origin`, without and with
//! credentials (`withCredentials: true` needs the exact origin echoed and
//! `Access-Control-Allow-Credentials: true`), and the preflight of a polling POST.

use super::Doctor;
use super::fixes;
use super::report::Check;

/// Runs the CORS check (skipped without `--origin`).
pub async fn check(doctor: &Doctor) -> Check {
    const ID: &str = "cors";
    let Some(origin) = doctor.args.origin.as_deref() else {
        return Check::skip(ID, "no --origin given");
    };
    doctor.client.take_log();
    let target = doctor.polling_target(None);
    let handshake = match doctor.client.get(&target, &[("origin", origin)]).await {
        Ok(exchange) => exchange,
        Err(e) => {
            return Check::fail(ID, format!("no response with Origin: {}", e.error))
                .with_evidence(doctor.client.take_log());
        }
    };
    let preflight = doctor
        .client
        .send(
            reqwest::Method::OPTIONS,
            &target,
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "content-type"),
            ],
            None,
            None,
        )
        .await;
    let mut evidence = doctor.client.take_log();
    let allow = handshake
        .header("access-control-allow-origin")
        .unwrap_or("")
        .to_string();
    let credentials = handshake
        .header("access-control-allow-credentials")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    evidence.push(format!(
        "access-control-allow-origin: {allow:?}, access-control-allow-credentials: {credentials}"
    ));
    let without = allow == "*" || allow == origin;
    let with = allow == origin && credentials;
    let preflight_ok = matches!(&preflight, Ok(e) if (200..300).contains(&e.status)
        && e.header("access-control-allow-origin").is_some_and(|a| a == "*" || a == origin));
    if !without {
        return Check::fail(
            ID,
            format!("pages of {origin} are refused: the handshake allows {allow:?}"),
        )
        .with_evidence(evidence)
        .with_fix(fixes::cors(origin, false));
    }
    if !preflight_ok {
        return Check::fail(
            ID,
            format!("the preflight of a POST from {origin} is refused"),
        )
        .with_evidence(evidence)
        .with_fix(fixes::cors(origin, false));
    }
    if !with {
        return Check::warn(
            ID,
            format!("{origin} is allowed without credentials only: clients with withCredentials: true (cookie affinity in browsers) are refused"),
        )
        .with_evidence(evidence)
        .with_fix(fixes::cors(origin, true));
    }
    Check::pass(ID, format!("{origin} is allowed, with credentials too"))
}
