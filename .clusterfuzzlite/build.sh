#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: every cargo-fuzz target of fuzz/ into $OUT, each with its
# seed corpus ($OUT/<target>_seed_corpus.zip, from fuzz/seeds/) and, when it has one, its
# dictionary ($OUT/<target>.dict, from fuzz/dict/). The builder image provides $SRC, $OUT, a
# nightly cargo with cargo-fuzz and RUSTFLAGS (`--cfg fuzzing -Zsanitizer=…`); `cargo xtask fuzz
# oss-fuzz-check` runs this file unchanged with the same environment, without Docker.
cd "$SRC/sio-conformance/fuzz"

# -O: release optimisations; -a: keep debug assertions and overflow checks on, as the local
# campaigns (`cargo xtask fuzz run`) build them: an overflow is a finding, and the two builds
# share one target directory instead of compiling twice.
cargo fuzz build -O -a
release="target/x86_64-unknown-linux-gnu/release"

for target in $(cargo fuzz list); do
  cp "$release/$target" "$OUT/$target"
  # A fast target (`<parser>_fast`) reads the same input as its parser's full target.
  seeds="seeds/${target%_fast}"
  rm -f "$OUT/${target}_seed_corpus.zip"
  zip -q -j "$OUT/${target}_seed_corpus.zip" "$seeds"/*
  case "$target" in
    engine_*) dict="dict/engine.dict" ;;
    socketio_packet* | binary_reassembly) dict="dict/socketio.dict" ;;
    front) dict="dict/front.dict" ;;
    *) dict="" ;;
  esac
  if [ -n "$dict" ]; then
    cp "$dict" "$OUT/$target.dict"
  fi
done
