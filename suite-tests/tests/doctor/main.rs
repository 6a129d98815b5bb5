//! The deployment doctor behind real proxies: nginx and HAProxy (Debian packages) started on
//! ephemeral ports of 127.0.0.1 in front of two backend nodes, the reference contract server and
//! the Node harness (a second reference server when Node is absent outside CI). Each broken
//! setup gets exactly the diagnosis it deserves (the failed checks, with the official error
//! code), the correct setups get none, and the whole conformance suite passes through the
//! correct setups. Skipped with a message when a proxy is not installed, failed in CI.
//!
//! The contract announces a 300 ms heartbeat, so "a read timeout shorter than the heartbeat" is
//! 200 ms here (nginx `proxy_read_timeout`, HAProxy `timeout tunnel`) and the idle hold 1.5 s:
//! the tests stay fast.

mod proxy;

use clap::Parser;
use proxy::{HaproxyBalance, HaproxySetup, Kind, NginxSetup, Proxy};
use sio_conformance::doctor::report::{Report, Status};
use sio_conformance::doctor::{DoctorArgs, diagnose};
use sio_test_support as support;
use std::time::Duration;

/// Two backend nodes; the Node harness is killed when dropped.
struct Backends {
    urls: Vec<String>,
    _node: Option<support::Harness>,
}

fn backends() -> Backends {
    let reference = support::serve_router(sio_contract_server::router);
    match support::start_node_harness() {
        Some((node, url)) => Backends {
            urls: vec![reference, url],
            _node: Some(node),
        },
        None => Backends {
            urls: vec![
                reference,
                support::serve_router(sio_contract_server::router),
            ],
            _node: None,
        },
    }
}

/// The doctor against `url`, with a short idle hold and fewer rounds (bounded).
async fn doctor(url: &str, extra: &[&str]) -> Report {
    let mut argv = vec![
        "doctor",
        "--url",
        url,
        "--idle",
        "1.5",
        "--rounds",
        "8",
        "--timeout",
        "5000",
    ];
    argv.extend_from_slice(extra);
    let run = diagnose(DoctorArgs::parse_from(argv));
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the doctor ends within 60 s")
        .expect("the doctor runs")
}

/// Asserts the failed checks are exactly `expected`; the message shows the whole report and the
/// proxy's log.
fn assert_diagnosis(report: &Report, proxy: &Proxy, expected: &[&str]) {
    assert_eq!(
        report.failed(),
        expected,
        "\n{}\nproxy log:\n{}",
        report.render_text(),
        proxy.log()
    );
    let expected_exit = if expected.is_empty() { 0 } else { 1 };
    assert_eq!(report.exit_code(), expected_exit);
}

fn code_of(report: &Report, id: &str) -> Option<u8> {
    report.check(id).and_then(|c| c.code).map(|c| c.code)
}

fn nginx(setup: NginxSetup, backends: &Backends) -> Option<Proxy> {
    proxy::available(Kind::Nginx).then(|| {
        proxy::start(Kind::Nginx, |dir, port| {
            proxy::nginx_config(setup, &backends.urls, dir, port)
        })
    })
}

