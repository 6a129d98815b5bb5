//! `--server-cmd`: the server under test, started and stopped by the runner itself, so gating a
//! server in CI is one command (conformance/IMPLEMENTERS.md).
//!
//! The command runs through `sh -c` in a process group of its own: whatever it spawns (`npm
//! start` → node, `cargo run` → the binary, `uvicorn --workers 2` → its workers) is in that
//! group, and stopping the group stops all of it, where killing the shell alone would leave the
//! real server listening on the port. Its own group also keeps a Ctrl-C typed at the terminal
//! (sent to the runner's foreground group) from reaching it behind the runner's back: the runner
//! catches the signal and stops the group itself, in order.
//!
//! Its stdout and stderr go to one log file (shown in the report), never to the runner's own
//! output, which is the report. Stopping is SIGTERM to the group, a bounded wait for every member
//! to exit, then SIGKILL to whatever is left.

use crate::driver::Endpoint;
use crate::driver::http::{self, HttpRequest};
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long the group has to exit after SIGTERM before it gets SIGKILL.
pub const TERM_GRACE: Duration = Duration::from_secs(5);
/// How long to wait for the group to be gone after SIGKILL (a process in uninterruptible sleep
/// can outlive it briefly); past it the runner says so rather than hang.
const KILL_GRACE: Duration = Duration::from_secs(2);
/// Between two checks of "does the URL answer" and "is the group gone".
const POLL: Duration = Duration::from_millis(100);

/// Why the server could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The log file could not be created.
    #[error("cannot create the server log {}: {source}", path.display())]
    Log {
        /// The `--server-log` path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `sh` could not be started.
    #[error("cannot start `sh -c {command:?}`: {source}")]
    Spawn {
        /// The `--server-cmd`.
        command: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The command ended before the URL answered (a typo, a port already taken, a crash).
    #[error("the server command exited ({status}) before {url} answered")]
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// The URL waited for.
        url: String,
    },
    /// The URL did not answer in time.
    #[error("{url} did not answer within {} ms of starting the server (--server-timeout); last attempt: {last}", bound.as_millis())]
    Timeout {
        /// The URL waited for.
        url: String,
        /// The `--server-timeout`.
        bound: Duration,
        /// Why the last request got no answer (nothing listening, a TLS certificate refused, …).
        last: String,
    },
}

/// How a stop went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// The command had exited on its own before it was stopped (its status).
    pub exited_early: Option<String>,
    /// SIGTERM was not enough: the group got SIGKILL.
    pub killed: bool,
    /// Members still alive after SIGKILL and its grace (none, normally).
    pub survivors: Vec<u32>,
}

/// The user's server, running in its own process group until [`ServerProcess::stop`] (or drop).
pub struct ServerProcess {
    child: Child,
    /// The group id: the shell's pid, which leads the group it was made to create.
    group: u32,
    log: PathBuf,
    stopped: bool,
}

