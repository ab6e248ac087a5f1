#pragma once
// Private to the fast CPU backend: the pieces its files share.
#include "kernels/cpu/ops.h"

#include <bit>
#include <cstdint>

namespace dit::kernels::fast_detail {

// Below this many elements an OpenMP team costs more than it saves.
constexpr int64_t kParallelMin = 32768;

// e^x to ~2 ulp (Cephes expf), written so that loops calling it vectorise: glibc's expf does not
// without -ffast-math, and exp dominates softmax, GELU and SiLU otherwise. Inputs are clamped to
// [-87, 88], so results stay finite and normal (e^-87 ~ 1.6e-38 stands in for 0).
inline float exp_fast(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float n = (x * 1.44269504f + 12582912.f) - 12582912.f;  // round(x / ln2)
    const float r = x - n * 0.693359375f + n * 2.12194440e-4f;    // x - n ln2, in two parts
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    return p * std::bit_cast<float>((int32_t(n) + 127) << 23);  // times 2^n
}

// C[M, N] = A[M, K] · op(B) + beta·C, row-major, op(B) = Bᵀ for B: [N, K] (trans_b) or B for
// B: [K, N]. OpenBLAS runs single-threaded and the columns are split over the OpenMP team
// instead: OpenBLAS's pthreads and OpenMP's threads spin-waiting against each other on the same
// cores made a DiT block ~1.8x slower than one thread pool for everything.
void gemm(bool trans_b, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// C[M, N] = A[M, K] · B[K, N], row-major with leading dimensions, M % kTileRows == 0 and
// N % kTileCols == 0: attention's register-tiled product (fast_attention.cpp), also GRAT's.
constexpr int64_t kTileRows = 8, kTileCols = 16;
void matmul_tiled(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc, int64_t M,
                  int64_t N, int64_t K);

void attention(const AttentionArgs& a);
void conv2d(const Conv2dArgs& a);

}  // namespace dit::kernels::fast_detail
