//! `cargo xtask conformance (--target node | --url URL) [runner flags…]`: run the conformance
//! suite (crate `sio-conformance`) against a contract server.
//!
//! With `--target node` it installs the pinned npm packages when needed, starts
//! `node harness.mjs --port 0` on 127.0.0.1, reads its `{"listening":…}` line (bounded wait),
//! runs the suite against it and stops the harness. With `--url` it runs against anything.
//! Every other flag goes to the runner unchanged (`--filter`, `--jobs`, `--json`, …; see
//! conformance/README.md); the runner's exit code is returned as is.
//! A new target (e.g. the reference server's contract binary) is one more [`Target`] variant
//! and one more arm in [`start`].

use crate::{node, workspace};
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a harness may take to print its listening line.
const STARTUP_BOUND: Duration = Duration::from_secs(30);

/// A contract server xtask can start.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Target {
    /// The official Node server pinned in fixtures/node (the oracle).
    Node,
}

/// Arguments of `cargo xtask conformance`.
#[derive(clap::Args)]
pub struct Args {
    /// Start this contract server on an ephemeral port and test it.
    #[arg(
        long,
        value_enum,
        conflicts_with = "url",
        required_unless_present = "url"
    )]
    target: Option<Target>,
    /// Test the server at this URL (`http://host:port[/prefix]`).
    #[arg(long)]
    url: Option<String>,
    /// Build the runner in release mode.
    #[arg(long)]
    release: bool,
    /// Flags for the runner (`sio-conformance --help`), passed through unchanged.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "RUNNER FLAGS"
    )]
    rest: Vec<String>,
}

/// A started server, stopped on drop.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only the child we started, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the `{"listening":"http://127.0.0.1:PORT"}` line within [`STARTUP_BOUND`].
fn listening_url(child: &mut Child) -> Result<String> {
    let stdout = child
        .stdout
        .take()
        .context("the harness has no stdout pipe")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
        // Keep draining so the harness never blocks on a full pipe (it prints nothing more).
    });
    let line = rx
        .recv_timeout(STARTUP_BOUND)
        .map_err(|_| anyhow::anyhow!("no listening line within {STARTUP_BOUND:?}"))?;
    let key = "\"listening\":\"";
    let start = line
        .find(key)
        .map(|i| i + key.len())
        .with_context(|| format!("unexpected first line from the harness: {line:?}"))?;
    let end = line[start..]
        .find('"')
        .with_context(|| format!("unexpected first line from the harness: {line:?}"))?;
    Ok(line[start..start + end].to_string())
}

fn start(target: Target) -> Result<Server> {
    match target {
        Target::Node => {
            node::ensure_installed()?;
            let mut command = node::script("harness.mjs", &["--port".into(), "0".into()]);
            command.stdout(Stdio::piped()).stdin(Stdio::null());
            eprintln!(
                "xtask: starting {command:?} in {}",
                workspace::node_dir().display()
            );
            let mut child = command
                .spawn()
                .context("could not start node (is it installed?)")?;
            match listening_url(&mut child) {
                Ok(url) => Ok(Server { child, url }),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    Err(e)
                }
            }
        }
    }
}

fn cargo(args: &[&str], release: bool) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(args).current_dir(workspace::root());
    if release {
        command.arg("--release");
    }
    command
}

pub fn run(args: Args) -> Result<ExitCode> {
    // Build first, so a slow build never races the harness's heartbeat.
    let mut build = cargo(&["build", "--quiet", "-p", "sio-conformance"], args.release);
    eprintln!("xtask: running {build:?}");
    if !build.status().context("running cargo build")?.success() {
        bail!("building sio-conformance failed");
    }
    let (server, url, rerun) = match (args.target, args.url) {
        (Some(target), _) => {
            let server = start(target)?;
            let url = server.url.clone();
            let name = format!("{target:?}").to_lowercase();
            (
                Some(server),
                url,
                format!("cargo xtask conformance --target {name}"),
            )
        }
        (None, Some(url)) => (
            None,
            url.clone(),
            format!("cargo xtask conformance --url {url}"),
        ),
        (None, None) => bail!("give --target node or --url <server>"),
    };
    let mut runner = cargo(&["run", "--quiet", "-p", "sio-conformance"], args.release);
    runner
        .arg("--")
        .args(["--url", &url, "--rerun-command", &rerun])
        .args(&args.rest);
    eprintln!("xtask: running {runner:?}");
    let status = runner.status().context("running sio-conformance")?;
    drop(server);
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        None => ExitCode::from(2),
    })
}
