//! Running Node: install the pinned npm packages when needed, and run a script in fixtures/node.

use crate::workspace;
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, ExitStatus};

/// The copy of package-lock.json taken after the last successful `npm ci`; when it differs from
/// the committed lock file, the installed tree is stale and `npm ci` runs again.
const STAMP: &str = "node_modules/.xtask-installed-lock.json";

/// Makes sure `fixtures/node/node_modules` matches the committed lock file (`npm ci` otherwise).
pub fn ensure_installed() -> Result<()> {
    ensure_installed_in(&workspace::node_dir())
}

/// Makes sure `dir/node_modules` matches `dir/package-lock.json` (`npm ci` otherwise).
pub fn ensure_installed_in(dir: &Path) -> Result<()> {
    let lock = std::fs::read(dir.join("package-lock.json"))
        .with_context(|| format!("reading {}", dir.join("package-lock.json").display()))?;
    if std::fs::read(dir.join(STAMP)).ok().as_deref() == Some(lock.as_slice()) {
        return Ok(());
    }
    let status = run_logged(
        Command::new("npm").args(["ci", "--no-audit", "--no-fund"]),
        dir,
    )?;
    if !status.success() {
        bail!("`npm ci` failed in {} ({status})", dir.display());
    }
    std::fs::write(dir.join(STAMP), lock).context("writing the npm install stamp")?;
    Ok(())
}

/// A `node <script> <args…>` command started in fixtures/node.
pub fn script(script: &str, args: &[String]) -> Command {
    let mut command = Command::new("node");
    command
        .arg(script)
        .args(args)
        .current_dir(workspace::node_dir());
    command
}

/// Runs a command to completion, printing it first.
pub fn run_logged(command: &mut Command, dir: &Path) -> Result<ExitStatus> {
    eprintln!("xtask: running {command:?} in {}", dir.display());
    command
        .current_dir(dir)
        .status()
        .with_context(|| format!("could not start {command:?} (is it installed?)"))
}
