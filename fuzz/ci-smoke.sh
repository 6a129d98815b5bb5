#!/usr/bin/env bash
# CI smoke test of the fuzzing toolkit (fuzz/README.md), meant to be called from .ci/run:
#   1. installs cargo-fuzz when missing (about 65 s) and builds every target with nightly
#      (`cargo xtask fuzz build`: the flags of .clusterfuzzlite/build.sh, so that the
#      `cargo xtask fuzz oss-fuzz-check` that .ci/run runs next reuses this build);
#   2. runs every target for FUZZ_SMOKE_SECONDS (default 20) from the committed seeds only,
#      one target at a time (-jobs=1), failing on any crash;
#   3. runs the differential check against Node over the committed seeds, failing on any
#      difference that is not a documented divergence (fuzz/DIVERGENCES.md).
# Total: about 4 minutes on 2 cores with a warm nightly build (measured 3 min 58 s), plus about
# 3.5 for a cold one.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SMOKE_SECONDS:-20}"
start=$(date +%s)
step() { echo "fuzz smoke: $* ($(( $(date +%s) - start ))s elapsed)"; }

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  step "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi
step "building the fuzz targets"
cargo xtask fuzz build
step "running every target for ${seconds}s from fuzz/seeds"
cargo xtask fuzz all --time "$seconds" --seeds-only
step "differential check against Node over fuzz/seeds"
cargo xtask fuzz diff
step "done"
