#!/usr/bin/env bash
# The GPU session's prepared runs (docs/cuda.md), on the device machine from the repository root.
# Each stage fits one device call (600 s at most); the build in build-device/ stays on the warm
# machine between calls, so the second call only relinks what changed.
#
#   parity  builds the Qt-free target (DIT_DEVICE_ONLY, needs .device/ from scripts/device_deps.sh
#           carried along), runs the CUDA parity checks (ops twice on fresh inputs, then the tiny
#           models and pipelines), then the ops once more under compute-sanitizer
#   bench   the three benchmarks against PyTorch: attention, DiT forward, end to end with the
#           low-VRAM peak
#   all     both (when a call may run long enough)
# The benchmarks' random models stay in build-device/bench-* (T5-XXL is 9.5 GB), so a rerun on the
# warm machine does not make them again.
#
# Logs go to $OUT (the device tool brings them back), the tables to stdout.
# Usage: scripts/device_check.sh [parity|bench|all]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/device}
stage=${1:-all}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv | tee "$OUT/gpu.txt"
if ! cmake -S . -B build-device -G Ninja -DDIT_DEVICE_ONLY=ON -DDIT_CUDA_ARCHITECTURES=90 >"$OUT/configure.log" 2>&1; then
  tail -30 "$OUT/configure.log"; exit 1
fi
if ! cmake --build build-device -j"$(nproc)" >"$OUT/build.log" 2>&1; then
  grep -E "error" "$OUT/build.log" | head -40; exit 1
fi
status=0
if [[ $stage == parity || $stage == all ]]; then
  build-device/tests/backends/cuda_parity --repeat 2 2>&1 | tee "$OUT/parity.txt"
  status=${PIPESTATUS[0]}
  echo "== compute-sanitizer memcheck, ops only"
  timeout 200 compute-sanitizer --tool memcheck --print-limit 20 build-device/tests/backends/cuda_parity --ops \
    >"$OUT/memcheck.txt" 2>&1
  echo "memcheck exit $? ($(grep -c 'Invalid\|ERROR SUMMARY: [1-9]' "$OUT/memcheck.txt") problem lines)"
  tail -2 "$OUT/memcheck.txt"
fi
if [[ $stage == bench || $stage == all ]]; then
  echo "== attention"
  timeout 90 build-device/bench/cuda/bench_attention_cuda 2>&1 | tee "$OUT/attention.txt"
  echo "== DiT forward"
  timeout 180 build-device/bench/cuda/bench_dit_forward_cuda --runs 10 --keep build-device/bench-dit 2>&1 | tee "$OUT/dit_forward.txt"
  echo "== end to end, 1024 px, 4 LCM steps, and the low-VRAM peak"
  timeout 300 build-device/bench/cuda/bench_pipeline_cuda --runs 5 --keep build-device/bench-pipeline 2>&1 | tee "$OUT/pipeline.txt"
fi
exit "$status"
