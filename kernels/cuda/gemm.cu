// Row-major y[M, N] = x[M, K] · w[N, K]ᵀ is, in cuBLAS's column-major terms, Yᶜ[N, M] =
// Wᶜ[K, N]ᵀ · Xᶜ[K, M]: the weight is the transposed A operand, the activations B, and the
// bias (one value per row of Yᶜ) is cuBLASLt's BIAS epilogue, and the feed-forward's GELU its
// GELU_BIAS epilogue: cuBLASLt's GELU is the tanh approximation PixArt uses (PyTorch's
// _addmm_activation relies on the same).
#include "kernels/cuda/gemm.h"

#include <string>

namespace dit::kernels::cuda {

void fail_cublas(int status, const char* call, const char* file, int line) {
    const std::string what = std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                             cublasGetStatusString(cublasStatus_t(status));
    if (status == CUBLAS_STATUS_ALLOC_FAILED) throw DeviceOutOfMemory("CUDA out of memory: " + what);
    throw CudaError(what);
}

void* Scratch::get(size_t need) {
    if (need <= bytes) return ptr;
    if (ptr) DIT_CUDA(cudaFree(ptr));
    ptr = nullptr;
    bytes = 0;
    DIT_CUDA(cudaMalloc(&ptr, need));
    bytes = need;
    return ptr;
}

Scratch::~Scratch() {
    if (ptr) cudaFree(ptr);
}

Gemm::Gemm(cudaStream_t stream) : stream_(stream) {
    DIT_CUBLAS(cublasCreate(&blas_));
    DIT_CUBLAS(cublasSetStream(blas_, stream_));
    // The default mode keeps SGEMM in true f32 (TF32 only when asked for) and lets bf16 use
    // the tensor cores.
    DIT_CUBLAS(cublasSetMathMode(blas_, CUBLAS_DEFAULT_MATH));
    DIT_CUBLAS(cublasLtCreate(&lt_));
    DIT_CUDA(cudaMalloc(&workspace_, workspace_bytes_));
}

Gemm::~Gemm() {
    for (auto& [key, p] : plans_) {
        if (!p.op) continue;  // a shape cuBLASLt had no kernel for
        cublasLtMatrixLayoutDestroy(p.a);
        cublasLtMatrixLayoutDestroy(p.b);
        cublasLtMatrixLayoutDestroy(p.d);
        cublasLtMatmulDescDestroy(p.op);
    }
    cudaFree(workspace_);
    cublasLtDestroy(lt_);
    cublasDestroy(blas_);
}

Gemm::Plan* Gemm::plan(int64_t M, int64_t N, int64_t K, int align_d, cublasLtEpilogue_t epilogue) {
    const Key key{M, N, K, align_d, int(epilogue)};
    if (auto it = plans_.find(key); it != plans_.end()) return it->second.op ? &it->second : nullptr;
    Plan p;
    DIT_CUBLAS(cublasLtMatmulDescCreate(&p.op, CUBLAS_COMPUTE_32F, CUDA_R_32F));
    const cublasOperation_t t = CUBLAS_OP_T, n = CUBLAS_OP_N;
    DIT_CUBLAS(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSA, &t, sizeof t));
    DIT_CUBLAS(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_TRANSB, &n, sizeof n));
    if (epilogue != CUBLASLT_EPILOGUE_DEFAULT)
        DIT_CUBLAS(cublasLtMatmulDescSetAttribute(p.op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue, sizeof epilogue));
    DIT_CUBLAS(cublasLtMatrixLayoutCreate(&p.a, CUDA_R_16BF, uint64_t(K), uint64_t(N), K));  // Wᶜ [K, N]
    DIT_CUBLAS(cublasLtMatrixLayoutCreate(&p.b, CUDA_R_16BF, uint64_t(K), uint64_t(M), K));  // Xᶜ [K, M]
    DIT_CUBLAS(cublasLtMatrixLayoutCreate(&p.d, CUDA_R_32F, uint64_t(N), uint64_t(M), N));   // Yᶜ [N, M]

    cublasLtMatmulPreference_t pref;
    DIT_CUBLAS(cublasLtMatmulPreferenceCreate(&pref));
    DIT_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                    &workspace_bytes_, sizeof workspace_bytes_));
    // y may be a row offset into a larger buffer: tell the heuristic how aligned it really is.
    const uint32_t align = uint32_t(align_d);
    DIT_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &align, sizeof align));
    DIT_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &align, sizeof align));
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    const auto st = cublasLtMatmulAlgoGetHeuristic(lt_, p.op, p.a, p.b, p.d, p.d, pref, 1, &result, &found);
    cublasLtMatmulPreferenceDestroy(pref);
    if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
        // No cuBLASLt kernel for this shape or alignment (an odd K, say): remember that, and
        // let cublasGemmEx, which takes any leading dimension, do it.
        cublasLtMatrixLayoutDestroy(p.a);
        cublasLtMatrixLayoutDestroy(p.b);
        cublasLtMatrixLayoutDestroy(p.d);
        cublasLtMatmulDescDestroy(p.op);
        plans_.emplace(key, Plan{});
        return nullptr;
    }
    p.algo = result.algo;
    return &plans_.emplace(key, p).first->second;
}