fn haproxy(setup: HaproxySetup, backends: &Backends) -> Option<Proxy> {
    proxy::available(Kind::Haproxy).then(|| {
        proxy::start(Kind::Haproxy, |_, port| {
            proxy::haproxy_config(setup, &backends.urls, port)
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_sticky_by_address_with_upgrades_gets_no_diagnosis() {
    let backends = backends();
    let Some(proxy) = nginx(NginxSetup::correct(), &backends) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &[]);
    for id in [
        "sticky",
        "websocket.upgrade",
        "websocket.direct",
        "payload",
        "idle",
    ] {
        assert_eq!(
            report.check(id).map(|c| c.status),
            Some(Status::Pass),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_sticky_by_cookie_gets_no_diagnosis_when_the_cookie_is_carried() {
    let backends = backends();
    let Some(proxy) = haproxy(HaproxySetup::balanced(HaproxyBalance::Cookie), &backends) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &[]);
    let sticky = report.check("sticky").expect("sticky ran");
    assert!(
        sticky.summary.contains("SERVERID="),
        "the balancer's cookie is carried: {}",
        sticky.summary
    );
    assert_eq!(
        report.check("websocket.upgrade").map(|c| c.status),
        Some(Status::Pass)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_round_robin_is_diagnosed_as_no_affinity_code_1() {
    let backends = backends();
    let setup = NginxSetup {
        sticky: false,
        ..NginxSetup::correct()
    };
    let Some(proxy) = nginx(setup, &backends) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &["sticky"]);
    assert_eq!(code_of(&report, "sticky"), Some(1));
    let fix = report
        .check("sticky")
        .and_then(|c| c.fix.clone())
        .unwrap_or_default();
    assert!(
        fix.contains("ip_hash") && fix.contains("cookie SERVERID"),
        "{fix}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_round_robin_is_diagnosed_as_no_affinity_code_1() {
    let backends = backends();
    let Some(proxy) = haproxy(
        HaproxySetup::balanced(HaproxyBalance::RoundRobin),
        &backends,
    ) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &["sticky"]);
    assert_eq!(code_of(&report, "sticky"), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_without_upgrade_headers_is_diagnosed_as_code_3() {
    let backends = backends();
    let setup = NginxSetup {
        upgrade: false,
        ..NginxSetup::correct()
    };
    let Some(proxy) = nginx(setup, &backends) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &["websocket.upgrade"]);
    assert_eq!(code_of(&report, "websocket.upgrade"), Some(3));
    let fix = report
        .check("websocket.upgrade")
        .and_then(|c| c.fix.clone())
        .unwrap_or_default();
    assert!(
        fix.contains("proxy_set_header Upgrade $http_upgrade"),
        "{fix}"
    );
    // One cause, one finding; the idle hold falls back to polling and survives.
    assert_eq!(
        report.check("websocket.direct").map(|c| c.status),
        Some(Status::Skip)
    );
    assert_eq!(report.check("idle").map(|c| c.status), Some(Status::Pass));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_deleting_the_upgrade_headers_is_diagnosed_as_code_3() {
    let backends = backends();
    let setup = HaproxySetup {
        strip_upgrade: true,
        ..HaproxySetup::balanced(HaproxyBalance::Cookie)
    };
    let Some(proxy) = haproxy(setup, &backends) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &["websocket.upgrade"]);
    assert_eq!(code_of(&report, "websocket.upgrade"), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_read_timeout_below_the_heartbeat_is_diagnosed_as_idle() {
    let backends = backends();
    let setup = NginxSetup {
        read_timeout_ms: Some(200),
        ..NginxSetup::correct()
    };
    let Some(proxy) = nginx(setup, &backends) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &["idle"]);
    let fix = report
        .check("idle")
        .and_then(|c| c.fix.clone())
        .unwrap_or_default();
    assert!(fix.contains("proxy_read_timeout"), "{fix}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_tunnel_timeout_below_the_heartbeat_is_diagnosed_as_idle() {
    let backends = backends();
    let Some(proxy) = haproxy(
        HaproxySetup {
            idle_timeout_ms: Some(200),
            ..HaproxySetup::balanced(HaproxyBalance::Cookie)
        },
        &backends,
    ) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &["idle"]);
    let fix = report
        .check("idle")
        .and_then(|c| c.fix.clone())
        .unwrap_or_default();
    assert!(fix.contains("timeout tunnel"), "{fix}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_stripping_the_path_prefix_is_diagnosed_as_path() {
    let backends = backends();
    let setup = NginxSetup {
        strip_prefix: true,
        ..NginxSetup::correct()
    };
    let Some(proxy) = nginx(setup, &backends) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &["path"]);
    let path = report.check("path").expect("path ran");
    assert!(
        path.summary.contains("/socket.io/socket.io/ answers"),
        "{}",
        path.summary
    );
    assert!(
        path.fix
            .as_deref()
            .unwrap_or("")
            .contains("strips the matched prefix"),
        "{:?}",
        path.fix
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_body_limit_below_max_payload_is_diagnosed_as_payload() {
    let backends = backends();
    let setup = NginxSetup {
        max_body: Some(16 * 1024),
        ..NginxSetup::correct()
    };
    let Some(proxy) = nginx(setup, &backends) else {
        return;
    };
    let report = doctor(&proxy.url, &[]).await;
    assert_diagnosis(&report, &proxy, &["payload"]);
    let payload = report.check("payload").expect("payload ran");
    assert!(
        payload
            .summary
            .contains("refused by something in front of the server"),
        "{}",
        payload.summary
    );
    assert!(
        payload
            .fix
            .as_deref()
            .unwrap_or("")
            .contains("client_max_body_size")
    );
}

/// The whole suite through a proxy, as `sio-conformance --url` runs it: exit 0 (no MUST broke).
async fn suite_passes_through(proxy: &Proxy) {
    let args =
        sio_conformance::cli::Args::parse_from(["sio-conformance", "--url", proxy.url.as_str()]);
    let code = tokio::time::timeout(Duration::from_secs(300), sio_conformance::cli::run(args))
        .await
        .expect("the suite ends within 300 s");
    assert_eq!(
        code,
        0,
        "the suite through the proxy; log:\n{}",
        proxy.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_passes_through_the_correct_nginx() {
    let backends = backends();
    let Some(proxy) = nginx(NginxSetup::correct(), &backends) else {
        return;
    };
    suite_passes_through(&proxy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_passes_through_the_correct_haproxy() {
    let backends = backends();
    let Some(proxy) = haproxy(HaproxySetup::balanced(HaproxyBalance::Source), &backends) else {
        return;
    };
    suite_passes_through(&proxy).await;
}
