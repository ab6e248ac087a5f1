#!/usr/bin/env bash
# Set-up (scripts/setup.sh) and every test through CTest. What CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
cd build
ctest --output-on-failure --timeout 900 -j"$(nproc)"
# Every loader fuzzed briefly (libFuzzer, ASan + UBSan) from the committed seeds.
cd ..
scripts/fuzz.sh "${DIT_FUZZ_SECONDS:-10}"
