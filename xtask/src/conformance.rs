//! `cargo xtask conformance [--target reference|node | --url URL] [runner flags…]`: run the
//! conformance suite (crate `sio-conformance`) against a contract server.
//!
//! With no `--url` it starts a contract server on an ephemeral port of 127.0.0.1 (the Rust
//! reference server by default, `--target node` for the pinned Node harness; see
//! [`crate::contract`]), runs the suite against it and stops the server. With `--url` it runs
//! against anything. Every other flag goes to the runner unchanged (`--filter`, `--jobs`,
//! `--json`, …; see conformance/README.md); the runner's exit code is returned as is.
//!
//! Judgement: with a started target the run is judged against the committed judgement file
//! `conformance/results/<target>.json` (`--judgement`; exit 3 and each difference with its
//! recorded reason when a verdict is not the recorded one); `--bless` (passed through) writes
//! this run's verdicts into it, keeping the reasons of unchanged verdicts. `--no-judgement` runs
//! without it (exit codes 0/1/2 from the verdicts, as with `--url`).
//!
//! `--url URL --server-cmd CMD` (runner flags) has the runner start the server, wait for the URL,
//! and stop it afterwards (conformance/IMPLEMENTERS.md); the rerun command shown in reports
//! repeats the `--server-cmd`.

use crate::contract::{self, Target};
use crate::workspace;
use anyhow::{Context, Result, bail};
use std::process::ExitCode;

/// Arguments of `cargo xtask conformance`.
#[derive(clap::Args)]
pub struct Args {
    /// Start this contract server on an ephemeral port and test it (default: reference).
    #[arg(long, value_enum, conflicts_with = "url")]
    target: Option<Target>,
    /// Test the server at this URL (`http://host:port[/prefix]`, or `https://…` with `--ca-cert`
    /// or `--insecure` among the runner flags for a private certificate) instead.
    #[arg(long)]
    url: Option<String>,
    /// Build the runner (and the reference server) in release mode.
    #[arg(long)]
    release: bool,
    /// Do not judge the run against the judgement file conformance/results/<target>.json.
    #[arg(long, conflicts_with = "url")]
    no_judgement: bool,
    /// Flags for the runner (`sio-conformance --help`), passed through unchanged.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "RUNNER FLAGS"
    )]
    rest: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    // Build first, so a slow build never races the harness's heartbeat.
    let mut build = contract::cargo(&["build", "--quiet", "-p", "sio-conformance"]);
    if args.release {
        build.arg("--release");
    }
    eprintln!("xtask: running {build:?}");
    if !build.status().context("running cargo build")?.success() {
        bail!("building sio-conformance failed");
    }
    let server_cmd = flag_value(&args.rest, "--server-cmd");
    if server_cmd.is_some() && args.url.is_none() {
        bail!("--server-cmd needs --url (the URL the command's server answers on), not a --target");
    }
    let mut judgement = None;
    let (server, url, rerun) = match args.url {
        Some(url) => (
            None,
            url.clone(),
            match server_cmd {
                Some(command) => format!(
                    "cargo xtask conformance --url {url} --server-cmd '{}'",
                    command.replace('\'', r"'\''")
                ),
                None => format!("cargo xtask conformance --url {url}"),
            },
        ),
        None => {
            let target = args.target.unwrap_or(Target::Reference);
            if !args.no_judgement {
                let path = workspace::root()
                    .join("conformance/results")
                    .join(format!("{}.json", target.name()));
                // A target with no committed results (the third-party ones) runs unjudged,
                // unless this run writes them.
                if path.exists() || args.rest.iter().any(|flag| flag == "--bless") {
                    judgement = Some(path);
                } else {
                    eprintln!("xtask: no {}: the run is not judged", path.display());
                }
            }
            let server = contract::start(target, args.release)?;
            let url = server.url.clone();
            let rerun = format!("cargo xtask conformance --target {}", target.name());
            (Some(server), url, rerun)
        }
    };
    let mut runner = contract::runner(args.release, &["--url", &url, "--rerun-command", &rerun]);
    if let Some(path) = &judgement {
        runner.arg("--judgement").arg(path);
    }
    runner.args(&args.rest);
    eprintln!("xtask: running {runner:?}");
    let status = runner.status().context("running sio-conformance")?;
    drop(server);
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
        None => ExitCode::from(2),
    })
}

/// The value of `--name VALUE` or `--name=VALUE` among the runner flags.
fn flag_value<'a>(flags: &'a [String], name: &str) -> Option<&'a str> {
    flags.iter().enumerate().find_map(|(i, flag)| {
        if flag == name {
            flags.get(i + 1).map(String::as_str)
        } else {
            flag.strip_prefix(name)?.strip_prefix('=')
        }
    })
}

#[cfg(test)]
mod tests {
    use super::flag_value;

    #[test]
    fn finds_a_runner_flag_in_both_spellings() {
        let flags = |s: &[&str]| s.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        let spaced = flags(&["--quiet", "--server-cmd", "node s.mjs"]);
        assert_eq!(flag_value(&spaced, "--server-cmd"), Some("node s.mjs"));
        let joined = flags(&["--server-cmd=node s.mjs"]);
        assert_eq!(flag_value(&joined, "--server-cmd"), Some("node s.mjs"));
        assert_eq!(flag_value(&flags(&["--server-cmd"]), "--server-cmd"), None);
        assert_eq!(
            flag_value(&flags(&["--server-log", "x"]), "--server-cmd"),
            None
        );
    }
}
