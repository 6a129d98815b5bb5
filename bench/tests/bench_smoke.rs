//! The benchmark's load generator (`sio-bench`, behind `cargo xtask bench`) still measures what
//! it says: a small load against the reference server (in this process, whose /proc entry it
//! reads) and against the Node harness completes, counts every ack and delivery, answers
//! every ping and reports each figure. The figures themselves are not checked here: this
//! machine is shared, so speed is the benchmark's business, not a test's.

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

/// Runs `sio-bench` against `url` (its server's CPU and memory read from `pid`), bounded.
fn run_bench(url: &str, pid: u32) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sio-bench"))
        .args(["--url", url, "--pid", &pid.to_string()])
        .args(["--acks", &ACKS.to_string(), "--ack-connections", "3"])
        .args(["--serial-acks", &SERIAL_ACKS.to_string()])
        .args(["--broadcasts", &BROADCASTS.to_string()])
        .args(["--receivers", &RECEIVERS.to_string()])
        .args(["--idle", &IDLE.to_string(), "--idle-secs", "1"])
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
    assert!(status.success(), "sio-bench failed ({status}): {err}");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn number(v: &Value, path: [&str; 2]) -> f64 {
    v[path[0]][path[1]]
        .as_f64()
        .unwrap_or_else(|| panic!("{path:?} missing in {v}"))
}

fn check(report: &Value) {
    assert_eq!(number(report, ["acks", "count"]), ACKS as f64);
    assert_eq!(number(report, ["serial_acks", "count"]), SERIAL_ACKS as f64);
    // Every receiver and the sender itself get each broadcast (the contract's target `all`).
    assert_eq!(
        number(report, ["broadcast", "deliveries"]),
        (BROADCASTS * (RECEIVERS + 1)) as f64
    );
    assert_eq!(number(report, ["idle", "connections"]), IDLE as f64);
    assert_eq!(number(report, ["idle", "dropped"]), 0.0, "{report}");
    // pingInterval 300 ms: each idle connection answers about 3 pings in the 1 s window.
    assert!(
        number(report, ["idle", "pongs"]) >= IDLE as f64,
        "too few pings answered: {report}"
    );
    for path in [
        ["acks", "cpu_ms_per_1000"],
        ["serial_acks", "cpu_ms_per_1000"],
        ["broadcast", "cpu_ms_per_1000"],
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
    check(&run_bench(&url, std::process::id()));
}

#[test]
fn the_load_generator_measures_the_node_harness() {
    let Some((harness, url)) = support::start_node_harness() else {
        return;
    };
    check(&run_bench(&url, harness.pid()));
}
