#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer + UndefinedBehaviorSanitizer) into
# build-fuzz and fuzzes each for SECONDS (default 20) from the committed seeds in fuzz/corpus,
# as CTest tests fuzz.<target> (seed 1, so a run repeats). `scripts/fuzz.sh 600` is the long local run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
scripts/setup.sh --deps-only
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIT_FUZZ=ON \
  -DDIT_FUZZ_SECONDS="$seconds" >/dev/null
targets=$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
# shellcheck disable=SC2086
cmake --build build-fuzz --target $targets -j"$(nproc)"
cd build-fuzz && ctest --output-on-failure -R '^fuzz\.' --timeout $((seconds * 3 + 60))
