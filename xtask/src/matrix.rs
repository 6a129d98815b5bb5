//! `cargo xtask matrix [--out DIR] [--only a,b]`: the implementation matrix. Every pinned
//! implementation is installed or built, started with the richest contract tier it serves, run
//! through the whole suite into a site of its own (`DIR/<column>/`, the runner's `--html`), and
//! stopped; then the runner renders the matrix site over all of them (`sio-conformance --matrix
//! DIR`: `DIR/index.html`, `DIR/summary.md`) and the summary replaces the one in the top
//! README, between its `matrix` marker comments.
//!
//! | column | what runs | tier |
//! |---|---|---|
//! | `reference` | the Rust reference server (`sio-contract-server`, debug build) | full |
//! | `node` | the Node harness on socket.io 4.8.4 (fixtures/node) | full |
//! | `socket.io-4.7.5`, `-4.4.1`, `-4.0.2` | older releases, each pinned in `fixtures/node/matrix/<column>/`, served by `fixtures/node/matrix/official.mjs` | official |
//! | `socketioxide` | socketioxide 0.18.9 (fixtures/socketioxide, release build) | official |
//! | `python` | python-socketio 5.18.1 (fixtures/python, a venv from PyPI) | official (judged as detected) |
//!
//! Columns run one after the other (the timing cases want the cores), each unjudged: the matrix
//! shows what each server does, the judgement files stay the gate of `cargo xtask conformance`.
//! A column that cannot be installed or started is shown with its error; the others still run.
//! With `--only`, the README is left alone (its summary covers every column).

use crate::contract::{self, Server, Target};
use crate::{node, workspace};
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Arguments of `cargo xtask matrix`.
#[derive(clap::Args)]
pub struct Args {
    /// Where the matrix site goes (default: target/matrix).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only these columns (comma-separated names: reference, node, socket.io-4.7.5, …); the
    /// README is then not updated.
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    only: Vec<String>,
}

/// How a column's server is started.
#[derive(Clone, Copy)]
enum Launch {
    /// A contract target xtask already knows.
    Target(Target),
    /// An older socket.io release from `fixtures/node/matrix/<column>/`.
    NodeRelease,
}

/// One implementation of the matrix.
struct Column {
    /// Its directory under the output and its name on the command line.
    id: &'static str,
    /// Its heading in the matrix.
    name: &'static str,
    launch: Launch,
    /// Not ours: every non-pass cell of it must be explained by a finding.
    third_party: bool,
}

const COLUMNS: [Column; 7] = [
    Column {
        id: "reference",
        name: "reference server",
        launch: Launch::Target(Target::Reference),
        third_party: false,
    },
    Column {
        id: "node",
        name: "Node harness",
        launch: Launch::Target(Target::Node),
        third_party: false,
    },
    Column {
        id: "socket.io-4.7.5",
        name: "socket.io 4.7.5",
        launch: Launch::NodeRelease,
        third_party: true,
    },
    Column {
        id: "socket.io-4.4.1",
        name: "socket.io 4.4.1",
        launch: Launch::NodeRelease,
        third_party: true,
    },
    Column {
        id: "socket.io-4.0.2",
        name: "socket.io 4.0.2",
        launch: Launch::NodeRelease,
        third_party: true,
    },
    Column {
        id: "socketioxide",
        name: "socketioxide",
        launch: Launch::Target(Target::Socketioxide),
        third_party: true,
    },
    Column {
        id: "python",
        name: "python-socketio",
        launch: Launch::Target(Target::Python),
        third_party: true,
    },
];

