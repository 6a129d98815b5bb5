//! `cargo xtask fuzz run|all|seed|diff|coverage`: the fuzzing toolkit (fuzz/README.md).
//!
//! - `run <target> [--time S]`, `all [--time S]`: build with `cargo +nightly fuzz` (installing
//!   cargo-fuzz when missing), run one target at a time (`-jobs=1`) over fuzz/corpus/<target>
//!   (working, git-ignored) plus fuzz/seeds/<target> (committed), and print executions per second
//!   and libFuzzer's final `cov`/`ft` per target.
//! - `seed`: seed corpora from the Node transcripts (every frame and polling body, per target),
//!   the socket.io-parser advisory inputs, and the dictionaries fuzz/dict/*.dict; the working
//!   corpora get everything, fuzz/seeds/ a small, diverse selection named by SHA-1.
//! - `diff [--corpus DIR]`: every input through our decoders (`sio_protocol::fuzzing::diff`) and
//!   through Node's (`node fixtures/node/fuzz-diff.mjs`, one long-lived process); lists every
//!   difference, known divergences with their reason; fails on an unknown one.
//! - `coverage [<target>]`: `cargo fuzz coverage` + llvm-cov when the nightly llvm-tools are
//!   installable, else libFuzzer's own `cov`/`ft` over the corpus.
//!
//! The protocol logic (what an input means, our decoding, the comparison) lives in
//! `sio_protocol::fuzzing`; this module runs processes and files.

use crate::{node, workspace};
use anyhow::{Context, Result, bail};
use sio_protocol::fuzzing::diff;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Every fuzz target, in the order `all` runs them.
pub const TARGETS: [&str; 6] = [
    "engine_packet",
    "engine_payload_v4",
    "engine_payload_v3",
    "socketio_packet",
    "binary_reassembly",
    "roundtrip",
];

/// Arguments of `cargo xtask fuzz`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Fuzz one target for a while.
    Run {
        /// One of: engine_packet, engine_payload_v4, engine_payload_v3, socketio_packet,
        /// binary_reassembly, roundtrip.
        target: String,
        /// Seconds to run.
        #[arg(long, default_value_t = 60)]
        time: u64,
        /// Start from the committed seeds only (not the working corpus), writing nothing back.
        #[arg(long)]
        seeds_only: bool,
    },
    /// Fuzz every target in turn.
    All {
        /// Seconds per target.
        #[arg(long, default_value_t = 60)]
        time: u64,
        /// Start from the committed seeds only (not the working corpus), writing nothing back.
        #[arg(long)]
        seeds_only: bool,
    },
    /// Generate the seed corpora and dictionaries from the transcripts and advisory inputs.
    Seed,
    /// Compare our decoders with Node's on every input of the seeds (or of --corpus).
    Diff {
        /// A corpus directory: either with one sub-directory per target, or one target's
        /// directory (then give --target).
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// The target whose interpretation applies to --corpus.
        #[arg(long)]
        target: Option<String>,
        /// Print at most this many undocumented differences in full.
        #[arg(long, default_value_t = 40)]
        show: usize,
    },
    /// Coverage summary per target (llvm-cov when available, else libFuzzer's cov/ft).
    Coverage {
        /// One target (default: all).
        target: Option<String>,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Sub::Run {
            target,
            time,
            seeds_only,
        } => {
            check_target(&target)?;
            let stats = fuzz_one(&target, time, seeds_only)?;
            print_table(std::slice::from_ref(&stats));
            Ok(exit(stats.crash.is_none()))
        }
        Sub::All { time, seeds_only } => {
            let mut all = Vec::new();
            for target in TARGETS {
                all.push(fuzz_one(target, time, seeds_only)?);
            }
            print_table(&all);
            Ok(exit(all.iter().all(|s| s.crash.is_none())))
        }
        Sub::Seed => seed(),
        Sub::Diff {
            corpus,
            target,
            show,
        } => run_diff(corpus, target, show),
        Sub::Coverage { target } => {
            let targets: Vec<&str> = match &target {
                Some(t) => {
                    check_target(t)?;
                    vec![t.as_str()]
                }
                None => TARGETS.to_vec(),
            };
            coverage(&targets)
        }
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check_target(target: &str) -> Result<()> {
    if !TARGETS.contains(&target) {
        bail!(
            "unknown fuzz target {target:?}; targets: {}",
            TARGETS.join(", ")
        );
    }
    Ok(())
}

fn fuzz_dir() -> PathBuf {
    workspace::root().join("fuzz")
}

/// The dictionary a target uses, if any.
fn dict_for(target: &str) -> Option<PathBuf> {
    let name = match target {
        "engine_packet" | "engine_payload_v4" | "engine_payload_v3" => "engine",
        "socketio_packet" | "binary_reassembly" => "socketio",
        _ => return None,
    };
    Some(fuzz_dir().join("dict").join(format!("{name}.dict")))
}

// ---------------------------------------------------------------------------------------------
// run / all

/// Installs cargo-fuzz when `cargo fuzz` is not available.
fn ensure_cargo_fuzz() -> Result<()> {
    let present = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    let status = node::run_logged(
        Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]),
        &workspace::root(),
    )?;
    if !status.success() {
        bail!("`cargo install cargo-fuzz --locked` failed ({status})");
    }
    Ok(())
}