impl ServerProcess {
    /// Starts `sh -c command` in a new process group, stdin closed, stdout and stderr into `log`
    /// (truncated).
    pub fn start(command: &str, log: &Path) -> Result<ServerProcess, LaunchError> {
        let log_error = |source| LaunchError::Log {
            path: log.to_path_buf(),
            source,
        };
        let out = File::create(log).map_err(log_error)?;
        let err = out.try_clone().map_err(log_error)?;
        let child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|source| LaunchError::Spawn {
                command: command.to_string(),
                source,
            })?;
        let group = child.id();
        Ok(ServerProcess {
            child,
            group,
            log: log.to_path_buf(),
            stopped: false,
        })
    }

    /// The process group id (the shell's pid).
    pub fn group(&self) -> u32 {
        self.group
    }

    /// Where its output goes.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Waits until an HTTP request to the URL's root (under its prefix) gets any response, the
    /// command exits, or `bound` passes. Any status counts: the question is whether the server
    /// listens and speaks HTTP, what it serves is for detection to find out. Returns how long it
    /// took.
    pub async fn wait_until_answering(
        &mut self,
        endpoint: &Endpoint,
        bound: Duration,
    ) -> Result<Duration, LaunchError> {
        let started = Instant::now();
        let request = HttpRequest {
            method: "GET".into(),
            target: endpoint.target("/"),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let mut last = String::from("none made");
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(LaunchError::Exited {
                    status,
                    url: endpoint.to_string(),
                });
            }
            let left = bound.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(LaunchError::Timeout {
                    url: endpoint.to_string(),
                    bound,
                    last,
                });
            }
            let attempt = left.min(Duration::from_secs(1));
            match http::send(endpoint, &request, attempt).await {
                Ok(_) => return Ok(started.elapsed()),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(POLL.min(bound.saturating_sub(started.elapsed()))).await;
        }
    }

    /// Stops the whole group: SIGTERM, up to `grace` for every member to exit, then SIGKILL.
    /// Blocking (at most `grace` + 2 s); idempotent.
    pub fn stop(&mut self, grace: Duration) -> Stopped {
        let exited_early = match self.child.try_wait() {
            Ok(Some(status)) if !self.stopped => Some(status.to_string()),
            _ => None,
        };
        if self.stopped {
            return Stopped {
                exited_early,
                killed: false,
                survivors: Vec::new(),
            };
        }
        self.stopped = true;
        signal_group(self.group, libc::SIGTERM);
        let killed = !self.wait_until_gone(grace);
        if killed {
            signal_group(self.group, libc::SIGKILL);
            self.wait_until_gone(KILL_GRACE);
        }
        let _ = self.child.wait();
        Stopped {
            exited_early,
            killed,
            survivors: live_members(self.group),
        }
    }

    /// Reaps the shell while waiting (a zombie is no running server) and reports whether every
    /// member of the group is gone within `bound`.
    fn wait_until_gone(&mut self, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        loop {
            let _ = self.child.try_wait();
            if live_members(self.group).is_empty() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(POLL);
        }
    }

    /// The last `lines` lines of the log (for a server that would not start or stopped).
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }
}

impl Drop for ServerProcess {
    /// A panic or an early return must not leave the server running either.
    fn drop(&mut self) {
        self.stop(Duration::from_millis(500));
    }
}

/// The last `lines` lines of a file (empty when it cannot be read).
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn signal_group(group: u32, signal: libc::c_int) {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return;
    };
    // SAFETY: kill(2) with a negative pid signals that process group; it touches no memory.
    unsafe {
        libc::kill(-group, signal);
    }
}

/// The members of process group `group` that are still running (zombies left out: an orphan
/// whose reaper is slow is no longer a server). On Linux from /proc; elsewhere the group as a
/// whole, by kill(2) with signal 0.
pub fn live_members(group: u32) -> Vec<u32> {
    #[cfg(target_os = "linux")]
    {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|stat| state_and_group(&stat))
                    .is_some_and(|(state, pgrp)| pgrp == group && state != 'Z')
            })
            .collect()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let Ok(pgid) = libc::pid_t::try_from(group) else {
            return Vec::new();
        };
        // SAFETY: signal 0 only checks that the group exists; it touches no memory.
        let exists = unsafe { libc::kill(-pgid, 0) } == 0;
        if exists { vec![group] } else { Vec::new() }
    }
}

/// The state letter and the process group of a `/proc/PID/stat` line. The command name is in
/// parentheses and may hold spaces and parentheses itself, so fields are counted after the last
/// `)`: state, ppid, pgrp.
fn state_and_group(stat: &str) -> Option<(char, u32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_state_and_group_past_a_command_name_with_parentheses() {
        let stat = "4242 (node (worker) x) S 1 4240 4240 0 -1 4194560 …";
        assert_eq!(state_and_group(stat), Some(('S', 4240)));
        assert_eq!(state_and_group("garbage"), None);
    }

    /// A command that spawns a child which ignores SIGTERM: the whole group is gone after stop,
    /// the grandchild by SIGKILL.
    #[test]
    fn stops_the_whole_group_even_a_child_that_ignores_sigterm() {
        let dir = std::env::temp_dir().join(format!("sio-server-process-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("server.log");
        let mut server = ServerProcess::start(
            "sh -c 'trap \"\" TERM; echo child; sleep 30' & echo started; wait",
            &log,
        )
        .expect("sh starts");
        let deadline = Instant::now() + Duration::from_secs(5);
        while live_members(server.group()).len() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            live_members(server.group()).len() >= 2,
            "the shell and its child run in the group"
        );
        let stopped = server.stop(Duration::from_millis(300));
        assert!(stopped.killed, "the child ignores SIGTERM: {stopped:?}");
        assert!(stopped.survivors.is_empty(), "{stopped:?}");
        assert!(live_members(server.group()).is_empty());
        assert!(
            server.log_tail(5).contains("started"),
            "{}",
            server.log_tail(5)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
