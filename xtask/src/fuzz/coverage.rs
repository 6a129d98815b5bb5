//! `coverage`: a coverage summary per target (llvm-cov when available, else libFuzzer's cov/ft).

use super::*;

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

pub(super) fn coverage(targets: &[&str]) -> Result<ExitCode> {
    ensure_cargo_fuzz()?;
    let llvm_cov = llvm_tool("llvm-cov");
    let root = fuzz_dir();
    let mut summary = Vec::new();
    for &target in targets {
        let dirs: Vec<PathBuf> = [root.join("corpus").join(target), seeds_for(target)]
            .into_iter()
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
                    "== {target} (llvm-cov, our sources)\n{}",
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

/// The coverage-instrumented binary `cargo fuzz coverage` built: under fuzz/target, or under
/// the workspace's target directory (where cargo-fuzz puts it when run from the workspace root).
fn coverage_binary(target: &str) -> Result<PathBuf> {
    let bases = [fuzz_dir().join("target"), workspace::root().join("target")];
    for base in &bases {
        let Ok(entries) = std::fs::read_dir(base) else {
            continue;
        };
        for entry in entries {
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
    }
    bail!(
        "no coverage binary for {target} under {} or {}",
        bases[0].display(),
        bases[1].display()
    )
}

/// The header and the rows of our sources (protocol/, reference-server/session/) of an llvm-cov
/// report.
fn protocol_rows(report: &str) -> String {
    report
        .lines()
        .filter(|l| {
            l.starts_with("Filename")
                || l.starts_with("---")
                || l.contains("protocol/src")
                || l.contains("session/src")
                || l.starts_with("TOTAL")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
