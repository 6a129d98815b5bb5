//! The command line of `sio-conformance` (and of `cargo xtask conformance`, which passes its
//! flags through): select cases, point at a server, run, write reports, exit with a code that
//! keeps verdicts apart.

use crate::case::Case;
use crate::cases;
use crate::config::{Capability, Settings, Tier, TimingOverrides, Timings};
use crate::driver::{Endpoint, Trust};
use crate::filter::{Globs, Selection};
use crate::report::{self, Report};
use crate::runner::{self, RunOptions};
use crate::verdict::{Summary, Verdict, exit, exit_code};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Examples, tiers, verdicts and exit codes, shown after the flags by `--help`.
const AFTER_HELP: &str = "\
Examples:
  sio-conformance --url http://127.0.0.1:3000                  any server: what it offers is detected
  sio-conformance --url http://127.0.0.1:3000 --filter 'sio.connect.*' --junit junit.xml
  sio-conformance --url https://staging.example:443/app --ca-cert ca.pem
  sio-conformance --url http://127.0.0.1:3000 --capability official   skip detection

Tiers (what the target serves; found by behaviour, cases needing more are `unsupported`):
  protocol   any Socket.IO server at /socket.io/, no application code
  official   the official test suites' servers: echo at /engine.io/, auth/message/message-with-ack
  full       the project's contract: rooms, control events, recovery, EIO=3 (fixtures/CONTRACT.md)
Timings (pingInterval, pingTimeout, maxPayload) are those the server announces.

Verdicts: pass, fail (a MUST broke), non-strict (a SHOULD broke), unsupported, error (the harness
could not judge the case), flaky (failed, then passed on --retries).

Exit codes:
  0  no MUST broke (with --strict: no SHOULD either)
  1  at least one case failed
  2  usage error, no case selected, not an Engine.IO server, unreachable, or the server stopped
     answering during the run (one headline; cut-short cases are `error`)
  3  --baseline: the verdicts differ from the committed golden results";

/// Runs the Engine.IO v4 / Socket.IO v5 conformance suite against a server.
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "sio-conformance", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Args {
    /// The server under test: `http://host:port[/prefix]` or `https://…` (the contract paths
    /// live under it; https needs the `tls` feature, on by default).
    #[arg(long, required_unless_present = "list")]
    pub url: Option<String>,
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
    /// The command shown to rerun one case (`--filter '<id>'` is appended).
    #[arg(long, value_name = "CMD")]
    pub rerun_command: Option<String>,
    /// Known failures: a JSON file of `{id, verdict, reason}` entries. A listed case that gets
    /// its listed verdict does not fail the run; an unexpected pass or a stale entry does.
    #[arg(long, value_name = "FILE")]
    pub expectations: Option<PathBuf>,
    /// No progress line and no terminal report (only the summary line).
    #[arg(long)]
    pub quiet: bool,
    /// Fail the run (exit 1) on a broken SHOULD (`non-strict`) too, not only on a broken MUST.
    #[arg(long)]
    pub strict: bool,
    /// Golden results: compare each case's verdict with this committed file (id + verdict);
    /// any difference exits 3 and is printed. Without differences the run exits 0.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: write the results into the baseline (and its `.snap` sibling, when it
    /// exists) instead of comparing.
    #[arg(long, requires = "baseline")]
    pub bless: bool,
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

/// Runs the CLI and returns the process exit code.
pub async fn run(args: Args) -> u8 {
    let cases = cases::all();
    let selection = Selection {
        filter: Globs::new(&args.filter),
        exclude: Globs::new(&args.exclude),
    };
    if args.list {
        print!("{}", list(&cases, &selection));
        return exit::OK;
    }
    let expectations = match &args.expectations {
        None => Vec::new(),
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| crate::expectations::parse(&text))
        {
            Ok(entries) => entries,
            Err(e) => return usage(format!("--expectations {}: {e}", path.display())),
        },
    };
    let url = args.url.clone().unwrap_or_default();
    let endpoint = match Endpoint::parse(&url) {
        Ok(e) if args.ca_cert.is_some() || args.insecure => match e.with_trust(Trust {
            ca_cert: args.ca_cert.clone(),
            insecure: args.insecure,
        }) {
            Ok(e) => e,
            Err(e) => return usage(e.to_string()),
        },
        Ok(e) => e,
        Err(e) => return usage(e.to_string()),
    };
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
        rerun: args
            .rerun_command
            .clone()
            .unwrap_or_else(|| format!("cargo xtask conformance --url {url}{trust_flags}")),
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
    if let Some(path) = &args.baseline {
        let known: Vec<&str> = cases.iter().map(|c| c.id).collect();
        return check_baseline(path, &report.records, &known, args.bless);
    }
    if args.expectations.is_none() {
        return exit_code(&summary, args.strict);
    }
    let known: Vec<&str> = cases.iter().map(|c| c.id).collect();
    let outcome = crate::expectations::check(&expectations, &report.records, &known);
    // Judge the run without the cases that got exactly their listed verdict.
    let unexpected: Vec<_> = report
        .records
        .iter()
        .filter(|r| !outcome.expected.contains(&r.id))
        .cloned()
        .collect();
    let code = exit_code(&Summary::of(&unexpected), args.strict);
    if !outcome.expected.is_empty() {
        println!(
            "{} known failure(s) as expected: {}",
            outcome.expected.len(),
            outcome.expected.join(", ")
        );
    }
    for problem in &outcome.problems {
        println!("expectations: {problem}");
    }
    if code == exit::OK && !outcome.problems.is_empty() {
        exit::FAILURES
    } else {
        code
    }
}

/// `--baseline` / `--bless`: the exit code of a run judged against golden results.
fn check_baseline(
    path: &std::path::Path,
    records: &[crate::verdict::CaseRecord],
    known: &[&str],
    bless: bool,
) -> u8 {
    use crate::baseline;
    let old = match std::fs::read_to_string(path) {
        Ok(text) => match baseline::parse(&text) {
            Ok(entries) => entries,
            Err(e) => return usage(format!("--baseline {}: {e}", path.display())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && bless => Vec::new(),
        Err(e) => return usage(format!("--baseline {}: {e}", path.display())),
    };
    let results = baseline::strip(records);
    let differences = baseline::diff(&old, &results, known);
    if bless {
        let new = baseline::bless(&old, &results, known);
        if let Err(e) = std::fs::write(path, baseline::render(&new)) {
            return usage(format!("cannot write {}: {e}", path.display()));
        }
        let snap = baseline::snap_path(path);
        if snap.exists() {
            if let Err(e) = std::fs::write(&snap, baseline::render_snap(&new)) {
                return usage(format!("cannot write {}: {e}", snap.display()));
            }
        }
        println!(
            "baseline {}: blessed ({} change(s))",
            path.display(),
            differences.len()
        );
        for d in &differences {
            println!("  {d}");
        }
        return exit::OK;
    }
    if differences.is_empty() {
        println!("baseline {}: no differences", path.display());
        return exit::OK;
    }
    println!(
        "baseline {}: {} difference(s) (accept with `cargo insta review` or `--bless`):",
        path.display(),
        differences.len()
    );
    for d in &differences {
        println!("  {d}");
    }
    exit::BASELINE_DIFFERS
}
