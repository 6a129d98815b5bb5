//! Embeds the Node oracle's transcripts (`fixtures/transcripts/*.jsonl`) in the runner, so the
//! replay cases (`replay.*`) work from an installed binary too: one `include_str!` per file, in
//! file-name order, written to `$OUT_DIR/transcripts.rs`.

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
    let mut out = String::from("/// `(file name, text)` of every committed transcript.\n");
    out.push_str("pub static TRANSCRIPTS: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().expect("a file").to_string_lossy();
        let path = f.canonicalize().unwrap_or_else(|_| f.clone());
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
}
