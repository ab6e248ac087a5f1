#pragma once
// The GEMMs of the CUDA backend (gemm.cu): cuBLASLt with bf16 operands and f32 accumulation for
// the linears whose weights are checkpoint matrices, cuBLAS's f32 SGEMM for f32 weights given
// as device pointers (the convolutions, the patch embedding). Device-side, CUDA-only header.
#include <cublasLt.h>
#include <cublas_v2.h>

#include <cstdint>
#include <map>
#include <tuple>

#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {

[[noreturn]] void fail_cublas(int status, const char* call, const char* file, int line);
#define DIT_CUBLAS(call)                                                        \
    do {                                                                        \
        const auto dit_st_ = (call);                                            \
        if (dit_st_ != CUBLAS_STATUS_SUCCESS) ::dit::kernels::cuda::fail_cublas(int(dit_st_), #call, __FILE__, __LINE__); \
    } while (0)

// A grow-only device buffer: sized by the first step of a run, reused by every later one, so
// the step loop allocates nothing once it is warm.
struct Scratch {
    void* ptr = nullptr;
    size_t bytes = 0;
    void* get(size_t need);
    ~Scratch();
};

class Gemm {
public:
    explicit Gemm(cudaStream_t stream);
    ~Gemm();
    Gemm(const Gemm&) = delete;
    Gemm& operator=(const Gemm&) = delete;

    // y[M, N] = x[M, K] · w[N, K]ᵀ + b[N]; x, y, b f32 on the device, w bf16 on the device.
    // x is rounded to bf16 first (scratch); the sums are f32. gelu: then GELU (tanh), in the
    // epilogue where cuBLASLt takes the bias there too.
    void linear_bf16(const float* x, const uint16_t* w, const float* b, float* y, int64_t M, int64_t N, int64_t K,
                     bool gelu = false);
    // The same in f32 throughout (SGEMM, no TF32): w f32 on the device.
    void linear_f32(const float* x, const float* w, const float* b, float* y, int64_t M, int64_t N, int64_t K);
    // Column-major C[m, n] (ldc) = A[m, k] (lda) · B[k, n] (ldb), f32, for conv2d's im2col GEMM.
    void sgemm_nn(int64_t m, int64_t n, int64_t k, const float* A, int64_t lda, const float* B, int64_t ldb,
                  float* C, int64_t ldc);

private:
    struct Plan {
        cublasLtMatmulDesc_t op = nullptr;
        cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
        cublasLtMatmulAlgo_t algo{};
    };
    // One plan per shape, alignment and epilogue: the heuristic runs once, not every step.
    using Key = std::tuple<int64_t, int64_t, int64_t, int, int>;
    // The cached plan, or null when cuBLASLt offers none (then cublasGemmEx runs it).
    Plan* plan(int64_t M, int64_t N, int64_t K, int align_d, cublasLtEpilogue_t epilogue);

    cudaStream_t stream_;
    cublasHandle_t blas_ = nullptr;
    cublasLtHandle_t lt_ = nullptr;
    void* workspace_ = nullptr;
    size_t workspace_bytes_ = 32u << 20;
    Scratch x_bf16_;
    std::map<Key, Plan> plans_;
};

}  // namespace dit::kernels::cuda
