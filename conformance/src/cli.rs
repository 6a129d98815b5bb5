//! The command line of `sio-conformance` (and of `cargo xtask conformance`, which passes its
//! flags through): select cases, point at a server, run, write reports, exit with a code that
//! keeps verdicts apart.

use crate::case::Case;
use crate::cases;
use crate::config::{Capability, Settings, Tier, TimingOverrides, Timings};
use crate::driver::{Endpoint, Trust};
use crate::filter::{Globs, Selection};
use crate::judgement::{self, Judged, Judgements};
use crate::report::{self, Report, StartedServer};
use crate::runner::{self, RunOptions};
use crate::verdict::{Summary, Verdict, exit, exit_code};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Examples, tiers, verdicts and exit codes, shown after the flags by `--help`.
const AFTER_HELP: &str = "\
Examples:
  sio-conformance --url http://127.0.0.1:3000                  any server: what it offers is detected
  sio-conformance --url http://127.0.0.1:3000 --filter 'sio.connect.*' --junit junit.xml
  sio-conformance --url https://staging.example:443/app --ca-cert ca.pem
  sio-conformance --url http://127.0.0.1:3000 --capability official   skip detection
  sio-conformance --url http://127.0.0.1:3000 --server-cmd 'node server.js' --judgement known.json
                                                start the server, run, stop it; known failures kept

Tiers (what the target serves; found by behaviour, cases needing more are `unsupported`):
  protocol   any Socket.IO server at /socket.io/, no application code
  official   the official test suites' servers: echo at /engine.io/, auth/message/message-with-ack
  full       the project's contract: rooms, control events, recovery, EIO=3 (fixtures/CONTRACT.md)
Timings (pingInterval, pingTimeout, maxPayload) are those the server announces.

Verdicts: pass, fail (a MUST broke), non-strict (a SHOULD broke), unsupported, error (the harness
could not judge the case), flaky (failed, then passed on --retries).

Exit codes:
  0  no MUST broke (with --strict: no SHOULD either); with --judgement: every verdict as recorded
  1  at least one case failed (never with --judgement: a failure not recorded is a difference, 3)
  2  usage error, no case selected, not an Engine.IO server, unreachable, or the server stopped
     answering during the run (one headline; cut-short cases are `error`); with --judgement also
     a case that ended `error` where the file records another verdict
  3  --judgement: some verdict differs from the file (each difference is printed with its
     recorded reason)
  130  --server-cmd: interrupted (SIGINT, SIGTERM, SIGHUP); the server was stopped first";

/// `--version`: the runner's, and the oracle's the embedded transcripts were captured from
/// (build.rs reads them from the transcripts' meta lines).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (oracle: ",
    env!("SIO_ORACLE_VERSIONS"),
    ")"
);

