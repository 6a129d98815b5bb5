//! Where things are in the repository, independent of the directory xtask was started from.

use std::path::{Path, PathBuf};

/// The repository root (the workspace that contains `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// `fixtures/node`: the pinned npm harness and the capture tooling.
pub fn node_dir() -> PathBuf {
    root().join("fixtures").join("node")
}

/// `fixtures/transcripts`: the committed transcripts.
pub fn transcripts_dir() -> PathBuf {
    root().join("fixtures").join("transcripts")
}
