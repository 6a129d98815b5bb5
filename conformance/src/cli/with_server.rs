//! `--server-cmd`: a run framed by starting the user's server and stopping it
//! ([`crate::server_process`]). Start, wait (bounded by `--server-timeout`) until `--url`
//! answers, run the suite, stop the server's whole process group. A Ctrl-C, SIGTERM or SIGHUP
//! during any of it stops the server too before the runner exits ([`INTERRUPTED`]): CI runners
//! cancel a job with a signal, and a server left behind would hold its port on the next run.

use super::{Args, run_suite, usage};
use crate::driver::Endpoint;
use crate::report::StartedServer;
use crate::server_process::{ServerProcess, TERM_GRACE};
use crate::verdict::exit;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

/// The exit code of a run cut short by a signal (128 + SIGINT, as a shell reports it).
pub const INTERRUPTED: u8 = 130;

/// Lines of the server's log printed when it would not start or stopped answering.
const TAIL_LINES: usize = 20;

/// Starts the server, runs the suite against it, stops it; returns the exit code.
pub(super) async fn run(args: Args, command: String) -> u8 {
    // Checked before anything starts: a usage error should not cost a server start. With the
    // run's trust settings: a server with a certificate of a private CA must count as answering.
    // The first `--url` is the one the command's server answers on (a cluster's other nodes
    // are started by whoever started the cluster).
    let first = args.url.first().map_or("", String::as_str);
    let endpoint = match super::endpoint_of(&args, first) {
        Ok(e) => e,
        Err(e) => return usage(e),
    };
    // The judgement file too: an unreadable one is exit 2 either way, before a server start.
    if let Some(path) = &args.judgement {
        if let Err(e) = super::load_judgements(path, args.bless) {
            return usage(format!("--judgement {}: {e}", path.display()));
        }
    }
    let log = args.server_log.clone();
    let mut server = match ServerProcess::start(&command, &log) {
        Ok(s) => s,
        Err(e) => return usage(e.to_string()),
    };
    eprintln!(
        "sio-conformance: started `{command}` (process group {}), output in {}",
        server.group(),
        log.display()
    );
    let bound = Duration::from_millis(args.server_timeout);
    let code = tokio::select! {
        code = start_then_run(&mut server, &endpoint, bound, args, &command) => code,
        name = interrupted() => {
            eprintln!("sio-conformance: {name}: stopping the server and exiting");
            INTERRUPTED
        }
    };
    let stopped = server.stop(TERM_GRACE);
    if let Some(status) = &stopped.exited_early {
        eprintln!(
            "sio-conformance: the server command had exited on its own ({status}) before the \
             end of the run; its last output ({}):\n{}",
            log.display(),
            server.log_tail(TAIL_LINES)
        );
    } else if code == exit::HARNESS {
        eprintln!(
            "sio-conformance: the server's last output ({}):\n{}",
            log.display(),
            server.log_tail(TAIL_LINES)
        );
    }
    if stopped.killed {
        eprintln!(
            "sio-conformance: the server did not exit within {} s of SIGTERM; its process \
             group got SIGKILL",
            TERM_GRACE.as_secs()
        );
    }
    if !stopped.survivors.is_empty() {
        eprintln!(
            "sio-conformance: process(es) {:?} of the server's group survived SIGKILL",
            stopped.survivors
        );
        return exit::HARNESS;
    }
    code
}

/// Waits for the URL, then runs the suite (its exit code), or exits 2 with why the server did
/// not come up.
async fn start_then_run(
    server: &mut ServerProcess,
    endpoint: &Endpoint,
    bound: Duration,
    args: Args,
    command: &str,
) -> u8 {
    match server.wait_until_answering(endpoint, bound).await {
        Ok(took) => eprintln!(
            "sio-conformance: {endpoint} answered after {} ms",
            took.as_millis()
        ),
        Err(e) => return usage(e.to_string()),
    }
    let started = StartedServer {
        command: command.to_string(),
        log: server.log().display().to_string(),
    };
    run_suite(args, Some(started)).await
}

/// Resolves with the signal's name on the first SIGINT, SIGTERM or SIGHUP. If a handler cannot
/// be installed the run goes on without it (the server is still stopped at the end, and by
/// drop on a panic).
async fn interrupted() -> &'static str {
    let mut handlers = Vec::new();
    for (kind, name) in [
        (SignalKind::interrupt(), "interrupted (SIGINT)"),
        (SignalKind::terminate(), "terminated (SIGTERM)"),
        (SignalKind::hangup(), "hung up (SIGHUP)"),
    ] {
        match signal(kind) {
            Ok(s) => handlers.push((s, name)),
            Err(e) => eprintln!("sio-conformance: cannot watch for {name}: {e}"),
        }
    }
    if handlers.is_empty() {
        return std::future::pending().await;
    }
    let waits = handlers.iter_mut().map(|(s, name)| {
        Box::pin(async move {
            s.recv().await;
            *name
        })
    });
    futures_util::future::select_all(waits).await.0
}
