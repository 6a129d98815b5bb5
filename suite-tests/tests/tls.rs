//! `https://` targets: the reference server's contract router served in-process behind a
//! tokio-rustls acceptor, with a CA and a server certificate made at test time (rcgen, ring).
//!
//! - the whole suite (hand-written cases and replays: polling, WebSocket, the upgrade between
//!   them, Socket.IO, recovery, EIO3) runs over https/wss with `--ca-cert` and gets exactly
//!   the verdicts committed for the reference server over plain http: TLS changes nothing
//!   (about 10 s in a debug build);
//! - the same through the command line (`--ca-cert`, exit 0) and `--insecure`;
//! - without `--ca-cert` the certificate is not trusted: the runner stops at once with a usage
//!   error (exit 2) that names the TLS failure and the two flags, within a bound (no hang);
//! - the deployment doctor over https/wss with `--ca-cert`: no failure, the TLS check passes.

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sio_conformance::cases;
use sio_conformance::cli::{Args, run};
use sio_conformance::config::Settings;
use sio_conformance::driver::{Endpoint, Trust};
use sio_conformance::filter::{Globs, Selection};
use sio_conformance::judgement;
use sio_conformance::runner::{self, RunOptions};
use sio_conformance::verdict::Verdict;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

use clap::Parser;

/// The cases run over TLS: all of them.
const SUBSET: &str = "*";

/// A test CA and a server certificate it signed for `localhost` and `127.0.0.1`; the CA's PEM
/// is written to a file for `--ca-cert`.
struct Pki {
    ca_pem_file: PathBuf,
    server: Arc<rustls::ServerConfig>,
}

fn pki(name: &str) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "sio-conformance test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let server_key = KeyPair::generate().expect("server key");
    let server_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("server params");
    let server_cert = server_params
        .signed_by(&server_key, &ca)
        .expect("server certificate");

    let ca_pem_file = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tls-{name}-{}-ca.pem", std::process::id()));
    std::fs::write(&ca_pem_file, ca.pem()).expect("writing the CA file");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![
                CertificateDer::from(server_cert.der().to_vec()),
                CertificateDer::from(ca.der().to_vec()),
            ],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .expect("server TLS config");
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Pki {
        ca_pem_file,
        server: Arc::new(server),
    }
}