/// Builds the fuzz targets (all of them, or one) with nightly cargo-fuzz: release optimisations,
/// debug assertions and overflow checks on (cargo-fuzz's default).
fn build(target: Option<&str>) -> Result<()> {
    ensure_cargo_fuzz()?;
    let mut command = Command::new("cargo");
    command.args(["+nightly", "fuzz", "build"]);
    command.args(target);
    let status = node::run_logged(&mut command, &workspace::root())?;
    if !status.success() {
        bail!("`cargo +nightly fuzz build` failed ({status})");
    }
    Ok(())
}

/// The built fuzz binary of `target`.
fn binary(target: &str) -> Result<PathBuf> {
    let release = fuzz_dir().join("target");
    for entry in std::fs::read_dir(&release).context("fuzz/target (build first)")? {
        let candidate = entry?.path().join("release").join(target);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("no fuzz binary for {target} under {}", release.display())
}

/// What one run reported.
struct Stats {
    target: String,
    seconds: f64,
    runs: Option<u64>,
    execs_per_sec: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<String>,
    crash: Option<String>,
}

/// Fuzzes `target` for `time` seconds, one process (`-jobs=1`, output in fuzz/logs/<target>/).
fn fuzz_one(target: &str, time: u64, seeds_only: bool) -> Result<Stats> {
    build(Some(target))?;
    let root = fuzz_dir();
    let seeds = root.join("seeds").join(target);
    let artifacts = root.join("artifacts").join(target);
    let logs = root.join("logs").join(target);
    std::fs::create_dir_all(&seeds)?;
    std::fs::create_dir_all(&artifacts)?;
    std::fs::create_dir_all(&logs)?;
    // libFuzzer writes new inputs into the first directory: the working corpus, or a scratch
    // directory when only the committed seeds are to be used.
    let scratch = tempfile::Builder::new().prefix("sio-fuzz-").tempdir()?;
    let corpus = if seeds_only {
        scratch.path().to_path_buf()
    } else {
        let c = root.join("corpus").join(target);
        std::fs::create_dir_all(&c)?;
        c
    };
    let mut command = Command::new(binary(target)?);
    command
        .arg(&corpus)
        .arg(&seeds)
        .arg(format!("-max_total_time={time}"))
        .arg("-jobs=1")
        .arg("-max_len=4096")
        .arg("-timeout=10")
        .arg("-rss_limit_mb=1024")
        .arg("-print_final_stats=1")
        .arg(format!("-artifact_prefix={}/", artifacts.display()));
    if let Some(dict) = dict_for(target).filter(|d| d.is_file()) {
        command.arg(format!("-dict={}", dict.display()));
    }
    let log = logs.join("fuzz-0.log");
    let _ = std::fs::remove_file(&log);
    eprintln!(
        "xtask: fuzzing {target} for {time}s (log: {})",
        log.display()
    );
    let started = Instant::now();
    let status = node::run_logged(command.stdout(Stdio::null()).stderr(Stdio::null()), &logs)?;
    let seconds = started.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut stats = parse_log(target, &text, seconds);
    if !status.success() && stats.crash.is_none() {
        stats.crash = Some(format!(
            "libFuzzer exited with {status}; see {}",
            log.display()
        ));
    }
    if let Some(crash) = &stats.crash {
        eprintln!("xtask: {target}: CRASH: {crash}");
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        for line in tail.into_iter().rev() {
            eprintln!("    {line}");
        }
    }
    Ok(stats)
}

/// Reads libFuzzer's figures out of its log: the last status line (`#N … cov: C ft: F corp: …
/// exec/s: E`), the final stats and any crash artifact.
fn parse_log(target: &str, log: &str, seconds: f64) -> Stats {
    let field = |line: &str, name: &str| -> Option<String> {
        let mut words = line.split_whitespace();
        words.find(|w| *w == name)?;
        words.next().map(str::to_owned)
    };
    let num = |s: Option<String>| s.and_then(|v| v.parse::<u64>().ok());
    let mut stats = Stats {
        target: target.to_owned(),
        seconds,
        runs: None,
        execs_per_sec: None,
        cov: None,
        ft: None,
        corpus: None,
        crash: None,
    };
    for line in log.lines() {
        if line.starts_with('#') && line.contains("cov:") {
            stats.cov = num(field(line, "cov:")).or(stats.cov);
            stats.ft = num(field(line, "ft:")).or(stats.ft);
            stats.corpus = field(line, "corp:").or(stats.corpus.take());
            stats.execs_per_sec = num(field(line, "exec/s:")).or(stats.execs_per_sec);
        }
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            stats.runs = v.trim().parse().ok();
        }
        if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
            stats.execs_per_sec = v.trim().parse().ok();
        }
        if line.contains("Test unit written to") || line.contains("panicked at") {
            let previous = stats.crash.take().unwrap_or_default();
            stats.crash = Some(format!(
                "{previous}{}{}",
                if previous.is_empty() { "" } else { "; " },
                line.trim()
            ));
        }
    }
    stats
}

