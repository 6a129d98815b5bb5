//! `--server-cmd`: the runner binary starts the server under test, waits for it, and leaves
//! nothing running afterwards, whether the run ends, is interrupted (SIGINT, as Ctrl-C sends it,
//! and SIGTERM, as a CI runner cancelling a job sends it) or the server never answers. The
//! check is the server's process group: no live member once the runner has exited.
//! Unix only (process groups); the Node cases skip, with a message, when `node` is missing.

#![cfg(unix)]

use sio_test_support as support;

use sio_conformance::server_process::live_members;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sio-conformance");

/// A free port of 127.0.0.1 (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// The runner, started with `args` in `dir`, its stderr lines sent to the returned channel.
fn spawn_runner(dir: &Path, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner starts");
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// Reads stderr lines until one contains `needle` (bounded); returns every line read.
fn until_line(rx: &mpsc::Receiver<String>, needle: &str, bound: Duration) -> Vec<String> {
    let deadline = Instant::now() + bound;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => break,
        }
    }
    panic!("no stderr line with {needle:?} within {bound:?}; read: {seen:#?}");
}

/// The process group the runner announced (`… (process group N) …`).
fn group_of(lines: &[String]) -> u32 {
    lines
        .iter()
        .find_map(|l| {
            let rest = &l[l.find("process group ")? + "process group ".len()..];
            rest.split(')').next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no process group announced: {lines:#?}"))
}

/// Waits (bounded) for the runner to exit and returns its code.
fn exit_code(child: &mut Child, bound: Duration) -> i32 {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code().expect("an exit code, not a signal");
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("the runner did not exit within {bound:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sio-server-cmd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The Node harness on `port`, with a `sleep` beside it in the group: the server the command
/// starts is not the shell, and not alone.
fn harness_command(port: u16) -> String {
    format!(
        "sleep 300 & cd '{}' && exec node harness.mjs --port {port}",
        support::node_dir().display()
    )
}

/// Whether `node` can run the harness (in CI it must: the check cannot pass by not running).
fn node_available() -> bool {
    if Command::new("node").arg("--version").output().is_ok() {
        return true;
    }
    assert!(std::env::var_os("CI").is_none(), "CI must have `node`");
    eprintln!("SKIPPED: `node` is not on the PATH");
    false
}

/// Interrupted mid-run by `signal`: exit 130 at once, the server's whole group gone.
fn interrupted_mid_run_leaves_nothing(signal: libc::c_int, name: &str) {
    if !node_available() {
        return;
    }
    let dir = temp_dir(name);
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let command = harness_command(port);
    let (mut child, rx) = spawn_runner(&dir, &["--url", &url, "--server-cmd", &command, "--quiet"]);
    let lines = until_line(&rx, "answered after", Duration::from_secs(30));
    let group = group_of(&lines);
    assert!(
        live_members(group).len() >= 2,
        "node and sleep run in group {group}"
    );
    // Let the suite get going: cases are in flight when the signal comes.
    std::thread::sleep(Duration::from_millis(1500));
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: kill(2) on the runner's own pid; it touches no memory.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let code = exit_code(&mut child, Duration::from_secs(10));
    assert_eq!(code, 130, "interrupted");
    assert_eq!(live_members(group), Vec::<u32>::new(), "left running");
    let log = std::fs::read_to_string(dir.join("sio-conformance-server.log")).expect("the log");
    assert!(
        log.contains("listening"),
        "the server's output is kept: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_mid_run_stops_the_server_and_all_it_spawned() {
    interrupted_mid_run_leaves_nothing(libc::SIGINT, "sigint");
}

#[test]
fn sigterm_mid_run_stops_the_server_and_all_it_spawned() {
    interrupted_mid_run_leaves_nothing(libc::SIGTERM, "sigterm");
}

/// A server that never answers: exit 2 once --server-timeout passes, nothing left running, and
/// the server's output shown.
#[test]
fn a_server_that_never_answers_times_out_and_is_stopped() {
    let dir = temp_dir("timeout");
    let url = format!("http://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let (mut child, rx) = spawn_runner(
        &dir,
        &[
            "--url",
            &url,
            "--server-cmd",
            "echo warming up; sleep 300",
            "--server-timeout",
            "1000",
            "--server-log",
            "server.txt",
        ],
    );
    let code = exit_code(&mut child, Duration::from_secs(15));
    let lines: Vec<String> = rx.try_iter().collect();
    assert_eq!(code, 2, "{lines:#?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let all = lines.join("\n");
    assert!(all.contains("did not answer within 1000 ms"), "{all}");
    assert!(all.contains("last attempt: connect failed"), "{all}");
    assert!(all.contains("warming up"), "the log's tail is shown: {all}");
    assert_eq!(live_members(group_of(&lines)), Vec::<u32>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A command that fails at once is reported as such, without waiting out the timeout.
#[test]
fn a_command_that_exits_is_reported_at_once() {
    let dir = temp_dir("exits");
    let url = format!("http://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let (mut child, rx) = spawn_runner(
        &dir,
        &[
            "--url",
            &url,
            "--server-cmd",
            "echo no such server >&2; exit 7",
        ],
    );
    let code = exit_code(&mut child, Duration::from_secs(15));
    let all = rx.try_iter().collect::<Vec<_>>().join("\n");
    assert_eq!(code, 2, "{all}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(all.contains("exited (exit status: 7) before"), "{all}");
    assert!(all.contains("no such server"), "{all}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A judgement file the runner cannot read is exit 2 before the server is started at all.
#[test]
fn an_unreadable_judgement_file_stops_the_run_before_the_server_starts() {
    let dir = temp_dir("judgement");
    let url = format!("http://127.0.0.1:{}", free_port());
    let (mut child, rx) = spawn_runner(
        &dir,
        &[
            "--url",
            &url,
            "--server-cmd",
            "touch started; sleep 300",
            "--judgement",
            "no-such-file.json",
        ],
    );
    let code = exit_code(&mut child, Duration::from_secs(15));
    let all = rx.try_iter().collect::<Vec<_>>().join("\n");
    assert_eq!(code, 2, "{all}");
    assert!(all.contains("--judgement no-such-file.json"), "{all}");
    assert!(!dir.join("started").exists(), "the server was started");
    let _ = std::fs::remove_dir_all(&dir);
}