/// Serves the reference server's contract router over TLS on an ephemeral port of 127.0.0.1;
/// returns the port. Connections whose TLS handshake fails are dropped (as a real server does).
async fn serve_tls(config: Arc<rustls::ServerConfig>) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let router = sio_contract_server::router();
    let server = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let service = TowerToHyperService::new(router.clone());
            tokio::spawn(async move {
                let Ok(Ok(tls)) =
                    tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await
                else {
                    return;
                };
                // `with_upgrades`: the WebSocket adapter takes the connection over after 101.
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    (port, server)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The committed verdicts of the reference server over plain http.
fn reference_baseline() -> Vec<judgement::Entry> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/results/reference.json");
    judgement::parse(&std::fs::read_to_string(path).expect("results/reference.json"))
        .expect("a valid judgement file")
        .entries
}

#[test]
fn the_suite_runs_over_https_and_wss_with_a_private_ca() {
    let pki = pki("suite");
    let rt = runtime();
    rt.block_on(async {
        let (port, server) = serve_tls(pki.server.clone()).await;
        let endpoint = Endpoint::parse(&format!("https://localhost:{port}"))
            .expect("URL")
            .with_trust(Trust {
                ca_cert: Some(pki.ca_pem_file.clone()),
                insecure: false,
            })
            .expect("trust");
        let mut settings = Settings::new(endpoint);
        let found = runner::detect(&settings).await.expect("detected over TLS");
        settings.adopt(&found, Default::default());
        let options = RunOptions {
            jobs: 4,
            selection: Selection {
                filter: Globs::new(&[SUBSET.to_string()]),
                exclude: Globs::new::<&str>(&[]),
            },
            ..RunOptions::default()
        };
        let records = tokio::time::timeout(
            Duration::from_secs(120),
            runner::run(&cases::all(), settings, &options, |_, _, _| {}),
        )
        .await
        .expect("the suite finishes within 120 s over TLS");
        server.abort();

        let want = reference_baseline();
        let mut transports = [false; 3];
        let mut differences = Vec::new();
        for r in &records {
            let tags = cases::all()
                .into_iter()
                .find(|c| c.id == r.id)
                .map(|c| c.tags.join(","))
                .unwrap_or_default();
            transports[0] |= tags.contains("polling");
            transports[1] |= tags.contains("websocket");
            transports[2] |= tags.contains("upgrade");
            let expected = want
                .iter()
                .find(|e| e.id == r.id)
                .map(|e| e.verdict)
                .unwrap_or(Verdict::Pass);
            if r.verdict != expected {
                differences.push(format!(
                    "{}: {} over TLS, {} in results/reference.json ({:?})",
                    r.id,
                    r.verdict.name(),
                    expected.name(),
                    r.failures
                        .first()
                        .map(|f| (&f.step, &f.expected, &f.received))
                ));
            }
        }
        assert_eq!(records.len(), cases::all().len(), "every case ran");
        assert!(
            records
                .iter()
                .filter(|r| r.verdict == Verdict::Pass)
                .count()
                >= 300,
            "most cases pass"
        );
        assert_eq!(
            transports, [true; 3],
            "polling, websocket and upgrade cases ran"
        );
        assert!(differences.is_empty(), "{}", differences.join("\n"));
    });
}

#[test]
fn the_command_line_takes_ca_cert_and_insecure() {
    let pki = pki("cli");
    let rt = runtime();
    rt.block_on(async {
        let (port, server) = serve_tls(pki.server.clone()).await;
        let url = format!("https://127.0.0.1:{port}");
        for trust in [
            vec![
                "--ca-cert".to_string(),
                pki.ca_pem_file.display().to_string(),
            ],
            vec!["--insecure".to_string()],
        ] {
            let mut argv = vec![
                "sio-conformance".to_string(),
                "--url".to_string(),
                url.clone(),
                "--quiet".to_string(),
                "--filter".to_string(),
                "eio.upgrade.*,eio.handshake.websocket.open,eio.message.polling.one-text"
                    .to_string(),
            ];
            argv.extend(trust.clone());
            let code = tokio::time::timeout(Duration::from_secs(60), run(Args::parse_from(argv)))
                .await
                .expect("the run finishes within 60 s");
            assert_eq!(code, 0, "{trust:?}: every selected case passes");
        }
        server.abort();
    });
}

#[test]
fn an_untrusted_certificate_is_a_clear_harness_error_not_a_hang() {
    let pki = pki("untrusted");
    let rt = runtime();
    rt.block_on(async {
        let (port, server) = serve_tls(pki.server.clone()).await;
        // The library: the TLS handshake fails with the reason and the flags that help.
        let endpoint = Endpoint::parse(&format!("https://localhost:{port}")).expect("URL");
        let mut settings = Settings::new(endpoint);
        settings.step = Duration::from_millis(2000);
        let started = std::time::Instant::now();
        let err = runner::detect(&settings)
            .await
            .expect_err("an untrusted certificate cannot be reached")
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(10), "bounded");
        assert!(
            err.contains("TLS handshake failed")
                && err.contains("certificate")
                && err.contains("--ca-cert")
                && err.contains("--insecure"),
            "{err}"
        );
        // The command line: a usage/harness error, exit 2.
        let argv = [
            "sio-conformance",
            "--url",
            &format!("https://localhost:{port}"),
            "--quiet",
            "--filter",
            "eio.handshake.*",
        ];
        let code = tokio::time::timeout(Duration::from_secs(30), run(Args::parse_from(argv)))
            .await
            .expect("no hang");
        assert_eq!(code, 2);
        // A case that runs anyway (capabilities declared) is a harness `error`, not a `fail`.
        let endpoint = Endpoint::parse(&format!("https://localhost:{port}")).expect("URL");
        let settings = Settings::new(endpoint);
        let options = RunOptions {
            jobs: 1,
            selection: Selection {
                filter: Globs::new(&[
                    "eio.handshake.polling.open,eio.handshake.websocket.open".to_string()
                ]),
                exclude: Globs::new::<&str>(&[]),
            },
            ..RunOptions::default()
        };
        let records = tokio::time::timeout(
            Duration::from_secs(30),
            runner::run(&cases::all(), settings, &options, |_, _, _| {}),
        )
        .await
        .expect("no hang");
        assert_eq!(records.len(), 2);
        for r in &records {
            assert_eq!(r.verdict, Verdict::Error, "{}: {:?}", r.id, r.failures);
        }
        server.abort();
    });
}

#[test]
fn the_doctor_checks_an_https_deployment_with_a_private_ca() {
    use sio_conformance::doctor::report::Status;
    use sio_conformance::doctor::{DoctorArgs, diagnose};
    let pki = pki("doctor");
    let rt = runtime();
    rt.block_on(async {
        let (port, server) = serve_tls(pki.server.clone()).await;
        let url = format!("https://127.0.0.1:{port}");
        let ca = pki.ca_pem_file.display().to_string();
        let argv = [
            "doctor",
            "--url",
            &url,
            "--ca-cert",
            &ca,
            "--idle",
            "1",
            "--rounds",
            "3",
        ];
        let report = tokio::time::timeout(
            Duration::from_secs(60),
            diagnose(DoctorArgs::parse_from(argv)),
        )
        .await
        .expect("the doctor finishes within 60 s")
        .expect("the doctor runs");
        assert_eq!(
            report.failed(),
            Vec::<&str>::new(),
            "{}",
            report.render_text()
        );
        let tls = report.check("tls").expect("tls ran");
        assert_eq!(tls.status, Status::Pass, "{}", tls.summary);
        assert!(tls.summary.contains("verified"), "{}", tls.summary);
        // Over wss too: the direct WebSocket and the upgrade went through the same CA.
        for id in ["websocket.direct", "websocket.upgrade"] {
            assert_eq!(
                report.check(id).map(|c| c.status),
                Some(Status::Pass),
                "{id}"
            );
        }
        // Without the CA, nothing can be trusted: unreachable, exit 2.
        let untrusted = diagnose(DoctorArgs::parse_from([
            "doctor", "--url", &url, "--idle", "0",
        ]))
        .await
        .expect("the doctor runs");
        assert_eq!(untrusted.exit_code(), 2, "{}", untrusted.render_text());
        server.abort();
    });
}
