//! The benchmark's load generator (`sio-bench`, behind `cargo xtask bench`) still measures what
//! it says: a small load against the reference server (in this process, whose /proc entry it
//! reads) and against the Node harness completes, counts every ack and delivery, answers
//! every ping and reports each figure; given only a URL (no pid) it still reports throughput and
//! latency; it refuses a host that is not loopback. The figures themselves are not checked
//! here: this machine is shared, so speed is the benchmark's business, not a test's.

use sio_test_support as support;

use serde_json::Value;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long one small run may take before the test fails instead of hanging.
const RUN_BOUND: Duration = Duration::from_secs(60);
const ACKS: u64 = 300;
const SERIAL_ACKS: u64 = 60;
const BROADCASTS: u64 = 5;
const RECEIVERS: u64 = 4;
const IDLE: u64 = 20;
const SERIAL_CONNECTS: u64 = 10;

/// Runs `sio-bench` against `url` (its server's CPU and memory read from `pid` when given),
/// bounded.
fn run_bench(url: &str, pid: Option<u32>) -> Value {
    let (out, err, status) = run_raw(url, pid, &[]);
    assert!(status.success(), "sio-bench failed ({status}): {err}");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Runs `sio-bench` with the small load and `extra` flags; its stdout, stderr and exit status.
fn run_raw(
    url: &str,
    pid: Option<u32>,
    extra: &[&str],
) -> (String, String, std::process::ExitStatus) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sio-bench"));
    command.args(["--url", url]);
    if let Some(pid) = pid {
        command.args(["--pid", &pid.to_string()]);
    }
    let mut child = command
        .args(["--time-limit-secs", "50"])
        .args(["--acks", &ACKS.to_string(), "--ack-connections", "3"])
        .args(["--serial-acks", &SERIAL_ACKS.to_string()])
        .args(["--broadcasts", &BROADCASTS.to_string()])
        .args(["--receivers", &RECEIVERS.to_string()])
        .args(["--idle", &IDLE.to_string(), "--idle-secs", "1"])
        .args(["--broadcast-windows", "1,4"])
        .args(["--serial-connects", &SERIAL_CONNECTS.to_string()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting sio-bench");
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let read = |mut r: Box<dyn std::io::Read>| {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        };
        let _ = tx.send((read(Box::new(stdout)), read(Box::new(stderr))));
    });
    let Ok((out, err)) = rx.recv_timeout(RUN_BOUND) else {
        let _ = child.kill();
        panic!("sio-bench did not finish within {RUN_BOUND:?}");
    };
    let status = child.wait().expect("sio-bench exit status");
    (out, err, status)
}

fn number(v: &Value, path: [&str; 2]) -> f64 {
    v[path[0]][path[1]]
        .as_f64()
        .unwrap_or_else(|| panic!("{path:?} missing in {v}"))
}

/// The figures every run reports, with or without the server's pid.
fn check_load(report: &Value) {
    assert_eq!(number(report, ["acks", "count"]), ACKS as f64);
    assert_eq!(number(report, ["serial_acks", "count"]), SERIAL_ACKS as f64);
    assert!(number(report, ["acks", "per_second"]) > 0.0, "{report}");
    // One latency per request sent one at a time, percentiles in order.
    let latency = &report["serial_acks"]["latency_ms"];
    assert_eq!(latency["count"], SERIAL_ACKS, "{report}");
    let at = |p: &str| {
        latency[p]
            .as_f64()
            .unwrap_or_else(|| panic!("{p}: {report}"))
    };
    assert!(
        0.0 < at("p50") && at("p50") <= at("p99") && at("p99") <= at("max"),
        "{report}"
    );
    assert_eq!(number(report, ["idle", "connections"]), IDLE as f64);
    assert_eq!(number(report, ["idle", "dropped"]), 0.0, "{report}");
    // pingInterval 300 ms: each idle connection answers about 3 pings in the 1 s window.
    assert!(
        number(report, ["idle", "pongs"]) >= IDLE as f64,
        "too few pings answered: {report}"
    );
    assert_eq!(
        report["idle"]["connect_latency_ms"]["count"], IDLE,
        "{report}"
    );
    assert!(report["generator_saturated"].is_boolean(), "{report}");
}

/// The full tier's broadcasts, for each window asked for.
fn check_fan_out(report: &Value) {
    assert_eq!(report["full_tier"], true, "{report}");
    // Every receiver and the sender itself get each broadcast (the contract's target `all`).
    for phase in ["broadcast_1", "broadcast_4"] {
        assert_eq!(
            number(report, [phase, "deliveries"]),
            (BROADCASTS * (RECEIVERS + 1)) as f64,
            "{report}"
        );
        // One delivery latency per broadcast and receiver (the sender's own copy not timed).
        let latency = &report[phase]["delivery_latency_ms"];
        assert_eq!(latency["count"], BROADCASTS * RECEIVERS, "{report}");
        let (p50, max) = (latency["p50"].as_f64(), latency["max"].as_f64());
        assert!(
            matches!((p50, max), (Some(p50), Some(max)) if 0.0 < p50 && p50 <= max),
            "{report}"
        );
    }
}

/// What only a run given the server's pid reports.
fn check_cost(report: &Value) {
    for path in [
        ["acks", "cpu_ms_per_1000"],
        ["serial_acks", "cpu_ms_per_1000"],
        ["broadcast_1", "cpu_ms_per_1000"],
        ["broadcast_4", "cpu_ms_per_1000"],
        ["idle", "heartbeat_cpu_ms_per_1000_pongs"],
        ["idle", "heartbeat_cpu_share"],
        ["idle", "bytes_per_connection"],
    ] {
        let x = number(report, path);
        assert!(x.is_finite() && x >= 0.0, "{path:?} = {x}");
    }
    // The server's CPU is read: work was done, so some was spent.
    assert!(number(report, ["acks", "cpu_ms"]) > 0.0, "{report}");
}

#[test]
fn the_load_generator_measures_the_reference_server() {
    let url = support::serve_router(sio_contract_server::router);
    let report = run_bench(&url, Some(std::process::id()));
    check_load(&report);
    check_fan_out(&report);
    check_cost(&report);
}

#[test]
fn the_load_generator_measures_the_node_harness() {
    let Some((harness, url)) = support::start_node_harness() else {
        return;
    };
    let report = run_bench(&url, Some(harness.pid()));
    check_load(&report);
    check_fan_out(&report);
    check_cost(&report);
}

/// `cargo xtask bench --url URL` without `--pid`: any server, throughput and latency only.
#[test]
fn given_only_a_url_it_reports_load_and_latency_but_no_cost() {
    let url = support::serve_router(sio_contract_server::router);
    let report = run_bench(&url, None);
    check_load(&report);
    check_fan_out(&report);
    assert!(report["acks"]["cpu_ms"].is_null(), "{report}");
    assert!(report["idle"]["bytes_per_connection"].is_null(), "{report}");
}

#[test]
fn a_host_that_is_not_loopback_is_refused_before_connecting() {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): nothing answers there, and nothing is tried.
    let (out, err, status) = run_raw("http://192.0.2.1:80", None, &[]);
    assert!(!status.success(), "{out}");
    assert!(err.contains("--allow-remote"), "{err}");
}
