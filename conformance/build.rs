//! Embeds the Node oracle's transcripts (`fixtures/transcripts/*.jsonl`) in the runner, so the
//! replay cases (`replay.*`) work from an installed binary too: one `include_str!` per file, in
//! file-name order, written to `$OUT_DIR/transcripts.rs`. And names the oracle they were
//! captured from for `--version`: the `versions` of their meta lines, in the environment variable
//! `SIO_ORACLE_VERSIONS` (`socket.io 4.8.4, engine.io 6.6.12, …, node 20`).

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"))
        .join("../fixtures/transcripts");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut oracles = Vec::new();
    let mut out = String::from("/// `(file name, text)` of every committed transcript.\n");
    out.push_str("pub static TRANSCRIPTS: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().expect("a file").to_string_lossy();
        let path = f.canonicalize().unwrap_or_else(|_| f.clone());
        let text = std::fs::read_to_string(f).unwrap_or_default();
        if let Some(versions) = text.lines().next().and_then(oracle_versions) {
            if !oracles.contains(&versions) {
                oracles.push(versions);
            }
        }
        let _ = writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let target =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("transcripts.rs");
    std::fs::write(target, out).expect("writing transcripts.rs");
    // Several sets would mean a partial re-capture: `--version` names them all rather than one.
    println!(
        "cargo:rustc-env=SIO_ORACLE_VERSIONS={}",
        if oracles.is_empty() {
            "no transcripts".to_string()
        } else {
            oracles.join(" | ")
        }
    );
}

/// `socket.io 4.8.4, engine.io 6.6.12, …` from a meta line's `"versions":{"node":"20",…}`, with
/// Node last. The object is flat, string to string, written by our capture tool (no escapes in
/// package names or versions), so it is cut out by hand: no JSON parser in the build script.
/// `replay::tests` checks the result against the transcripts parsed properly.
fn oracle_versions(meta: &str) -> Option<String> {
    let key = "\"versions\":{";
    let start = meta.find(key)? + key.len();
    let object = &meta[start..start + meta[start..].find('}')?];
    let mut node = None;
    let mut packages = Vec::new();
    for pair in object.split(',') {
        let (name, version) = pair.split_once(':')?;
        let (name, version) = (name.trim_matches('"'), version.trim_matches('"'));
        if name == "node" {
            node = Some(format!("node {version}"));
        } else {
            packages.push(format!("{name} {version}"));
        }
    }
    packages.extend(node);
    Some(packages.join(", "))
}
