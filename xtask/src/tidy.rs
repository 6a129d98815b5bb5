//! Repository rules, checked as tests (`cargo test -p xtask`): the house conventions a machine
//! can check (module docs, crate layout, no references outside the repository), so they hold
//! without anyone remembering them.

#[cfg(test)]
mod tests {
    use crate::workspace;
    use std::path::{Path, PathBuf};

    /// Every file under `dir` whose extension is one of `exts`, recursively, skipping build
    /// output and installed packages.
    fn files_with(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "target" && name != "node_modules" {
                    files_with(&path, exts, out);
                }
            } else if path
                .extension()
                .is_some_and(|ext| exts.iter().any(|e| ext == *e))
            {
                out.push(path);
            }
        }
    }

    /// Every Rust file under `dir`, recursively, skipping build output.
    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        files_with(dir, &["rs"], out);
    }

    #[test]
    fn every_module_says_what_it_is_for() {
        let root = workspace::root();
        let mut files = Vec::new();
        for crate_dir in [
            "protocol",
            "fixtures",
            "reference-server",
            "conformance",
            "bench",
            "proptest",
            "xtask",
            "fuzz",
        ] {
            rust_files(&root.join(crate_dir).join("src"), &mut files);
            rust_files(&root.join(crate_dir).join("fuzz_targets"), &mut files);
        }
        assert!(files.len() > 10, "the walk found too few files: {files:?}");
        let missing: Vec<_> = files
            .iter()
            .filter(|path| {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let first = text
                    .lines()
                    .find(|line| !line.trim().is_empty())
                    .unwrap_or("");
                // Test-only modules (`tests.rs` beside their parent) are documented by the parent.
                !first.starts_with("//!") && path.file_name().is_some_and(|n| n != "tests.rs")
            })
            .map(|path| {
                path.strip_prefix(&root)
                    .unwrap_or(path)
                    .display()
                    .to_string()
            })
            .collect();
        assert!(
            missing.is_empty(),
            "modules without a `//!` first line: {missing:#?}"
        );
    }

    /// The files among `files` whose text contains one of `needles`, each given in halves
    /// so that this file, which spells them, does not match itself.
    fn files_containing(files: &[PathBuf], needles: &[[&str; 2]]) -> Vec<PathBuf> {
        files
            .iter()
            .filter(|path| {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                needles.iter().any(|halves| text.contains(&halves.concat()))
            })
            .cloned()
            .collect()
    }

    #[test]
    fn tracked_text_names_no_machine_paths() {
        let root = workspace::root();
        let mut files = Vec::new();
        for crate_dir in [
            "protocol",
            "fixtures",
            "reference-server",
            "conformance",
            "bench",
            "proptest",
            "xtask",
            "fuzz",
        ] {
            rust_files(&root.join(crate_dir), &mut files);
        }
        let offenders = files_containing(
            &files,
            &[["/wo", "rk/"], ["/ro", "ot/"], ["/tmp/ba", "sh_jobs"]],
        );
        assert!(
            offenders.is_empty(),
            "files that name paths of one machine: {offenders:?}"
        );
    }

    /// The team's working notes live outside the repository; what users need (the behaviour
    /// catalogue, the contract, the layout) is written in it, and code and docs cite that.
    #[test]
    fn tracked_text_cites_nothing_outside_the_repository() {
        let root = workspace::root();
        let mut files = Vec::new();
        let exts = ["rs", "md", "mjs", "toml", "sh", "yml", "yaml"];
        files_with(&root, &exts, &mut files);
        let offenders = files_containing(
            &files,
            &[
                ["DESI", "GN.md"],
                ["protocol-", "notes"],
                ["oracle-", "notes"],
            ],
        );
        assert!(
            offenders.is_empty(),
            "files that cite notes outside the repository: {offenders:?}"
        );
    }
}
