//! `diff`: our decoders against Node's on the same inputs, with the known divergences named.

use super::*;

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
        if !PARSER_TARGETS.contains(&t.as_str()) {
            bail!("{t} has no Node counterpart to compare with; diff takes a parser target");
        }
        let dir = if base.join(&t).is_dir() {
            base.join(&t)
        } else {
            base
        };
        return Ok(vec![(t, dir)]);
    }
    let dirs: Vec<_> = PARSER_TARGETS
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

pub(super) fn run_diff(
    corpus: Option<PathBuf>,
    target: Option<String>,
    show: usize,
) -> Result<ExitCode> {
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