/// Runs the Engine.IO v4 / Socket.IO v5 conformance suite against a server.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "sio-conformance", version = VERSION, about, long_about = None, after_help = AFTER_HELP)]
pub struct Args {
    /// The server under test: `http://host:port[/prefix]` or `https://…` (the contract paths
    /// live under it; https needs the `tls` feature, on by default). Given twice or more, the
    /// URLs are the nodes of one cluster (the first is where the single-server cases run) and
    /// the `cluster.*` cases run too, with clients spread over the nodes (fixtures/CONTRACT.md §7).
    #[arg(long, required_unless_present_any = ["list", "html_from", "catalogue", "matrix"])]
    pub url: Vec<String>,
    /// https: also trust the CA certificate(s) in this PEM file (besides the Mozilla roots).
    #[arg(long, value_name = "PEM FILE")]
    pub ca_cert: Option<PathBuf>,
    /// https: INSECURE, accept any server certificate without checking who issued it or whom
    /// it names (for throwaway test servers only; the report header says so).
    #[arg(long, conflicts_with = "ca_cert")]
    pub insecure: bool,
    /// Run only cases whose id matches a glob (`*`, `?`; repeatable or comma-separated).
    #[arg(long, value_name = "GLOB")]
    pub filter: Vec<String>,
    /// Leave out cases whose id matches a glob (they do not run).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// List the selected cases (id, level, tier, tags, official suite name) and exit.
    #[arg(long)]
    pub list: bool,
    /// Print the behaviour catalogue (every rule the suite checks: id, level, source, what
    /// Node does, the cases that check it) as Markdown and exit.
    #[arg(long)]
    pub catalogue: bool,
    /// Only find out what the target serves (tier, capabilities, announced timings, what is
    /// missing), print it and exit: 0, or 2 when `--require-tier` is not met.
    #[arg(long)]
    pub detect: bool,
    /// Exit 2 before running anything unless the target serves at least this tier
    /// (`protocol`, `official`, `full`): a CI gate that the server still serves what it did.
    #[arg(long, value_name = "TIER")]
    pub require_tier: Option<String>,
    /// Cases run concurrently.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// A quick run: cases that wait for a heartbeat or timeout over 5 s (Node's default 25 s
    /// pings, 45 s connectTimeout) are reported `unsupported` instead of run
    #[arg(long)]
    pub quick: bool,
    /// Extra attempts for a case that does not pass; a later pass makes it `flaky`.
    #[arg(long, default_value_t = 0)]
    pub retries: u32,
    /// Bound on one step (a request, a frame wait), ms.
    #[arg(long, default_value_t = 2000, value_name = "MS")]
    pub step_timeout: u64,
    /// Slack added to timing-based deadlines (ping timeout, connect timeout), ms.
    #[arg(long, default_value_t = 400, value_name = "MS")]
    pub margin: u64,
    /// Bound on a whole case, ms (default: 20 s + 4 × (pingInterval + pingTimeout) +
    /// connectTimeout of the case's server, so Node's 25 s / 20 s heartbeat fits).
    #[arg(long, value_name = "MS")]
    pub case_timeout: Option<u64>,
    /// Override the pingInterval the server announces, ms.
    #[arg(long, value_name = "MS")]
    pub ping_interval: Option<u64>,
    /// Override the pingTimeout the server announces, ms.
    #[arg(long, value_name = "MS")]
    pub ping_timeout: Option<u64>,
    /// Override the maxPayload the server announces, bytes.
    #[arg(long, value_name = "BYTES")]
    pub max_payload: Option<u64>,
    /// The Socket.IO connectTimeout, ms (announced nowhere; default: 1000 where the official
    /// suites' handlers answer, else Node's 45000).
    #[arg(long, value_name = "MS")]
    pub connect_timeout: Option<u64>,
    /// Declare a capability (eio, sio, sio-handlers, contract-timings, recovery, eio3,
    /// contract-extensions, or all), or a tier (protocol, official, full); when none is given
    /// they are detected by behaviour. Declared, nothing is probed: timings are the contract's
    /// unless overridden.
    #[arg(long, value_name = "NAME")]
    pub capability: Vec<String>,
    /// Write the JSON report (index + per-case records with transcripts).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a Markdown report (for a PR comment).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write a static HTML site into this directory: index.html (summary, findings, cases by
    /// area), cases/<id>.html (expected/received, sequence diagram, wire log), results.json.
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
    /// Render the `--html DIR` site from a JSON report written earlier (its results.json, or
    /// `--json FILE`), without contacting any server.
    #[arg(long, value_name = "FILE", requires = "html", conflicts_with = "url")]
    pub html_from: Option<PathBuf>,
    /// Render the implementation matrix of several runs into DIR/index.html and DIR/summary.md,
    /// from DIR/matrix.json (its columns, each naming the `--html` site of a run under DIR),
    /// without contacting any server. `cargo xtask matrix` writes all of it.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["url", "html", "html_from"])]
    pub matrix: Option<PathBuf>,
    /// The command shown to rerun one case (`--filter '<id>'` is appended).
    #[arg(long, value_name = "CMD")]
    pub rerun_command: Option<String>,
    /// No progress line and no terminal report (only the summary line).
    #[arg(long)]
    pub quiet: bool,
    /// Fail the run (exit 1) on a broken SHOULD (`non-strict`) too, not only on a broken MUST.
    #[arg(long)]
    pub strict: bool,
    /// The judgement file: every case's expected verdict, with the reason for each that does not
    /// pass (`conformance/results/<target>.json`; format in conformance/README.md). A verdict as
    /// recorded is expected; any other, a case missing from the file or a stale entry is a
    /// difference: printed with its recorded reason, exit 3.
    #[arg(long, value_name = "FILE")]
    pub judgement: Option<PathBuf>,
    /// With --judgement: write this run's verdicts into the file (exit 0), keeping the reasons
    /// of unchanged verdicts; a new non-pass verdict gets a `TODO: ` placeholder reason.
    #[arg(long, requires = "judgement")]
    pub bless: bool,
    /// Start the server under test with this shell command (`sh -c`, in a process group of its
    /// own) before the run, wait until --url answers, and stop it and everything it spawned
    /// after the run, on Ctrl-C and on SIGTERM. Its output goes to --server-log.
    #[arg(long, value_name = "COMMAND", requires = "url")]
    pub server_cmd: Option<String>,
    /// --server-cmd: how long the URL may take to answer once the command started, ms.
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub server_timeout: u64,
    /// --server-cmd: the file that gets the server's stdout and stderr (named in the reports).
    #[arg(
        long,
        default_value = "sio-conformance-server.log",
        value_name = "FILE"
    )]
    pub server_log: PathBuf,
}