fn print_table(all: &[Stats]) {
    let show = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
    println!(
        "{:<18} {:>7} {:>12} {:>9} {:>6} {:>7} {:>14}  result",
        "target", "seconds", "runs", "exec/s", "cov", "ft", "corpus"
    );
    for s in all {
        println!(
            "{:<18} {:>7.0} {:>12} {:>9} {:>6} {:>7} {:>14}  {}",
            s.target,
            s.seconds,
            show(s.runs),
            show(s.execs_per_sec),
            show(s.cov),
            show(s.ft),
            s.corpus.clone().unwrap_or_else(|| "-".into()),
            s.crash.as_deref().map_or("ok", |_| "CRASH")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// seed

/// The socket.io-parser advisory inputs and other hostile Socket.IO packets.
const SOCKETIO_ADVISORY: &[&str] = &[
    // Unbounded attachment counts (socket.io-parser < 4.2.3 buffered without limit).
    "51000000-[\"a\",{\"_placeholder\":true,\"num\":0}]",
    "599999999999999999999-[\"a\"]",
    "511-[\"a\"]",
    "510-[\"a\"]",
    "50-[\"a\"]",
    "5-1-[\"a\"]",
    "51.5-[\"a\"]",
    "5 1-[\"a\"]",
    "50x1-[\"a\"]",
    "51e1-[\"a\"]",
    "5Infinity-[\"a\"]",
    "51[\"a\"]",
    "6",
    // Placeholder indexes that are not integers in range (CVE-2023-32695 family).
    "51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":0.5}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":-1}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":1}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":\"toString\"}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":\"__proto__\"}]",
    "51-[\"a\",{\"_placeholder\":true}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":null}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":[0]}]",
    "51-[\"a\",{\"_placeholder\":\"true\",\"num\":0}]",
    "52-[\"a\",{\"x\":{\"_placeholder\":true,\"num\":1}},{\"_placeholder\":true,\"num\":0}]",
    "61-/admin,12[{\"_placeholder\":true,\"num\":0}]",
    // Event names that are not strings, and reserved names.
    "2[]",
    "2[{}]",
    "2[null]",
    "2[[1]]",
    "2[true]",
    "2[1,2]",
    "2[\"connect\"]",
    "2[\"connect_error\"]",
    "2[\"disconnect\"]",
    "2[\"disconnecting\"]",
    "2[\"newListener\"]",
    "2[\"removeListener\"]",
    "2[\"__proto__\"]",
    "2{\"a\":1}",
    "2\"a\"",
    "3{}",
    "0[]",
    "0\"x\"",
    "1{}",
    "4[]",
    "4\"err\"",
    "7",
    "9[\"a\"]",
    "x",
    " ",
    "",
    "2/admin",
    "2/admin,",
    "2/a/b,[\"x\"]",
    "2/,1[\"x\"]",
    "29007199254740993[\"a\"]",
    "2 1[\"a\"]",
    "2\u{3000}[\"a\"]",
    "2[\"a\",1e400]",
    "2[\"a\",\"\\ud800\"]",
    "2[\"a\"",
    "2[\"a\"]x",
    "0/admin?token=x,",
    "0{\"token\":\"abc\"}",
];

