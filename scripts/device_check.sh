#!/usr/bin/env bash
# The GPU session's one prepared run (docs/cuda.md), on the device machine from the repository
# root: builds the Qt-free target (DIT_DEVICE_ONLY, needs .device/ from scripts/device_deps.sh
# carried along), runs the CUDA parity checks (ops twice on fresh inputs, then the tiny models and
# pipelines), the ops once more under compute-sanitizer, and the two benchmarks against PyTorch.
# Logs go to $OUT (the device tool brings them back), the tables to stdout.
#
# Usage: scripts/device_check.sh [--parity-only]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/device}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv | tee "$OUT/gpu.txt"
if ! cmake -S . -B build-device -G Ninja -DDIT_DEVICE_ONLY=ON -DDIT_CUDA_ARCHITECTURES=90 >"$OUT/configure.log" 2>&1; then
  tail -30 "$OUT/configure.log"; exit 1
fi
if ! cmake --build build-device -j"$(nproc)" >"$OUT/build.log" 2>&1; then
  grep -E "error" "$OUT/build.log" | head -40; exit 1
fi
build-device/tests/backends/cuda_parity --repeat 2 2>&1 | tee "$OUT/parity.txt"
parity=${PIPESTATUS[0]}
[[ ${1:-} == --parity-only ]] && exit "$parity"
echo "== compute-sanitizer memcheck, ops only"
timeout 240 compute-sanitizer --tool memcheck --print-limit 20 build-device/tests/backends/cuda_parity --ops \
  >"$OUT/memcheck.txt" 2>&1
echo "memcheck exit $? ($(grep -c 'Invalid\|ERROR SUMMARY: [1-9]' "$OUT/memcheck.txt") problem lines)"; tail -2 "$OUT/memcheck.txt"
echo "== attention"
timeout 200 build-device/bench/cuda/bench_attention_cuda 2>&1 | tee "$OUT/attention.txt"
echo "== DiT forward"
timeout 400 build-device/bench/cuda/bench_dit_forward_cuda --runs 10 2>&1 | tee "$OUT/dit_forward.txt"
exit "$parity"