#[cfg(unix)]
mod with_server;
#[cfg(not(unix))]
mod with_server {
    //! `--server-cmd` needs process groups (Unix).
    pub(super) async fn run(_: super::Args, _: String) -> u8 {
        super::usage("--server-cmd needs a Unix system (process groups)".into())
    }
}

/// `command` quoted for a POSIX shell (the rerun command repeats `--server-cmd`).
fn shell_quote(command: &str) -> String {
    format!("'{}'", command.replace('\'', r"'\''"))
}

fn usage(message: String) -> u8 {
    eprintln!("sio-conformance: {message}");
    exit::HARNESS
}

/// `--list`: one line per case.
pub fn list(cases: &[Case], selection: &Selection) -> String {
    let mut out = String::new();
    for c in cases.iter().filter(|c| selection.selects(c.id)) {
        let official = c.official.map_or(String::new(), |o| o.full());
        let tier = c
            .capabilities()
            .iter()
            .map(|c| c.tier())
            .max()
            .unwrap_or(Tier::Protocol);
        out.push_str(&format!(
            "{:<52} {:<6} {:<8} {:<28} {}\n",
            c.id,
            c.level.name(),
            tier.name(),
            c.tags.join(","),
            official
        ));
    }
    out
}

fn capabilities(names: &[String]) -> Result<Vec<Capability>, String> {
    let mut out = Vec::new();
    for n in names.iter().flat_map(|n| n.split(',')).map(str::trim) {
        match n {
            "all" | "full" => out.extend(Capability::ALL),
            "official" => out.extend(Capability::up_to(Tier::Official)),
            "protocol" => out.extend(Capability::up_to(Tier::Protocol)),
            _ => out.push(n.parse()?),
        }
    }
    Ok(out)
}

