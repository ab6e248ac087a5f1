#pragma once
// A backend against kernels::reference(), op by op, on fresh random inputs (ggml's
// test-backend-ops, in our op set), through the backend's own memory calls. Qt-free so the same
// checks run from the Qt Test suites (tests/kernels/test_cuda_ops.cpp on the GPU, skipped without
// one; test_device_memory on kernels::isolated()) and from the plain `cuda_parity` program a GPU
// machine without Qt builds (DIT_DEVICE_ONLY, docs/cuda.md).
//
// Each check draws new inputs from `seed`, fills every output with NaN before the op (so an
// unwritten element fails) and compares by ‖cuda − ref‖ / ‖ref‖ (METHOD: f32 arithmetic lands
// far under 1e-4; bf16 operands between 1e-3 and 1e-2).
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"

namespace dit::kernels::parity {

struct Result {
    std::string op, shape;
    double error = 0.0;      // ‖cuda − ref‖ / ‖ref‖ (∞ with a non-finite or unwritten element)
    double tolerance = 0.0;  // the op's bound for that error
    double max_abs = 0.0;    // max |cuda − ref|, for the log
    bool pass() const { return error <= tolerance; }
};

// Every op of the interface at small odd shapes and at PixArt's (hidden 1152 = 16 x 72).
struct Precision {
    // The backend rounds a WeightRef linear's operands to bf16 (CUDA): that linear is checked
    // against the unrounded reference at bf16 accuracy and on the rounded operands at f32's.
    bool bf16_gemm = false;
    // Attention runs on bf16 tensor cores (CUDA by default): bf16 accuracy instead of f32's.
    bool bf16_attention = false;
};
std::vector<Result> run_all(Backend& candidate, uint32_t seed, Precision precision = {});

std::string format(const Result& r);  // one line: op, shape, error, tolerance, PASS/FAIL

}  // namespace dit::kernels::parity