static int alignment_of(const void* p) {
    const auto v = reinterpret_cast<uintptr_t>(p);
    int a = 4;
    while (a < 256 && v % uintptr_t(2 * a) == 0) a *= 2;
    return a;
}

void Gemm::linear_bf16(const float* x, const uint16_t* w, const float* b, float* y, int64_t M, int64_t N, int64_t K,
                       bool gelu) {
    if (M == 0 || N == 0) return;
    if (K == 0) {  // an empty sum: y is the bias
        DIT_CUDA(cudaMemsetAsync(y, 0, size_t(M * N) * sizeof(float), stream_));
        if (b) add_bias(stream_, y, b, M, N, N);
        if (gelu) gelu_tanh(stream_, y, M * N);
        return;
    }
    auto* xb = static_cast<uint16_t*>(x_bf16_.get(size_t(M * K) * 2));
    to_bf16(stream_, x, xb, M * K);
    // The epilogue reads the bias with the output's alignment; a less aligned bias is added apart,
    // and then the GELU cannot be in the epilogue either (it comes after the bias).
    bool fuse_bias = b && alignment_of(b) >= 16, fuse_gelu = gelu && (fuse_bias || !b);
    const cublasLtEpilogue_t epilogue = fuse_gelu ? (fuse_bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU)
                                                  : (fuse_bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT);
    const float one = 1.f, zero = 0.f;
    if (Plan* p = plan(M, N, K, alignment_of(y), epilogue)) {
        if (fuse_bias)
            DIT_CUBLAS(cublasLtMatmulDescSetAttribute(p->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &b, sizeof b));
        DIT_CUBLAS(cublasLtMatmul(lt_, p->op, &one, w, p->a, xb, p->b, &zero, y, p->d, y, p->d, &p->algo, workspace_,
                                  workspace_bytes_, stream_));
    } else {
        fuse_bias = fuse_gelu = false;
        DIT_CUBLAS(cublasGemmEx(blas_, CUBLAS_OP_T, CUBLAS_OP_N, int(N), int(M), int(K), &one, w, CUDA_R_16BF, int(K),
                                xb, CUDA_R_16BF, int(K), &zero, y, CUDA_R_32F, int(N), CUBLAS_COMPUTE_32F,
                                CUBLAS_GEMM_DEFAULT));
    }
    if (b && !fuse_bias) add_bias(stream_, y, b, M, N, N);
    if (gelu && !fuse_gelu) gelu_tanh(stream_, y, M * N);
}

void Gemm::linear_f32(const float* x, const float* w, const float* b, float* y, int64_t M, int64_t N, int64_t K) {
    if (M == 0 || N == 0) return;
    if (K == 0) {
        DIT_CUDA(cudaMemsetAsync(y, 0, size_t(M * N) * sizeof(float), stream_));
        if (b) add_bias(stream_, y, b, M, N, N);
        return;
    }
    const float one = 1.f, zero = 0.f;
    // Yᶜ[N, M] = Wᶜ[K, N]ᵀ · Xᶜ[K, M]
    DIT_CUBLAS(cublasSgemm(blas_, CUBLAS_OP_T, CUBLAS_OP_N, int(N), int(M), int(K), &one, w, int(K), x, int(K), &zero,
                           y, int(N)));
    if (b) add_bias(stream_, y, b, M, N, N);
}

void Gemm::sgemm_nn(int64_t m, int64_t n, int64_t k, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float* C, int64_t ldc) {
    const float one = 1.f, zero = 0.f;
    DIT_CUBLAS(cublasSgemm(blas_, CUBLAS_OP_N, CUBLAS_OP_N, int(m), int(n), int(k), &one, A, int(lda), B, int(ldb),
                           &zero, C, int(ldc)));
}

}  // namespace dit::kernels::cuda