/// Writes `text` to stdout; a reader that stops early (`| head`) is not an error, so the write
/// is not `print!`, which panics on a closed pipe.
fn print_all(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Node's recorded verdicts, built into the binary so that `--catalogue` gives them anywhere.
const NODE_JUDGEMENTS: &str = include_str!("../results/node.json");

/// `--catalogue`: the behaviour catalogue, with Node's recorded verdict per case.
pub fn catalogue(cases: &[Case]) -> String {
    let node = judgement::parse(NODE_JUDGEMENTS).ok();
    crate::catalogue::document::render(cases, node.as_ref())
}

/// Runs the CLI and returns the process exit code.
pub async fn run(args: Args) -> u8 {
    match args.server_cmd.clone() {
        Some(command) if !args.list && args.html_from.is_none() => {
            with_server::run(args, command).await
        }
        _ => run_suite(args, None).await,
    }
}

/// Runs the suite against `--url` (already started, when `server` says by whom) and returns the
/// exit code.
pub(crate) async fn run_suite(args: Args, server: Option<StartedServer>) -> u8 {
    // The cluster cases need two nodes or more; `--list` shows them whatever the URLs.
    let cluster = args.url.len() > 1;
    let mut cases = cases::all();
    if cluster || args.list {
        cases.extend(cases::cluster::cases());
    }
    let selection = Selection {
        filter: Globs::new(&args.filter),
        exclude: Globs::new(&args.exclude),
    };
    if args.list {
        print_all(&list(&cases, &selection));
        return exit::OK;
    }
    if args.catalogue {
        print_all(&catalogue(&cases));
        return exit::OK;
    }
    if let (Some(from), Some(dir)) = (&args.html_from, &args.html) {
        return html_from(from, dir);
    }
    if let Some(dir) = &args.matrix {
        return match report::html::matrix::write(dir) {
            Ok(columns) => {
                println!(
                    "{}: a matrix of {columns} column(s)",
                    dir.join("index.html").display()
                );
                exit::OK
            }
            Err(e) => usage(format!("--matrix: {e}")),
        };
    }
    // Every registered id, selected or not: a judgement entry outside it is stale.
    let known: Vec<&str> = cases.iter().map(|c| c.id).collect();
    // Read before the run: a file the runner cannot read should not cost a whole run.
    let judgements = match &args.judgement {
        None => None,
        Some(path) => match load_judgements(path, args.bless) {
            Ok(file) => Some((path.as_path(), file)),
            Err(e) => return usage(format!("--judgement {}: {e}", path.display())),
        },
    };
    let url = args.url.join(" ");
    let mut endpoints = Vec::new();
    for node in &args.url {
        match endpoint_of(&args, node) {
            Ok(e) => endpoints.push(e),
            Err(e) => return usage(e),
        }
    }
    let endpoint = endpoints.remove(0);
    // The rerun command must reach the server the same way.
    let trust_flags = match (&args.ca_cert, args.insecure) {
        (Some(path), _) => format!(" --ca-cert {}", path.display()),
        (None, true) => " --insecure".to_string(),
        (None, false) => String::new(),
    };
    // Said where every report starts (and in the JSON/JUnit/Markdown target), so an insecure
    // run cannot pass for a checked one.
    let target = if endpoint.insecure() {
        format!("{url} [INSECURE: TLS certificate not verified]")
    } else {
        url.clone()
    };
    let declared = match capabilities(&args.capability) {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    let overrides = TimingOverrides {
        ping_interval: args.ping_interval,
        ping_timeout: args.ping_timeout,
        max_payload: args.max_payload,
        connect_timeout: args.connect_timeout,
    };
    let mut settings = Settings::new(endpoint);
    settings.nodes = endpoints;
    settings.step = Duration::from_millis(args.step_timeout);
    settings.margin = Duration::from_millis(args.margin);
    settings.case_timeout = args.case_timeout.map(Duration::from_millis);
    let selected = cases.iter().filter(|c| selection.selects(c.id)).count();
    if selected == 0 {
        return usage(format!(
            "no case matches the selection (--filter {:?}, --exclude {:?}); `--list` shows the ids",
            args.filter, args.exclude
        ));
    }
    let required = match args.require_tier.as_deref() {
        None => None,
        Some("protocol") => Some(Tier::Protocol),
        Some("official") => Some(Tier::Official),
        Some("full") => Some(Tier::Full),
        Some(other) => {
            return usage(format!(
                "--require-tier {other:?}: one of protocol, official, full"
            ));
        }
    };
    let mut detection = Vec::new();
    let from = if declared.is_empty() {
        match runner::detect(&settings).await {
            Ok(found) if found.capabilities.is_empty() => {
                return usage(format!(
                    "{url} speaks Engine.IO, but nothing the suite can test answered: {}",
                    found.notes.join("; ")
                ));
            }
            Ok(found) => {
                settings.adopt(&found, overrides);
                detection = found.notes;
            }
            Err(e) => return usage(e.to_string()),
        }
        "detected"
    } else {
        settings.capabilities = declared.into_iter().collect();
        settings.timings = overrides.apply(Timings::CONTRACT);
        "declared"
    };
    let tier = Tier::of(&settings.capabilities);
    if args.detect {
        let t = settings.reported_timings();
        println!(
            "{url}: tier {}; capabilities {from}: {}; pingInterval {} ms, pingTimeout {} ms, \
             maxPayload {}, connectTimeout {} ms",
            tier.map_or("none", Tier::name),
            settings
                .capabilities
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", "),
            t.ping_interval,
            t.ping_timeout,
            t.max_payload,
            t.connect_timeout
        );
        for line in &detection {
            println!("  not offered: {line}");
        }
    }
    if let Some(required) = required {
        if tier.is_none_or(|t| t < required) {
            let missing: Vec<&str> = Capability::up_to(required)
                .into_iter()
                .filter(|c| !settings.capabilities.contains(c))
                .map(|c| c.name())
                .collect();
            return usage(format!(
                "{url} does not serve the {required} tier: missing {}",
                missing.join(", ")
            ));
        }
    }
    if args.detect {
        return exit::OK;
    }
    let options = RunOptions {
        jobs: args.jobs,
        retries: args.retries,
        selection,
        quick: args.quick,
    };
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal() && !args.quiet;
    let mut bad = 0;
    let timings = settings.reported_timings();
    let capability_names = settings
        .capabilities
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let outcome = runner::run_watched(&cases, settings, &options, |done, total, record| {
        if !matches!(record.verdict, Verdict::Pass | Verdict::Unsupported) {
            bad += 1;
        }
        if tty {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "{}",
                report::terminal::progress_line(done, total, record, bad)
            );
            let _ = err.flush();
        }
    })
    .await;
    if tty {
        eprint!("\r{:<100}\r", "");
    }
    let records = outcome.records;
    let summary = Summary::of(&records);
    let judged = judgements
        .as_ref()
        .map(|(path, file)| judgement::judge(file, &records, &known, &path.display().to_string()));
    let report = Report {
        target,
        capabilities: capability_names,
        capabilities_from: from.to_string(),
        tier: tier.map_or("none", Tier::name).to_string(),
        strict: args.strict,
        server_stopped: outcome.server_stopped.clone(),
        findings: outcome.findings,
        detection,
        timings,
        duration_ms: started.elapsed().as_millis() as u64,
        summary: summary.clone(),
        records,
        judgement: judged,
        rerun: args.rerun_command.clone().unwrap_or_else(|| {
            let server_flags = server.as_ref().map_or(String::new(), |s| {
                format!(" --server-cmd {}", shell_quote(&s.command))
            });
            let urls = args.url.join(" --url ");
            format!("cargo xtask conformance --url {urls}{trust_flags}{server_flags}")
        }),
        server,
    };
    if let Some(headline) = &outcome.server_stopped {
        eprintln!("sio-conformance: {headline}");
    }
    if args.quiet {
        println!("{}", summary.line());
    } else {
        print!("{}", report::terminal::render(&report));
    }
    for (path, text) in [
        (
            &args.json,
            args.json.as_ref().map(|_| report::json::render(&report)),
        ),
        (
            &args.junit,
            args.junit.as_ref().map(|_| report::junit::render(&report)),
        ),
        (
            &args.markdown,
            args.markdown
                .as_ref()
                .map(|_| report::markdown::render(&report)),
        ),
    ] {
        if let (Some(path), Some(text)) = (path, text) {
            if let Err(e) = std::fs::write(path, text) {
                return usage(format!("cannot write {}: {e}", path.display()));
            }
        }
    }
    if let Some(dir) = &args.html {
        if let Err(e) = report::html::write(&report, dir) {
            return usage(format!("cannot write the HTML site: {e}"));
        }
    }
    match (&judgements, &report.judgement) {
        (Some((path, file)), Some(judged)) => {
            finish_judged(path, file, judged, &report, &known, args.bless, args.quiet)
        }
        _ => exit_code(&summary, args.strict),
    }
}

