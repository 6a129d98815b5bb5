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

    /// Every directory of the repository with a `Cargo.toml` (the workspace's members, `fuzz/`
    /// and the standalone projects under `fixtures/`), so that a new crate is checked without
    /// being listed here.
    fn crate_dirs(root: &Path) -> Vec<PathBuf> {
        let mut manifests = Vec::new();
        files_with(root, &["toml"], &mut manifests);
        let mut dirs: Vec<PathBuf> = manifests
            .into_iter()
            .filter(|m| m.file_name().is_some_and(|n| n == "Cargo.toml"))
            .filter_map(|m| m.parent().map(Path::to_path_buf))
            .filter(|dir| dir != root)
            .collect();
        dirs.sort();
        assert!(
            dirs.iter().any(|d| d.ends_with("contract-server")) && dirs.len() >= 10,
            "the walk found too few crates: {dirs:?}"
        );
        dirs
    }

    /// Every Rust file under `dir`, recursively, skipping build output.
    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        files_with(dir, &["rs"], out);
    }

    #[test]
    fn every_module_says_what_it_is_for() {
        let root = workspace::root();
        let mut files = Vec::new();
        for crate_dir in crate_dirs(&root) {
            rust_files(&crate_dir.join("src"), &mut files);
            rust_files(&crate_dir.join("fuzz_targets"), &mut files);
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
        for crate_dir in crate_dirs(&root) {
            rust_files(&crate_dir, &mut files);
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

    /// The targets of the Markdown links `[text](target)` in `text`, without their `#anchor`,
    /// leaving out web addresses and in-page anchors.
    fn markdown_link_targets(text: &str) -> Vec<&str> {
        text.split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
            .map(|target| target.split('#').next().unwrap_or(""))
            .filter(|target| !target.is_empty() && !target.contains("://"))
            .filter(|target| !target.starts_with("mailto:"))
            .collect()
    }

    /// A relative link in the repository's Markdown must name a file or directory inside the
    /// repository that exists: a reader has the repository, nothing beside it.
    #[test]
    fn every_markdown_link_resolves_inside_the_repository() {
        let root = workspace::root();
        let mut files = Vec::new();
        files_with(&root, &["md"], &mut files);
        assert!(files.len() > 10, "the walk found too few files: {files:?}");
        let mut broken = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let dir = file.parent().unwrap_or(&root);
            for target in markdown_link_targets(&text) {
                // Rust intra-doc style `[x](crate::y)` and `[x](Self::y)` are not paths.
                if target.contains("::") || target.contains(' ') {
                    continue;
                }
                let resolved = dir.join(target);
                let inside = resolved
                    .canonicalize()
                    .is_ok_and(|path| path.starts_with(root.canonicalize().unwrap_or_default()));
                if !inside {
                    let file = file.strip_prefix(&root).unwrap_or(file);
                    broken.push(format!("{}: {target}", file.display()));
                }
            }
        }
        assert!(
            broken.is_empty(),
            "links that do not resolve inside the repository: {broken:#?}"
        );
    }

    #[test]
    fn link_targets_are_read_as_written() {
        let text = "see [a](docs/A.md#top), [b](https://x.y/z), [c](#here) and [d](../d.md)";
        assert_eq!(markdown_link_targets(text), ["docs/A.md", "../d.md"]);
    }
}
