//! `run` and `all`: fuzz campaigns, one libFuzzer process at a time, and their figures.

use super::*;

/// What one run reported.
pub(super) struct Stats {
    target: String,
    seconds: f64,
    runs: Option<u64>,
    execs_per_sec: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<String>,
    pub(super) crash: Option<String>,
}

/// Fuzzes `target` for `time` seconds, one process (`-jobs=1`, output in fuzz/logs/<target>/).
pub(super) fn fuzz_one(target: &str, time: u64, seeds_only: bool) -> Result<Stats> {
    build(Some(target))?;
    let root = fuzz_dir();
    let seeds = seeds_for(target);
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

pub(super) fn print_table(all: &[Stats]) {
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