/// The endpoint of one `--url` with the trust settings of `--ca-cert` and `--insecure`.
fn endpoint_of(args: &Args, url: &str) -> Result<Endpoint, String> {
    let endpoint = Endpoint::parse(url);
    match endpoint.map_err(|e| e.to_string())? {
        e if args.ca_cert.is_some() || args.insecure => e
            .with_trust(Trust {
                ca_cert: args.ca_cert.clone(),
                insecure: args.insecure,
            })
            .map_err(|e| e.to_string()),
        e => Ok(e),
    }
}

/// `--html-from FILE --html DIR`: the site rendered again from a JSON report, no server.
fn html_from(from: &Path, dir: &Path) -> u8 {
    let json = match std::fs::read_to_string(from) {
        Ok(json) => json,
        Err(e) => return usage(format!("--html-from {}: {e}", from.display())),
    };
    match report::html::write_from_json(&json, dir) {
        Ok(pages) => {
            println!("{}: {pages} page(s) from {}", dir.display(), from.display());
            exit::OK
        }
        Err(e) => usage(format!("--html-from {}: {e}", from.display())),
    }
}

/// Reads a judgement file; with `--bless` a missing one is an empty file named after its stem.
fn load_judgements(path: &Path, bless: bool) -> Result<Judgements, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => judgement::parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && bless => {
            let stem = path
                .file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned());
            Ok(Judgements::empty(&stem))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// `--judgement` (and `--bless`): prints the judgement and returns the run's exit code.
