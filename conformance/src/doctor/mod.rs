//! `sio-conformance doctor --url URL`: the check a person runs first against a deployed
//! Socket.IO URL. It talks to the deployment as real clients do and reports, one line per check,
//! what a proxy or load balancer in front of the server breaks: the path, CORS, session affinity
//! (stickiness), the WebSocket upgrade, body limits, idle timeouts against the heartbeat, EIO3,
//! TLS and round trips. Each failure carries the official Engine.IO error code where one applies,
//! the evidence and a fix (nginx, HAProxy, cloud load balancers).
//!
//! One module per concern: [`client`] (HTTP as a browser does it), [`report`] (lines, JSON, exit
//! code), [`fixes`] (what to change), then one module per check.

pub mod client;
pub mod cors;
pub mod extras;
pub mod fixes;
pub mod handshake;
pub mod idle;
pub mod payload;
pub mod report;
pub mod sticky;
pub mod websocket;

use crate::driver::{Endpoint, Trust};
use client::{Client, ClientOptions, Open};
use report::{Check, Report, Status};
use std::path::PathBuf;
use std::time::Duration;

/// What the doctor prints after the flags with `--help`.
const AFTER_HELP: &str = "\
Checks (ids as in --json):
  path               the Engine.IO path answers (else: a neighbour path that does, and why)
  handshake.polling  the polling handshake and the settings the server announces
  websocket.direct   a WebSocket opened directly (transport=websocket), as `transports: [\"websocket\"]` clients do
  cors               --origin is allowed, with and without credentials
  sticky             many polls and POSTs of one session over fresh connections reach the same node
  websocket.upgrade  a polling session upgrades through the proxy (101, the probe, the switch)
  payload            the largest polling body that passes, against the announced maxPayload
  heartbeat          the announced heartbeat against common proxy idle timeouts
  idle               an idle session survives --idle seconds while answering pings
  eio3               whether Engine.IO v3 clients (socket.io-client 2.x) are accepted
  tls                https: the protocol reached, HTTP version; http: a note
  rtt                round-trip times of the handshake and of one polling cycle

Exit codes (as the runner's):
  0  no check failed (warnings allowed)
  1  at least one check failed
  2  usage error, or nothing answers at the URL";

/// Diagnoses a deployed Socket.IO URL behind proxies and load balancers.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "sio-conformance doctor", version = crate::cli::VERSION, after_help = AFTER_HELP)]
pub struct DoctorArgs {
    /// The deployment, as a browser would reach it: `https://host[:port]` (a path here is the
    /// prefix the neighbour-path check also tries).
    #[arg(long)]
    pub url: String,
    /// The Engine.IO path the clients use (socket.io-client's `path` option).
    #[arg(long, default_value = "/socket.io/")]
    pub path: String,
    /// Check CORS for pages of this origin (`https://app.example`), with and without credentials.
    #[arg(long, value_name = "ORIGIN")]
    pub origin: Option<String>,
    /// Hold an idle session this many seconds, reporting whether it survived each mark
    /// (comma-separated; decimals allowed; 0 skips the idle check).
    #[arg(long, value_name = "SECONDS", value_delimiter = ',', default_values_t = [60.0, 100.0])]
    pub idle: Vec<f64>,
    /// Polling rounds of the stickiness check (each: three requests on fresh connections).
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Bound on one request, ms (long polls also get the heartbeat on top).
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub timeout: u64,
    /// Print the report as JSON instead of lines.
    #[arg(long)]
    pub json: bool,
    /// https: also trust the CA certificate(s) in this PEM file.
    #[arg(long, value_name = "PEM FILE")]
    pub ca_cert: Option<PathBuf>,
    /// https: INSECURE, accept any certificate.
    #[arg(long, conflicts_with = "ca_cert")]
    pub insecure: bool,
}

impl DoctorArgs {
    /// The arguments for a URL, with every default (what tests start from).
    pub fn for_url(url: &str) -> DoctorArgs {
        use clap::Parser;
        DoctorArgs::parse_from(["doctor", "--url", url])
    }
}

/// What the checks share: the client, the WebSocket endpoint, what earlier checks found.
pub struct Doctor {
    /// The HTTP client (cookie jar, transcript).
    pub client: Client,
    /// The same origin for the runner's WebSocket driver.
    pub endpoint: Endpoint,
    /// The Engine.IO path checked (`/socket.io/`).
    pub path: String,
    /// The arguments.
    pub args: DoctorArgs,
    /// The settings announced by the polling handshake, once it worked.
    pub open: Option<Open>,
    /// The stickiness check found no affinity: later code-1 answers are its consequence.
    pub sticky_failed: bool,
    /// Bound on one request.
    pub step: Duration,
}

impl Doctor {
    /// The request target of a polling request: `<path>?EIO=4&transport=polling[&sid=…]`.
    pub fn polling_target(&self, sid: Option<&str>) -> String {
        let sid = sid.map_or(String::new(), |s| format!("&sid={s}"));
        format!("{}?EIO=4&transport=polling{sid}", self.path)
    }

    /// The bound on a long poll: the step plus one heartbeat (a poll waits up to pingInterval).
    pub fn long_poll_bound(&self) -> Duration {
        let heartbeat = self
            .open
            .as_ref()
            .map_or(0, |o| o.ping_interval + o.ping_timeout);
        self.step + Duration::from_millis(heartbeat)
    }
}

/// The path as clients send it: leading slash, trailing slash (socket.io-client adds one).
fn normalise_path(path: &str) -> String {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        format!("/{trimmed}/")
    }
}

