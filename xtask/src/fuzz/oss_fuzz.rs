//! `oss-fuzz-check`: the ClusterFuzzLite / OSS-Fuzz build (.clusterfuzzlite/build.sh) run here
//! without Docker, as the Rust base builder runs it, then every artefact it must leave in `$OUT`
//! checked and every fuzzer run once over its seed corpus.
//!
//! ```text
//! $SRC/sio-conformance  → the checkout (a symbolic link; the image copies it)
//! $SRC/build.sh         → .clusterfuzzlite/build.sh, unchanged
//! $OUT/<target>                    an executable libFuzzer binary, for every `cargo fuzz list` entry
//! $OUT/<target>_seed_corpus.zip    exactly the files of fuzz/seeds/<parser>/
//! $OUT/<target>.dict               fuzz/dict/<name>.dict for the targets that have a dictionary
//! ```
//!
//! The builder's environment is reproduced: nightly cargo, `SANITIZER=address`,
//! `FUZZING_ENGINE=libfuzzer`, `FUZZING_LANGUAGE=rust` and the `RUSTFLAGS` its `compile` script
//! exports ([`BUILDER_RUSTFLAGS`]). Local builds (`run`, `all`, `build`) use the same flags and
//! the same cargo-fuzz options as build.sh, so in CI the smoke run's build is reused here and
//! nothing compiles twice.

use super::*;

/// What the OSS-Fuzz builder's `compile` script exports as `RUSTFLAGS` for an AddressSanitizer
/// build (cargo-fuzz adds its own instrumentation flags after these).
pub(super) const BUILDER_RUSTFLAGS: &str =
    "--cfg fuzzing -Zsanitizer=address -Cdebuginfo=1 -Cforce-frame-pointers";

/// The directory name the Dockerfile copies the repository to under `$SRC`.
const PROJECT_DIR: &str = "sio-conformance";

/// Runs build.sh as the builder would, then checks `$OUT` and runs every fuzzer once (`-runs=0`)
/// over its unpacked seed corpus with its dictionary.
pub(super) fn oss_fuzz_check() -> Result<ExitCode> {
    ensure_cargo_fuzz()?;
    let root = workspace::root();
    let scratch = tempfile::Builder::new().prefix("sio-oss-fuzz-").tempdir()?;
    let (src, out, work) = (
        scratch.path().join("src"),
        scratch.path().join("out"),
        scratch.path().join("work"),
    );
    for dir in [&src, &out, &work] {
        std::fs::create_dir_all(dir)?;
    }
    std::os::unix::fs::symlink(&root, src.join(PROJECT_DIR))?;
    let build_script = src.join("build.sh");
    std::fs::copy(root.join(".clusterfuzzlite/build.sh"), &build_script)?;

    let started = Instant::now();
    let mut command = Command::new("bash");
    command
        .arg("-eux")
        .arg(&build_script)
        .env("SRC", &src)
        .env("OUT", &out)
        .env("WORK", &work)
        .env("SANITIZER", "address")
        .env("FUZZING_ENGINE", "libfuzzer")
        .env("FUZZING_LANGUAGE", "rust")
        .env("ARCHITECTURE", "x86_64")
        .env("RUSTUP_TOOLCHAIN", "nightly")
        .env("RUSTFLAGS", BUILDER_RUSTFLAGS)
        .env_remove("CARGO_TARGET_DIR");
    let status = node::run_logged(&mut command, &src.join(PROJECT_DIR))?;
    if !status.success() {
        bail!("build.sh failed ({status})");
    }
    let built = started.elapsed();

    let listed = cargo_fuzz_list()?;
    let expected: BTreeSet<&str> = TARGETS.iter().copied().collect();
    let listed_set: BTreeSet<&str> = listed.iter().map(String::as_str).collect();
    if listed_set != expected {
        bail!(
            "`cargo fuzz list` gives {listed_set:?}, xtask knows {expected:?}: keep them in step"
        );
    }

    let mut failures = Vec::new();
    for target in TARGETS {
        if let Err(error) = check_target_output(target, &out, &work) {
            failures.push(format!("{target}: {error:#}"));
        }
    }
    eprintln!(
        "xtask: oss-fuzz-check: build.sh {:.0} s, artefacts and seed runs {:.0} s, {} targets",
        built.as_secs_f64(),
        (started.elapsed() - built).as_secs_f64(),
        TARGETS.len()
    );
    if failures.is_empty() {
        println!("oss-fuzz-check: ok ({} targets)", TARGETS.len());
        Ok(ExitCode::SUCCESS)
    } else {
        for failure in &failures {
            eprintln!("xtask: oss-fuzz-check: {failure}");
        }
        Ok(ExitCode::FAILURE)
    }
}

/// The targets `cargo fuzz list` names (what build.sh iterates over).
fn cargo_fuzz_list() -> Result<Vec<String>> {
    let output = Command::new("cargo")
        .args(["+nightly", "fuzz", "list"])
        .current_dir(workspace::root())
        .output()
        .context("running `cargo +nightly fuzz list`")?;
    if !output.status.success() {
        bail!("`cargo +nightly fuzz list` failed ({})", output.status);
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect())
}

/// One target's artefacts: the binary, the seed corpus (the same file names as the committed
/// seeds), the dictionary (byte for byte, or none); then one libFuzzer pass over the unpacked
/// corpus, which must execute every input and exit cleanly.
fn check_target_output(target: &str, out: &Path, work: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let binary = out.join(target);
    let mode = std::fs::metadata(&binary)
        .with_context(|| format!("{} missing", binary.display()))?
        .permissions()
        .mode();
    if mode & 0o111 == 0 {
        bail!("{} is not executable", binary.display());
    }

    let zip = out.join(format!("{target}_seed_corpus.zip"));
    let unpacked = work.join("seeds").join(target);
    std::fs::create_dir_all(&unpacked)?;
    let status = Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&unpacked)
        .status()
        .context("running unzip (install it: apt-get install unzip)")?;
    if !status.success() {
        bail!("{} does not unpack ({status})", zip.display());
    }
    let names = |dir: &Path| -> Result<BTreeSet<String>> {
        std::fs::read_dir(dir)?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect()
    };
    let seeds = seeds_for(target);
    let (zipped, committed) = (names(&unpacked)?, names(&seeds)?);
    if committed.is_empty() || zipped != committed {
        bail!(
            "the seed corpus holds {} files, {} holds {}",
            zipped.len(),
            seeds.display(),
            committed.len()
        );
    }

    let dict = out.join(format!("{target}.dict"));
    match dict_for(target) {
        Some(source) if std::fs::read(&dict).ok() != Some(std::fs::read(&source)?) => {
            bail!("{} is not a copy of {}", dict.display(), source.display())
        }
        None if dict.exists() => bail!(
            "{} exists, but the target has no dictionary",
            dict.display()
        ),
        _ => {}
    }

    let mut run = Command::new(&binary);
    run.arg("-runs=0").arg(&unpacked);
    if dict.exists() {
        run.arg(format!("-dict={}", dict.display()));
    }
    let output = run
        .output()
        .with_context(|| format!("running {}", binary.display()))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let inited = log.lines().find(|l| l.contains("INITED"));
    if !output.status.success() || inited.is_none() {
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "`{} -runs=0` over {} seeds exited with {}:\n{}",
            binary.display(),
            committed.len(),
            output.status,
            tail.join("\n")
        );
    }
    eprintln!(
        "xtask: oss-fuzz-check: {target}: {} seeds, {}",
        committed.len(),
        inited.unwrap_or_default().trim()
    );
    Ok(())
}
