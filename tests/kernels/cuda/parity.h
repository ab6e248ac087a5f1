#pragma once
// The CUDA backend against kernels::reference(), op by op, on fresh random inputs (ggml's
// test-backend-ops, in our op set). Qt-free so the same checks run from the Qt Test suite
// (tests/kernels/test_cuda_ops.cpp, which skips without a GPU) and from the plain `cuda_parity`
// program a GPU machine without Qt builds (DIT_DEVICE_ONLY, docs/cuda.md).
//
// Each check draws new inputs from `seed`, fills every output with NaN before the op (so an
// unwritten element fails) and compares by ‖cuda − ref‖ / ‖ref‖ (METHOD: f32 arithmetic lands
// far under 1e-4; bf16 operands between 1e-3 and 1e-2).
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cuda/cuda.h"

namespace dit::kernels::cuda::parity {

struct Result {
    std::string op, shape;
    double error = 0.0;      // ‖cuda − ref‖ / ‖ref‖ (∞ with a non-finite or unwritten element)
    double tolerance = 0.0;  // the op's bound for that error
    double max_abs = 0.0;    // max |cuda − ref|, for the log
    bool pass() const { return error <= tolerance; }
};

// Every op of the interface at small odd shapes and at PixArt's (hidden 1152 = 16 x 72).
std::vector<Result> run_all(CudaBackend& gpu, uint32_t seed);

std::string format(const Result& r);  // one line: op, shape, error, tolerance, PASS/FAIL

}  // namespace dit::kernels::cuda::parity