///
/// Every verdict is judged against the file, so `--strict` needs no extra rule here: a
/// `non-strict` recorded as expected is fine, one not recorded is a difference either way.
fn finish_judged(
    path: &Path,
    file: &Judgements,
    judged: &Judged,
    report: &Report,
    known: &[&str],
    bless: bool,
    quiet: bool,
) -> u8 {
    let shown = path.display();
    if bless {
        if let Some(headline) = &report.server_stopped {
            // Its verdicts say nothing about the target: blessing them would record `error`s.
            return usage(format!(
                "not blessing {shown}: the server stopped answering ({headline})"
            ));
        }
        let new = judgement::bless(file, &report.records, known);
        if let Err(e) = std::fs::write(path, judgement::render(&new)) {
            return usage(format!("cannot write {shown}: {e}"));
        }
        println!(
            "judgement {shown}: blessed ({} change(s))",
            judged.differences.len()
        );
        for d in &judged.differences {
            println!("  {d}");
        }
        warn_todos(path, &new.todos());
        return exit::OK;
    }
    // The terminal report already has these lines; a quiet run still owes them.
    if quiet {
        print!("{}", report::terminal::judgement_lines(judged, false));
    }
    warn_todos(
        path,
        &judged.todos.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let cannot_judge = report.server_stopped.is_some()
        || judged
            .differences
            .iter()
            .any(|d| d.got == Some(Verdict::Error));
    if cannot_judge {
        exit::HARNESS
    } else if judged.differences.is_empty() {
        exit::OK
    } else {
        exit::JUDGEMENT_DIFFERS
    }
}

/// Placeholder reasons are accepted (the run is judged as usual) but never silently.
fn warn_todos(path: &Path, todos: &[&str]) {
    if !todos.is_empty() {
        eprintln!(
            "sio-conformance: warning: {} reason(s) in {} still start with `{}`, write them: {}",
            todos.len(),
            path.display(),
            judgement::TODO.trim_end(),
            crate::failure::clip(&todos.join(", "), 400)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    /// The rerun command repeats `--server-cmd` for a POSIX shell, quotes included.
    #[test]
    fn quotes_a_server_command_for_the_shell() {
        assert_eq!(shell_quote("node a.mjs"), "'node a.mjs'");
        assert_eq!(shell_quote("echo 'x' y"), r"'echo '\''x'\'' y'");
    }
}
