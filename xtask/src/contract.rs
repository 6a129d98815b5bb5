//! Starting a server for the suite: the two implementations of the contract (fixtures/CONTRACT.md),
//! the pinned Node harness and the Rust reference server's `sio-contract-server` binary; and the
//! servers that serve only part of it, in the suite's `official` tier (the two official test
//! suites' servers) or `protocol` tier (a stock server, no application code): the same pinned
//! socket.io in `fixtures/node/targets`, socketioxide and python-socketio
//! ([`crate::third_party`]). Every one binds 127.0.0.1 and prints one line,
//! `{"listening":"http://127.0.0.1:PORT"}`, once it accepts connections.
//!
//! Stock targets keep their server's default heartbeat (25 s / 20 s), so a suite run against one
//! takes minutes, not seconds (`node-stock` about 2 min; `node-official` about 10 s).

use crate::{node, third_party, workspace};
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to print its listening line.
const STARTUP_BOUND: Duration = Duration::from_secs(30);

/// A contract server xtask can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// The Rust reference server (`sio-contract-server`, crate sio-contract-server).
    Reference,
    /// The official Node server pinned in fixtures/node (the oracle).
    Node,
    /// The same socket.io with no application code and every default (tier `protocol`).
    NodeStock,
    /// The same socket.io serving only the official test suites' contract (tier `official`).
    NodeOfficial,
    /// socketioxide 0.18.9 serving the official test suites' contract (fixtures/socketioxide).
    Socketioxide,
    /// socketioxide 0.18.9 with every default and an empty handler (`--stock`).
    SocketioxideStock,
    /// python-socketio 5.18.1 serving the official test suites' contract (fixtures/python).
    Python,
    /// python-socketio 5.18.1 with every default and no handler (`--stock`).
    PythonStock,
}

impl Target {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Reference => "reference",
            Target::Node => "node",
            Target::NodeStock => "node-stock",
            Target::NodeOfficial => "node-official",
            Target::Socketioxide => "socketioxide",
            Target::SocketioxideStock => "socketioxide-stock",
            Target::Python => "python",
            Target::PythonStock => "python-stock",
        }
    }
}

/// The command that runs `target` on `port` (0: the OS chooses), after installing or building
/// what it needs.
pub fn command(target: Target, port: u16, release: bool) -> Result<Command> {
    let port = port.to_string();
    match target {
        Target::Node => {
            node::ensure_installed()?;
            // The fault-injection preload does nothing unless SIO_NODE_FAULT names a fault
            // (fixtures/node/FAULTS.md): `SIO_NODE_FAULT=NAME cargo xtask serve --target node`.
            let mut command = Command::new("node");
            command
                .args([
                    "--import",
                    "./faults/preload.mjs",
                    "harness.mjs",
                    "--port",
                    &port,
                ])
                .current_dir(workspace::node_dir());
            Ok(command)
        }
        Target::NodeStock | Target::NodeOfficial => {
            node::ensure_installed()?;
            let script = if target == Target::NodeStock {
                "targets/stock.mjs"
            } else {
                "targets/official.mjs"
            };
            Ok(node::script(script, &["--port".into(), port]))
        }
        Target::Socketioxide => third_party::socketioxide(&port, false),
        Target::SocketioxideStock => third_party::socketioxide(&port, true),
        Target::Python => third_party::python(&port, false),
        Target::PythonStock => third_party::python(&port, true),
        Target::Reference => {
            let mut build = cargo(&[
                "build",
                "--quiet",
                "-p",
                "sio-contract-server",
                "--bin",
                BIN,
            ]);
            if release {
                build.arg("--release");
            }
            eprintln!("xtask: running {build:?}");
            if !build.status().context("running cargo build")?.success() {
                bail!("building {BIN} failed");
            }
            // The binary itself, not `cargo run`: stopping it must stop the server.
            let mut command = Command::new(target_binary(BIN, release));
            command
                .args(["--port", &port])
                .current_dir(workspace::root());
            Ok(command)
        }
    }
}

const BIN: &str = "sio-contract-server";

/// Where cargo puts the binary `name` of this workspace.
pub fn target_binary(name: &str, release: bool) -> PathBuf {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace::root().join("target"));
    target_dir
        .join(if release { "release" } else { "debug" })
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// `cargo <args>` in the workspace root, with the cargo that runs xtask.
pub fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(args).current_dir(workspace::root());
    command
}

/// `cargo run -p sio-conformance --bin sio-conformance [--release] -- <runner_args>`: the
/// conformance runner, built if needed.
pub fn runner(release: bool, runner_args: &[&str]) -> Command {
    let mut command = cargo(&[
        "run",
        "--quiet",
        "-p",
        "sio-conformance",
        "--bin",
        "sio-conformance",
    ]);
    if release {
        command.arg("--release");
    }
    command.arg("--").args(runner_args);
    command
}

/// A contract server started in the background, stopped (by its own handle) on drop.
pub struct Server {
    child: Child,
    /// Its base URL, from the listening line.
    pub url: String,
}

impl Server {
    /// Whether the server has exited (and how), without waiting.
    pub fn try_wait(&mut self) -> std::io::Result<Option<std::process::ExitStatus>> {
        self.child.try_wait()
    }

    /// The server's process id (the harness's or the binary's own: they are exec'd directly).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `target` on an ephemeral port and waits (bounded) for its listening line.
pub fn start(target: Target, release: bool) -> Result<Server> {
    start_with(target, release, |command| command)
}

/// As [`start`], with the command rewritten by `wrap` first (e.g. pinned to a core).
pub fn start_with(
    target: Target,
    release: bool,
    wrap: impl FnOnce(Command) -> Command,
) -> Result<Server> {
    let mut command = wrap(command(target, 0, release)?);
    start_command(target.name(), &mut command)
}

/// Starts a server command (one that prints the listening line) and waits for that line.
pub fn start_command(name: &str, command: &mut Command) -> Result<Server> {
    command.stdout(Stdio::piped()).stdin(Stdio::null());
    eprintln!("xtask: starting {command:?}");
    let mut child = command
        .spawn()
        .with_context(|| format!("could not start the {name} server"))?;
    match listening_url(&mut child) {
        Ok(url) => Ok(Server { child, url }),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

/// Reads the `{"listening":"http://127.0.0.1:PORT"}` line within [`STARTUP_BOUND`].
fn listening_url(child: &mut Child) -> Result<String> {
    let stdout = child
        .stdout
        .take()
        .context("the server has no stdout pipe")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send(line);
        // Keep draining so the server never blocks on a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = rx
        .recv_timeout(STARTUP_BOUND)
        .map_err(|_| anyhow::anyhow!("no listening line within {STARTUP_BOUND:?}"))?;
    let parsed = parse_listening(&line)
        .with_context(|| format!("unexpected first line from the server: {line:?}"))?;
    Ok(parsed)
}

/// The URL of a `{"listening":"…"}` line.
fn parse_listening(line: &str) -> Option<String> {
    let key = "\"listening\":\"";
    let start = line.find(key)? + key.len();
    let end = line[start..].find('"')?;
    Some(line[start..start + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_listening;

    #[test]
    fn reads_the_listening_line() {
        assert_eq!(
            parse_listening("{\"listening\":\"http://127.0.0.1:4242\"}\n").as_deref(),
            Some("http://127.0.0.1:4242")
        );
        assert_eq!(parse_listening("hello\n"), None);
    }
}