/// Hostile and edge Engine.IO frames: malformed upgrades, probes, base64, types.
const ENGINE_ADVISORY: &[&str] = &[
    "2probe",
    "3probe",
    "5",
    "5probe",
    "6",
    "2",
    "3",
    "4",
    "7",
    "b",
    "bAQID",
    "bAQ=ID",
    "b!!AQ!!ID",
    "bAQID\u{2028}BA",
    "bAQŁID",
    "b4AQID",
    "bx",
    "0{\"sid\":\"a\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
    "1",
    "4\u{1e}4",
    "\u{1e}",
    "4a\u{1e}bAQ==\u{1e}2",
    "4hé",
    "4😀",
];

/// v3 payload edge cases (string framing).
const V3_ADVISORY: &[&str] = &[
    "0:",
    "1:4",
    "2:4😀",
    "3:4😀",
    "6:4hello2:4€",
    " 2:4a",
    "0x2:4a",
    "-0:2:4a",
    "1.5:4a",
    "-1:4a",
    "5:4a",
    ":4a",
    "x:4a",
    "2:4a12",
    "10:b4AQIDBA==",
    "6:bxAQID",
    "1e1:4aaaaaaaaa",
    "2:4a1:93:4bc",
    "18:42[\"message\",\"hé\"]",
];

/// v3 XHR2 binary payloads.
fn v3_binary_advisory() -> Vec<Vec<u8>> {
    vec![
        vec![0, 4, 255, b'4', b'h', 0xC3, 0xA9, 1, 4, 255, 4, 1, 2, 3],
        vec![0, 12, 255, b'4'],
        vec![0, 9, 255, b'4'],
        vec![0, 1, 2],
        vec![1, 1, 255, 7],
        vec![1, 0, 255],
        vec![0, 0, 0, 1, 255, b'4'],
        vec![0, 1, 255, 0xff],
        vec![2, 1, 255, 4],
    ]
}

/// Dictionary tokens: (file, tokens).
fn dictionaries() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "engine",
            vec![
                "0",
                "1",
                "2",
                "3",
                "4",
                "5",
                "6",
                "b",
                "probe",
                "2probe",
                "3probe",
                "\\x1e",
                ":",
                "\\x00",
                "\\x01",
                "\\xff",
                "==",
                "=",
                "AQID",
                "{\"sid\":",
                "\"upgrades\":",
                "\"pingInterval\":",
                "\"pingTimeout\":",
                "\"maxPayload\":",
                "[\"websocket\"]",
                "10:",
                "1:",
                "0:",
                "\\xf0\\x9f\\x98\\x80",
                "\\xe2\\x82\\xac",
            ],
        ),
        (
            "socketio",
            vec![
                "0",
                "1",
                "2",
                "3",
                "4",
                "5",
                "6",
                "1-",
                "2-",
                "10-",
                "51000000-",
                "/",
                "/admin,",
                "/nsp,",
                ",",
                "[",
                "]",
                "{",
                "}",
                "\"",
                "\":",
                "\"_placeholder\":true",
                "{\"_placeholder\":true,\"num\":0}",
                "\"num\":",
                "\"num\":0",
                "\"num\":1",
                "\"num\":0.5",
                "\"num\":-1",
                "\"num\":\"0\"",
                "true",
                "false",
                "null",
                "1e400",
                "\\\\ud800",
                "\"connect\"",
                "\"disconnect\"",
                "\"newListener\"",
                "\"removeListener\"",
                "\"connect_error\"",
                "\"disconnecting\"",
                "\"message\"",
                "\"__proto__\"",
                " ",
                "\\xe3\\x80\\x80",
                "9007199254740993",
                "0x1",
                "1e1",
                "?",
            ],
        ),
    ]
}