/// The README markers the summary goes between.
const BEGIN: &str = "<!-- matrix:begin (written by `cargo xtask matrix`) -->";
const END: &str = "<!-- matrix:end -->";

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    for name in &args.only {
        if !COLUMNS.iter().any(|c| c.id == name) {
            let names: Vec<&str> = COLUMNS.iter().map(|c| c.id).collect();
            bail!(
                "--only {name}: no such column (one of {})",
                names.join(", ")
            );
        }
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| workspace::root().join("target").join("matrix"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let runner = build_runner()?;
    let mut manifest = Vec::new();
    for column in COLUMNS
        .iter()
        .filter(|c| args.only.is_empty() || args.only.iter().any(|o| o == c.id))
    {
        let column_started = Instant::now();
        eprintln!("xtask: matrix column {}", column.id);
        let outcome = run_column(column, &runner, &out.join(column.id));
        let wall_ms = column_started.elapsed().as_millis() as u64;
        if let Err(e) = &outcome {
            eprintln!("xtask: matrix column {}: {e:#}", column.id);
        }
        manifest.push(json!({
            "id": column.id,
            "name": column.name,
            "versions": versions(column),
            "site": column.id,
            "third_party": column.third_party,
            "error": outcome.err().map(|e| format!("{e:#}")),
            "wall_ms": wall_ms,
        }));
    }
    let date = utc_date(SystemTime::now());
    let manifest = json!({
        "title": "Socket.IO server conformance matrix",
        "generated": date,
        "command": "cargo xtask matrix",
        "columns": manifest,
    });
    let text = serde_json::to_string_pretty(&manifest)? + "\n";
    std::fs::write(out.join("matrix.json"), text).context("writing matrix.json")?;
    let mut render = Command::new(&runner);
    render.arg("--matrix").arg(&out);
    eprintln!("xtask: running {render:?}");
    if !render
        .status()
        .context("running sio-conformance")?
        .success()
    {
        bail!("rendering the matrix failed");
    }
    if args.only.is_empty() {
        let summary = std::fs::read_to_string(out.join("summary.md"))
            .context("reading the matrix summary")?;
        update_readme(&summary)?;
        eprintln!("xtask: README.md: matrix summary updated");
    } else {
        eprintln!("xtask: --only: README.md left as it is");
    }
    eprintln!(
        "xtask: matrix written to {} in {:.0} s",
        out.join("index.html").display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Builds the runner once (debug, as `cargo xtask conformance` does) and returns its binary:
/// each column then runs the binary itself, with no cargo in between.
fn build_runner() -> Result<PathBuf> {
    let mut build = contract::cargo(&["build", "--quiet", "-p", "sio-conformance"]);
    eprintln!("xtask: running {build:?}");
    if !build.status().context("running cargo build")?.success() {
        bail!("building sio-conformance failed");
    }
    Ok(contract::target_binary("sio-conformance", false))
}

/// Starts the column's server, runs the suite into `site`, stops the server.
fn run_column(column: &Column, runner: &Path, site: &Path) -> Result<()> {
    // A site of an earlier run must not lend this one its pages.
    if site.exists() {
        std::fs::remove_dir_all(site).with_context(|| format!("removing {}", site.display()))?;
    }
    std::fs::create_dir_all(site).with_context(|| format!("creating {}", site.display()))?;
    // What the server says on stderr (its tracebacks, its warnings) goes beside its pages: the
    // matrix links it, and the findings are checked against it.
    let log = std::fs::File::create(site.join("server.log")).context("creating server.log")?;
    let server = match column.launch {
        Launch::Target(target) => contract::start_with(target, false, |mut command| {
            command.stderr(log);
            command
        })?,
        Launch::NodeRelease => start_node_release(column.id, log)?,
    };
    let rerun = match column.launch {
        Launch::Target(target) => format!("cargo xtask conformance --target {}", target.name()),
        Launch::NodeRelease => format!(
            "node fixtures/node/matrix/official.mjs --release {} --port 3000 & cargo xtask conformance --url http://127.0.0.1:3000",
            column.id
        ),
    };
    let mut suite = Command::new(runner);
    suite
        .args(["--url", &server.url, "--quiet", "--rerun-command", &rerun])
        .arg("--html")
        .arg(site)
        .stdin(Stdio::null());
    eprintln!("xtask: running {suite:?}");
    let status = suite.status().context("running sio-conformance")?;
    drop(server);
    // 0 and 1 are verdicts; anything else means the run could not judge the server.
    match status.code() {
        Some(0 | 1) => Ok(()),
        _ if site.join("results.json").is_file() => {
            bail!("the run ended with {status}; its site shows how far it got")
        }
        _ => bail!("the run ended with {status} and wrote no site"),
    }
}

/// An older socket.io release: `npm ci` in its directory when its lock changed, then
/// `node matrix/official.mjs --release <column>`.
fn start_node_release(column: &str, log: std::fs::File) -> Result<Server> {
    let dir = workspace::node_dir().join("matrix").join(column);
    node::ensure_installed_in(&dir)?;
    let mut command = node::script(
        "matrix/official.mjs",
        &[
            "--release".into(),
            column.into(),
            "--port".into(),
            "0".into(),
        ],
    );
    command.stderr(log);
    contract::start_command(column, &mut command)
}

/// The versions a column runs, read from its pins.
fn versions(column: &Column) -> String {
    let root = workspace::root();
    let npm = |dir: PathBuf| {
        let lock: Value = std::fs::read_to_string(dir.join("package-lock.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let version = |name: &str| {
            lock["packages"][format!("node_modules/{name}")]["version"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        };
        format!(
            "socket.io {}, engine.io {}, socket.io-parser {}",
            version("socket.io"),
            version("engine.io"),
            version("socket.io-parser")
        )
    };
    match column.launch {
        Launch::NodeRelease => npm(workspace::node_dir().join("matrix").join(column.id)),
        Launch::Target(Target::Node) => npm(workspace::node_dir()),
        Launch::Target(Target::Socketioxide) => {
            let lock = std::fs::read_to_string(root.join("fixtures/socketioxide/Cargo.lock"))
                .unwrap_or_default();
            let crate_version = |name: &str| {
                lock.split("[[package]]")
                    .find(|p| p.contains(&format!("name = \"{name}\"\n")))
                    .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
                    .map_or("?".to_string(), |v| v.trim_matches('"').to_string())
            };
            format!(
                "socketioxide {}, engineioxide {}",
                crate_version("socketioxide"),
                crate_version("engineioxide")
            )
        }
        Launch::Target(Target::Python) => {
            let pins = std::fs::read_to_string(root.join("fixtures/python/requirements.txt"))
                .unwrap_or_default();
            let pin = |name: &str| {
                pins.lines()
                    .find_map(|l| l.trim().strip_prefix(&format!("{name}==")))
                    .map_or("?".to_string(), |v| {
                        v.trim_end_matches(['\\', ' ']).to_string()
                    })
            };
            format!(
                "python-socketio {}, python-engineio {}",
                pin("python-socketio"),
                pin("python-engineio")
            )
        }
        Launch::Target(_) => format!("sio-reference-server {}", git_head()),
    }
}

/// The commit the reference server was built from (`git rev-parse --short HEAD`).
fn git_head() -> String {
    Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(workspace::root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("(no git)".to_string(), |o| {
            format!("at {}", String::from_utf8_lossy(&o.stdout).trim())
        })
}

/// Replaces what is between the README's markers with `summary`.
fn update_readme(summary: &str) -> Result<()> {
    let path = workspace::root().join("README.md");
    let readme = std::fs::read_to_string(&path).context("reading README.md")?;
    let replaced = replace_between_markers(&readme, summary)
        .with_context(|| format!("README.md has no `{BEGIN}` … `{END}` block"))?;
    std::fs::write(&path, replaced).context("writing README.md")
}

/// `text` with the lines between [`BEGIN`] and [`END`] replaced by `body`; `None` without both.
fn replace_between_markers(text: &str, body: &str) -> Option<String> {
    let begin = text.find(BEGIN)? + BEGIN.len();
    let end = begin + text[begin..].find(END)?;
    Some(format!(
        "{}\n{}\n{}",
        &text[..begin],
        body.trim_end(),
        &text[end..]
    ))
}

/// `YYYY-MM-DD` (UTC) of a time: days since the epoch to a civil date, in the proleptic
/// Gregorian calendar (a 400-year era is 146097 days).
fn utc_date(time: SystemTime) -> String {
    let days = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
        / 86_400;
    // Shift the epoch to 0000-03-01, so a leap day ends a year.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc_dates() {
        let at = |secs: u64| utc_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01");
        assert_eq!(at(951_782_400), "2000-02-29");
        assert_eq!(at(951_868_800), "2000-03-01");
        assert_eq!(at(1_709_164_800), "2024-02-29");
        assert_eq!(at(1_735_689_599), "2024-12-31");
    }

    #[test]
    fn the_summary_goes_between_the_markers_only() {
        let readme = format!("# t\n\n{BEGIN}\nold\n{END}\n\nafter\n");
        assert_eq!(
            replace_between_markers(&readme, "new\n").as_deref(),
            Some(format!("# t\n\n{BEGIN}\nnew\n{END}\n\nafter\n").as_str())
        );
        assert_eq!(replace_between_markers("# t\n", "new"), None);
    }

    #[test]
    fn every_node_release_column_is_pinned_in_the_repository() {
        for column in COLUMNS
            .iter()
            .filter(|c| matches!(c.launch, Launch::NodeRelease))
        {
            let dir = workspace::node_dir().join("matrix").join(column.id);
            assert!(dir.join("package-lock.json").is_file(), "{}", column.id);
            let version = column.id.trim_start_matches("socket.io-");
            assert!(
                versions(column).starts_with(&format!("socket.io {version}, ")),
                "{}: {}",
                column.id,
                versions(column)
            );
        }
    }
}