/// Runs every check against the deployment and returns the report (no printing).
pub async fn diagnose(args: DoctorArgs) -> Result<Report, String> {
    let step = Duration::from_millis(args.timeout);
    let client = Client::new(
        &args.url,
        &ClientOptions {
            timeout: step,
            ca_cert: args.ca_cert.clone(),
            insecure: args.insecure,
        },
    )?;
    let origin = {
        let mut base = client.base.clone();
        base.set_path("");
        base.as_str().trim_end_matches('/').to_string()
    };
    let mut endpoint = Endpoint::parse(&origin).map_err(|e| e.to_string())?;
    if endpoint.tls.is_some() {
        endpoint = endpoint
            .with_trust(Trust {
                ca_cert: args.ca_cert.clone(),
                insecure: args.insecure,
            })
            .map_err(|e| e.to_string())?;
    }
    let path = normalise_path(&args.path);
    let mut doctor = Doctor {
        client,
        endpoint,
        path: path.clone(),
        args: args.clone(),
        open: None,
        sticky_failed: false,
        step,
    };
    let mut report = Report {
        url: args.url.clone(),
        path,
        checks: Vec::new(),
        unreachable: false,
    };
    let found = handshake::check(&mut doctor, &mut report.checks).await;
    match found {
        handshake::Found::Unreachable => {
            report.unreachable = true;
            return Ok(report);
        }
        handshake::Found::NotHere => {
            for id in DEPENDENT_CHECKS {
                report.checks.push(Check::skip(
                    id,
                    "blocked: no Engine.IO server at the path (see path)",
                ));
            }
            return Ok(report);
        }
        handshake::Found::Polling | handshake::Found::NoPolling => {}
    }
    let direct = websocket::direct(&doctor).await;
    report.checks.push(direct.clone());
    report.checks.push(cors::check(&doctor).await);
    if doctor.open.is_some() {
        let sticky = sticky::check(&doctor).await;
        doctor.sticky_failed =
            sticky.status == Status::Fail && sticky.code.is_some_and(|c| c.code == 1);
        report.checks.push(sticky);
        let upgrade = websocket::upgrade(&doctor).await;
        if let (Some(up), Some(dir)) = (upgrade.code, direct.code)
            && up == dir
            && upgrade.status == Status::Fail
        {
            // One cause, one finding: the direct WebSocket failed the same way.
            if let Some(d) = report
                .checks
                .iter_mut()
                .find(|c| c.id == "websocket.direct")
            {
                *d = Check::skip(
                    "websocket.direct",
                    format!("same cause as websocket.upgrade (code {})", up.code),
                );
            }
        }
        report.checks.push(upgrade);
        report.checks.push(payload::check(&doctor).await);
    } else {
        for id in ["sticky", "websocket.upgrade", "payload"] {
            report.checks.push(Check::skip(
                id,
                "needs the polling transport, which the server refused",
            ));
        }
    }
    report.checks.push(idle::heartbeat(&doctor));
    report
        .checks
        .push(idle::check(&doctor, direct.status == Status::Pass).await);
    report.checks.push(extras::eio3(&doctor).await);
    report.checks.push(extras::tls(&doctor).await);
    report.checks.push(extras::rtt(&doctor).await);
    Ok(report)
}

/// The checks that need an Engine.IO server at the path.
const DEPENDENT_CHECKS: [&str; 10] = [
    "websocket.direct",
    "cors",
    "sticky",
    "websocket.upgrade",
    "payload",
    "heartbeat",
    "idle",
    "eio3",
    "tls",
    "rtt",
];

/// The `doctor` subcommand: runs, prints, returns the exit code.
pub async fn run(args: DoctorArgs) -> u8 {
    let json = args.json;
    match diagnose(args).await {
        Ok(report) => {
            if json {
                println!("{}", report.render_json());
            } else {
                print!("{}", report.render_text());
            }
            report.exit_code()
        }
        Err(message) => {
            eprintln!("sio-conformance doctor: {message}");
            crate::verdict::exit::HARNESS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_as_clients_send_them() {
        assert_eq!(normalise_path("/socket.io"), "/socket.io/");
        assert_eq!(normalise_path("app/socket.io/"), "/app/socket.io/");
        assert_eq!(normalise_path(""), "/");
    }

    #[test]
    fn defaults_hold_60_and_100_seconds() {
        let args = DoctorArgs::for_url("http://127.0.0.1:1");
        assert_eq!(args.idle, vec![60.0, 100.0]);
        assert_eq!(args.path, "/socket.io/");
    }
}