/// Content-addressed file name: the SHA-1 of the bytes, in hex.
fn seed_name(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

/// The structure of an input, for picking diverse seeds: digits → `0`, letters → `a`, runs
/// collapsed, the first 24 bytes kept.
fn shape(bytes: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    for &b in bytes {
        let class = match b {
            b'0'..=b'9' => b'0',
            b'a'..=b'z' | b'A'..=b'Z' => b'a',
            0x80.. => 0x80,
            other => other,
        };
        if out.last() != Some(&class) {
            out.push(class);
        }
        if out.len() >= 24 {
            break;
        }
    }
    out
}

/// Inputs per target, from the transcripts.
fn transcript_inputs() -> Result<BTreeMap<&'static str, BTreeSet<Vec<u8>>>> {
    let mut out: BTreeMap<&'static str, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let transcripts = sio_fixtures::load_all().context("loading fixtures/transcripts")?;
    // The data of each engine `message` Node decoded as Socket.IO (on Socket.IO paths).
    let mut later = Vec::new();
    for t in &transcripts {
        let payload_target = if t.meta.eio == 3 {
            "engine_payload_v3"
        } else {
            "engine_payload_v4"
        };
        for record in &t.records {
            match record {
                sio_fixtures::Record::WsMessage(m) => {
                    if matches!(m.body, sio_fixtures::Body::Generated(_)) {
                        continue;
                    }
                    if let Ok(bytes) = m.body.bytes() {
                        out.entry("engine_packet").or_default().insert(bytes);
                    }
                    sio_entries(m.oracle.as_ref(), &mut later);
                }
                sio_fixtures::Record::Http(h) => {
                    for (body, side) in
                        [(&h.request.body, "request"), (&h.response.body, "response")]
                    {
                        let Some(body) = body else { continue };
                        if matches!(body, sio_fixtures::Body::Generated(_)) {
                            continue;
                        }
                        let Ok(bytes) = body.bytes() else { continue };
                        if h.oracle_for(side).is_none() || bytes.is_empty() {
                            continue;
                        }
                        if t.meta.eio != 3 {
                            for record in bytes.split(|&b| b == 0x1e) {
                                out.entry("engine_packet")
                                    .or_default()
                                    .insert(record.to_vec());
                            }
                        }
                        out.entry(payload_target).or_default().insert(bytes);
                        sio_entries(h.oracle_for(side), &mut later);
                    }
                }
                _ => {}
            }
        }
    }
    out.entry("socketio_packet").or_default().extend(later);
    Ok(out)
}

/// The Socket.IO packet texts of the engine messages of an oracle annotation.
fn sio_entries(oracle: Option<&Vec<serde_json::Value>>, into: &mut Vec<Vec<u8>>) {
    for entry in oracle.into_iter().flatten() {
        if entry.get("sio").is_some()
            && let Some(text) = entry["eio"]["data"].as_str()
        {
            into.push(text.as_bytes().to_vec());
        }
    }
}

