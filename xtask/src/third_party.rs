//! Third-party servers as contract targets: socketioxide (`fixtures/socketioxide`) and
//! python-socketio (`fixtures/python`), each pinned, built or installed on first use and again
//! only when its pins change, then run as the server process itself.
//!
//! - socketioxide: `cargo build --release --locked` of the standalone project (its own
//!   `Cargo.lock`, its own target dir `fixtures/socketioxide/target`, git-ignored), then its
//!   binary is run directly. About 2.5 min on 2 shared cores the first time, under a second after.
//! - python-socketio: a virtual environment in `target/python-venv` (git-ignored) made with
//!   `python3 -m venv`, and `pip install --require-hashes -r fixtures/python/requirements.txt`
//!   (plain `-r` if the file ever loses its hashes). The environment is made again from nothing
//!   when the requirements file changes (a stamp keeps its SHA-1), so a removed pin does not
//!   linger. About 12 s with PyPI reachable; nothing after.
//!
//! Both print `{"listening":"http://127.0.0.1:PORT"}` like every contract server, and are the
//! processes xtask starts (not `cargo run`, not a shell), so stopping them stops the server.
//!
//! A suite run (`cargo xtask conformance --target T`, 2 shared cores): `socketioxide` about 10 s,
//! `python` about 50 s (python-socketio is judged at the `protocol` tier and one case waits out
//! a 45 s connectTimeout it does not have), `socketioxide-stock` 75-92 s, `python-stock`
//! 127-138 s (the stock modes keep the 25 s / 20 s heartbeat). fixtures/socketioxide/README.md and
//! fixtures/python/README.md say what the suite finds there.

use crate::workspace;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `fixtures/socketioxide`: the standalone socketioxide project.
fn socketioxide_dir() -> PathBuf {
    workspace::root().join("fixtures").join("socketioxide")
}

/// The socketioxide server on `port`, `--stock` or the official suites' servers, after a
/// `--locked` release build.
pub fn socketioxide(port: &str, stock: bool) -> Result<Command> {
    let dir = socketioxide_dir();
    // An explicit target dir: a CARGO_TARGET_DIR in the environment must not mix this project's
    // dependency versions into the workspace's build directory, and the binary must be where we
    // run it from.
    let target_dir = dir.join("target");
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    build
        .args([
            "build",
            "--quiet",
            "--release",
            "--locked",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(workspace::root());
    eprintln!("xtask: running {build:?}");
    if !build.status().context("running cargo build")?.success() {
        bail!("building fixtures/socketioxide failed");
    }
    let binary = target_dir.join("release").join(format!(
        "sio-target-socketioxide{}",
        std::env::consts::EXE_SUFFIX
    ));
    let mut command = Command::new(binary);
    command.args(["--port", port]).current_dir(&dir);
    if stock {
        command.arg("--stock");
    }
    Ok(command)
}

/// The python-socketio server on `port`, `--stock` or the official suites' servers, with the
/// pinned packages installed first if needed.
pub fn python(port: &str, stock: bool) -> Result<Command> {
    let python = ensure_venv()?;
    let mut command = Command::new(python);
    command
        .arg(workspace::root().join("fixtures/python/server.py"))
        .args(["--port", port])
        .current_dir(workspace::root());
    if stock {
        command.arg("--stock");
    }
    Ok(command)
}

/// Where the virtual environment lives (under the git-ignored `target/`).
fn venv_dir() -> PathBuf {
    workspace::root().join("target").join("python-venv")
}

/// Holds the SHA-1 of the requirements file the environment was made from.
const STAMP: &str = ".xtask-requirements.sha1";

/// The interpreter of the virtual environment, made (again) when the requirements changed.
fn ensure_venv() -> Result<PathBuf> {
    let requirements = workspace::root().join("fixtures/python/requirements.txt");
    let text = std::fs::read_to_string(&requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let digest = sha1_smol::Sha1::from(text.as_bytes()).digest().to_string();
    let dir = venv_dir();
    let python = venv_python(&dir);
    if python.exists() && std::fs::read_to_string(dir.join(STAMP)).ok().as_deref() == Some(&digest)
    {
        return Ok(python);
    }
    check_python3()?;
    // From nothing: `pip install` never removes a package the file no longer names.
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let mut venv = Command::new("python3");
    venv.args(["-m", "venv"]).arg(&dir);
    eprintln!("xtask: running {venv:?}");
    let status = venv.status().context("running python3 -m venv")?;
    if !status.success() || !python.exists() {
        // Debian and Ubuntu ship `venv` without ensurepip in a package of its own.
        bail!(
            "`python3 -m venv {}` failed ({status}): the venv module or ensurepip is missing \
             (Debian/Ubuntu: `apt install python3-venv`)",
            dir.display()
        );
    }
    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--no-input",
        "--disable-pip-version-check",
    ]);
    // With hashes, pip also refuses any package the file does not pin (a transitive dependency
    // that slipped through), so the environment is exactly the file.
    if has_hashes(&text) {
        pip.arg("--require-hashes");
    }
    pip.arg("-r").arg(&requirements);
    eprintln!("xtask: running {pip:?}");
    if !pip.status().context("running pip")?.success() {
        bail!(
            "installing {} into {} failed (is PyPI reachable?)",
            requirements.display(),
            dir.display()
        );
    }
    std::fs::write(dir.join(STAMP), digest).context("writing the pip install stamp")?;
    Ok(python)
}

/// Whether a requirements file pins hashes (then every line must, `--require-hashes`).
fn has_hashes(requirements: &str) -> bool {
    requirements
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .any(|line| line.contains("--hash="))
}

/// A clear error when there is no `python3` at all, before anything is removed or made.
fn check_python3() -> Result<()> {
    match Command::new("python3").arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        _ => bail!(
            "python3 is needed for the python targets and was not found on PATH \
             (Debian/Ubuntu: `apt install python3 python3-venv`)"
        ),
    }
}

/// The environment's interpreter.
fn venv_python(dir: &Path) -> PathBuf {
    if cfg!(windows) {
        dir.join("Scripts").join("python.exe")
    } else {
        dir.join("bin").join("python")
    }
}

#[cfg(test)]
mod tests {
    use super::has_hashes;

    #[test]
    fn sees_hashes_only_outside_comments() {
        assert!(has_hashes("a==1 \\\n    --hash=sha256:00\n"));
        assert!(!has_hashes("# pip install --hash=sha256:00 style\na==1\n"));
    }
}