fn seed() -> Result<ExitCode> {
    let root = fuzz_dir();
    let mut inputs = transcript_inputs()?;
    let mut advisory: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
    let strs = |list: &[&str]| {
        list.iter()
            .map(|s| s.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    advisory.insert("socketio_packet", strs(SOCKETIO_ADVISORY));
    advisory.insert("engine_packet", strs(ENGINE_ADVISORY));
    advisory.insert("engine_payload_v4", strs(ENGINE_ADVISORY));
    let mut v3 = strs(V3_ADVISORY);
    v3.extend(v3_binary_advisory());
    advisory.insert("engine_payload_v3", v3);

    // The committed selection per target: the advisory inputs, plus transcript inputs up to CAP
    // (at least MIN_PICKS of them), so fuzz/seeds stays around 200 small files.
    const CAP: usize = 32;
    const MIN_PICKS: usize = 10;
    let mut total_committed = 0;
    for target in TARGETS {
        let all = inputs.remove(target).unwrap_or_default();
        let extra = advisory.remove(target).unwrap_or_default();
        let corpus = root.join("corpus").join(target);
        let seeds = root.join("seeds").join(target);
        std::fs::create_dir_all(&corpus)?;
        std::fs::create_dir_all(&seeds)?;
        for bytes in all.iter().chain(&extra) {
            write_seed(&corpus, bytes)?;
        }
        // The committed selection: the advisory inputs, then the shortest input of each shape.
        let mut chosen: Vec<&Vec<u8>> = extra.iter().collect();
        let mut by_shape: BTreeMap<Vec<u8>, &Vec<u8>> = BTreeMap::new();
        for bytes in &all {
            let entry = by_shape.entry(shape(bytes)).or_insert(bytes);
            if bytes.len() < entry.len() {
                *entry = bytes;
            }
        }
        let mut shaped: Vec<&Vec<u8>> =
            by_shape.into_values().filter(|b| b.len() <= 2048).collect();
        shaped.sort_by_key(|b| (b.len(), (*b).clone()));
        let room = CAP.saturating_sub(chosen.len()).max(MIN_PICKS);
        // Spread the picks over the length range rather than taking only the shortest.
        let step = (shaped.len() as f64 / room as f64).max(1.0);
        let mut i = 0.0;
        while (i as usize) < shaped.len() && chosen.len() < extra.len() + room {
            chosen.push(shaped[i as usize]);
            i += step;
        }
        let mut written = HashSet::new();
        for bytes in chosen {
            if written.insert(seed_name(bytes)) {
                write_seed(&seeds, bytes)?;
            }
        }
        total_committed += written.len();
        eprintln!(
            "xtask: {target}: {} corpus inputs ({} from transcripts), {} committed seeds",
            all.len() + extra.len(),
            all.len(),
            written.len()
        );
    }
    let dict_dir = root.join("dict");
    std::fs::create_dir_all(&dict_dir)?;
    for (name, tokens) in dictionaries() {
        let mut text = format!(
            "# libFuzzer dictionary: tokens of the {name} grammar (generated by `cargo xtask fuzz seed`).\n"
        );
        for (i, token) in tokens.iter().enumerate() {
            text.push_str(&format!("t{i}=\"{}\"\n", token.replace('"', "\\\"")));
        }
        std::fs::write(dict_dir.join(format!("{name}.dict")), text)?;
    }
    eprintln!(
        "xtask: fuzz seed: {total_committed} committed seeds under fuzz/seeds; dictionaries in fuzz/dict"
    );
    Ok(ExitCode::SUCCESS)
}

fn write_seed(dir: &Path, bytes: &[u8]) -> Result<()> {
    let path = dir.join(seed_name(bytes));
    if !path.exists() {
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// diff

/// The long-lived `node fuzz-diff.mjs` process.
struct NodeSide {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl NodeSide {
    fn start() -> Result<NodeSide> {
        node::ensure_installed()?;
        let mut child = node::script("fuzz-diff.mjs", &[])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting node fuzz-diff.mjs (is node installed?)")?;
        let stdin = child.stdin.take().context("node stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("node stdout")?);
        Ok(NodeSide {
            child,
            stdin,
            stdout,
        })
    }

    fn ask(&mut self, case: &diff::Case) -> Result<serde_json::Value> {
        writeln!(self.stdin, "{}", case.request())?;
        self.stdin.flush()?;
        let mut line = String::new();
        if self.stdout.read_line(&mut line)? == 0 {
            bail!("node fuzz-diff.mjs exited");
        }
        serde_json::from_str(&line).with_context(|| format!("reading Node's answer {line:?}"))
    }
}

impl Drop for NodeSide {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The (target, directory) pairs to read.
fn diff_dirs(corpus: Option<PathBuf>, target: Option<String>) -> Result<Vec<(String, PathBuf)>> {
    let base = corpus.unwrap_or_else(|| fuzz_dir().join("seeds"));
    if let Some(t) = target {
        check_target(&t)?;
        let dir = if base.join(&t).is_dir() {
            base.join(&t)
        } else {
            base
        };
        return Ok(vec![(t, dir)]);
    }
    let dirs: Vec<_> = TARGETS
        .iter()
        .map(|t| (t.to_string(), base.join(t)))
        .filter(|(_, d)| d.is_dir())
        .collect();
    if dirs.is_empty() {
        bail!(
            "{} has no target sub-directories; give --target",
            base.display()
        );
    }
    Ok(dirs)
}

fn run_diff(corpus: Option<PathBuf>, target: Option<String>, show: usize) -> Result<ExitCode> {
    let dirs = diff_dirs(corpus, target)?;
    let mut node = NodeSide::start()?;
    let started = Instant::now();
    let mut seen = HashSet::new();
    let (mut same, mut files) = (0usize, 0usize);
    // reason → (count, an example)
    let mut known: BTreeMap<String, (usize, String, String)> = BTreeMap::new();
    let mut differs: Vec<String> = Vec::new();
    let mut crashes: Vec<String> = Vec::new();
    for (target, dir) in &dirs {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        for path in paths {
            files += 1;
            let bytes = std::fs::read(&path)?;
            for case in diff::cases(target, &bytes) {
                if !seen.insert(case.clone()) {
                    continue;
                }
                let answer = node.ask(&case)?;
                let Some(entries) = answer.get("entries").and_then(|e| e.as_array()) else {
                    crashes.push(format!(
                        "{}: {} → {answer}",
                        path.display(),
                        case.describe()
                    ));
                    continue;
                };
                let ours = diff::ours(&case);
                match diff::compare(&ours, entries) {
                    diff::Verdict::Same => same += 1,
                    diff::Verdict::Known { index, reason, node } => {
                        let reason_key = reason.split(": ").next().unwrap_or(&reason).to_owned();
                        let e = known.entry(reason_key).or_insert((0, String::new(), String::new()));
                        e.0 += 1;
                        if e.1.is_empty() || case.describe().len() < e.1.len() {
                            e.1 = case.describe();
                            e.2 = format!("entry {index}: Node {node}; ours: {reason}");
                        }
                    }
                    diff::Verdict::Differs { index, ours, node } => differs.push(format!(
                        "{} ({})\n    input: {}\n    entry {index}: node {node}\n                ours {ours}",
                        path.file_name().unwrap_or_default().to_string_lossy(),
                        target,
                        case.describe()
                    )),
                }
            }
        }
    }
    let cases = seen.len();
    println!(
        "fuzz diff: {files} inputs, {cases} cases in {:.1}s: {same} same, {} known divergences, {} undocumented differences, {} Node-side failures",
        started.elapsed().as_secs_f64(),
        known.values().map(|v| v.0).sum::<usize>(),
        differs.len(),
        crashes.len()
    );
    if !known.is_empty() {
        println!(
            "\nknown divergences (documented on the error variants, node_rejects() == false):"
        );
        for (reason, (count, example, detail)) in &known {
            println!("  {reason}: {count} case(s)\n    e.g. {example}\n    {detail}");
        }
    }
    if !differs.is_empty() {
        println!("\nundocumented differences (bugs on one side):");
        for d in differs.iter().take(show) {
            println!("  {d}");
        }
        if differs.len() > show {
            println!("  … and {} more", differs.len() - show);
        }
    }
    for c in &crashes {
        println!("  node side failed: {c}");
    }
    Ok(exit(differs.is_empty() && crashes.is_empty()))
}

// ---------------------------------------------------------------------------------------------
// coverage

/// The nightly toolchain's llvm-cov, installing the llvm-tools component if needed.
fn llvm_tool(name: &str) -> Option<PathBuf> {
    let find = || -> Option<PathBuf> {
        let out = Command::new("rustc")
            .args(["+nightly", "--print", "sysroot"])
            .output()
            .ok()?;
        let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let lib = sysroot.join("lib").join("rustlib");
        std::fs::read_dir(&lib).ok()?.find_map(|e| {
            let p = e.ok()?.path().join("bin").join(name);
            p.is_file().then_some(p)
        })
    };
    if let Some(p) = find() {
        return Some(p);
    }
    eprintln!("xtask: trying `rustup component add llvm-tools --toolchain nightly`");
    let ok = Command::new("rustup")
        .args(["component", "add", "llvm-tools", "--toolchain", "nightly"])
        .status()
        .is_ok_and(|s| s.success());
    if ok { find() } else { None }
}

fn coverage(targets: &[&str]) -> Result<ExitCode> {
    ensure_cargo_fuzz()?;
    let llvm_cov = llvm_tool("llvm-cov");
    let root = fuzz_dir();
    let mut summary = Vec::new();
    for &target in targets {
        let dirs: Vec<PathBuf> = ["corpus", "seeds"]
            .iter()
            .map(|d| root.join(d).join(target))
            .filter(|d| d.is_dir())
            .collect();
        match &llvm_cov {
            Some(llvm_cov) => {
                let mut command = Command::new("cargo");
                command
                    .args(["+nightly", "fuzz", "coverage", target])
                    .args(&dirs);
                let status = node::run_logged(&mut command, &workspace::root())?;
                if !status.success() {
                    bail!("`cargo fuzz coverage {target}` failed ({status})");
                }
                let profdata = root.join("coverage").join(target).join("coverage.profdata");
                let bin = coverage_binary(target)?;
                let out = Command::new(llvm_cov)
                    .arg("report")
                    .arg(&bin)
                    .arg(format!("-instr-profile={}", profdata.display()))
                    .arg("-ignore-filename-regex=(\\.cargo|rustc|/rustlib/|fuzz_targets)")
                    .output()
                    .context("running llvm-cov report")?;
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                println!(
                    "== {target} (llvm-cov, protocol sources)\n{}",
                    protocol_rows(&text)
                );
                let total = text
                    .lines()
                    .find(|l| l.starts_with("TOTAL"))
                    .unwrap_or("TOTAL -")
                    .to_owned();
                summary.push(format!("{target:<18} {total}"));
            }
            None => {
                build(Some(target))?;
                let mut command = Command::new(binary(target)?);
                command.args(&dirs).arg("-runs=0");
                let out = command.output().context("running the fuzz binary")?;
                let text = String::from_utf8_lossy(&out.stderr).into_owned();
                let inited = text
                    .lines()
                    .find(|l| l.contains("INITED"))
                    .unwrap_or("no INITED line")
                    .to_owned();
                summary.push(format!("{target:<18} libFuzzer (no llvm-tools): {inited}"));
            }
        }
    }
    println!("\ncoverage summary:");
    if llvm_cov.is_some() {
        println!(
            "{:<18} llvm-cov TOTAL: regions, missed, cover, functions, missed, executed, lines, missed, cover, branches, missed, cover",
            "target"
        );
    }
    for line in summary {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The coverage-instrumented binary `cargo fuzz coverage` built.
fn coverage_binary(target: &str) -> Result<PathBuf> {
    let base = fuzz_dir().join("target");
    for entry in std::fs::read_dir(&base)? {
        let triple = entry?.path();
        let candidate = triple
            .join("coverage")
            .join(triple.file_name().unwrap_or_default())
            .join("release")
            .join(target);
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!("no coverage binary for {target} under {}", base.display())
}

/// The header and the protocol/ rows of an llvm-cov report.
fn protocol_rows(report: &str) -> String {
    report
        .lines()
        .filter(|l| {
            l.starts_with("Filename")
                || l.starts_with("---")
                || l.contains("protocol/src")
                || l.starts_with("TOTAL")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
