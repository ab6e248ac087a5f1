// The fast CPU backend: GEMMs through OpenBLAS (single-threaded, column slices spread over
// OpenMP; see gemm in fast_common.h), everything else as loops the compiler vectorises
// (-O3 -march=native), spread over the cores with OpenMP once a tensor is large enough.
// Attention and conv2d live in fast_attention.cpp and fast_conv.cpp.
//
// Reductions carry `omp simd reduction` because without -ffast-math the compiler may not
// reorder a sum on its own.
#include "kernels/cpu/fast_common.h"
#include "kernels/cpu/host_backend.h"
#include "kernels/cpu/grat_attention.h"
#include "kernels/cpu/linear_attention.h"
#include "kernels/cpu/q8_gemm.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace dit::kernels {

namespace {

// gemm's split of C's N columns: one slice per thread, a multiple of 16 wide so each keeps
// OpenBLAS's full tiles; a small product runs on one thread.
struct ColumnSplit {
    int64_t threads, slice;
    ColumnSplit(int64_t M, int64_t N, int64_t K) {
        static const bool single_threaded = (openblas_set_num_threads(1), true);
        (void)single_threaded;
        threads = M * N * K >= (int64_t(1) << 20) ? omp_get_max_threads() : 1;
        slice = std::max<int64_t>((N + threads - 1) / threads + 15, 16) / 16 * 16;
    }
};

// At most this many floats of widened weights per thread (16 MiB): whole slices of a DiT's
// matrices, a few hundred rows of T5-XXL's. Each panel is one sgemm that re-packs all of A,
// so panels should stay wide.
constexpr int64_t kPanelFloats = int64_t(4) << 20;

// C[M, N] = A[M, K] · Bᵀ + beta·C for B: [N, K] stored as f16/bf16, split over columns as gemm
// does. Each thread widens its slice of B a panel of rows at a time into its own scratch and
// multiplies that panel, so the f32 copy of B never exists whole.
void gemm_widened(int64_t M, int64_t N, int64_t K, const float* A, WeightRef B, float beta,
                  float* C) {
    const ColumnSplit split(M, N, K);
    const int64_t panel = std::clamp<int64_t>(kPanelFloats / std::max<int64_t>(K, 1) / 16 * 16, 16,
                                              split.slice);
#pragma omp parallel for if (split.threads > 1)
    for (int64_t n0 = 0; n0 < N; n0 += split.slice) {
        thread_local std::vector<float> scratch;
        const int64_t end = std::min(n0 + split.slice, N);
        for (int64_t p0 = n0; p0 < end; p0 += panel) {
            const int64_t rows = std::min(panel, end - p0);
            if (scratch.size() < size_t(rows * K)) scratch.resize(size_t(rows * K));
            to_f32(B, p0 * K, rows * K, scratch.data());
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(M), int(rows), int(K), 1.0f, A,
                        int(K), scratch.data(), int(K), beta, C + p0, int(N));
        }
    }
}

}  // namespace

void fast_detail::gemm(bool trans_b, int64_t M, int64_t N, int64_t K, const float* A,
                       int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                       int64_t ldc) {
    const ColumnSplit split(M, N, K);
    const int64_t threads = split.threads, slice = split.slice;
#pragma omp parallel for if (threads > 1)
    for (int64_t n0 = 0; n0 < N; n0 += slice)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, int(M),
                    int(std::min(slice, N - n0)), int(K), 1.0f, A, int(lda),
                    trans_b ? B + n0 * ldb : B + n0, int(ldb), beta, C + n0, int(ldc));
}

namespace {

using fast_detail::exp_fast;
using fast_detail::kParallelMin;

// y[c] = (x[c] - mean) * inv * gamma[c] + beta[c] for one row
inline void normalize_row(const float* x, float* y, int64_t cols, float mean, float inv,
                          const float* gamma, const float* beta) {
    if (gamma && beta)
        for (int64_t c = 0; c < cols; ++c) y[c] = (x[c] - mean) * inv * gamma[c] + beta[c];
    else if (gamma)
        for (int64_t c = 0; c < cols; ++c) y[c] = (x[c] - mean) * inv * gamma[c];
    else
        for (int64_t c = 0; c < cols; ++c) y[c] = (x[c] - mean) * inv + (beta ? beta[c] : 0.f);
}

// Mean and biased variance of n floats; double sums keep large offsets and long rows exact
// enough, and cost nothing next to the GEMMs around a norm.
inline void moments(const float* x, int64_t n, float& mean, float& var) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += x[i];
    const double m = s / double(n);
    double ss = 0.0;
#pragma omp simd reduction(+ : ss)
    for (int64_t i = 0; i < n; ++i) ss += (x[i] - m) * (x[i] - m);
    mean = float(m);
    var = float(ss / double(n));
}

// Starts y[M, N] at the bias, for sgemm to accumulate onto (beta = 1).
void start_at_bias(float* y, const float* b, int64_t M, int64_t N) {
    if (!b) return;
#pragma omp parallel for if (M * N > kParallelMin)
    for (int64_t m = 0; m < M; ++m) std::memcpy(y + m * N, b, size_t(N) * sizeof(float));
}

class FastBackend final : public HostBackend {
public:
    const char* name() const override { return "fast"; }

    // x: [M, K], w: [N, K], b: [N] -> y: [M, N]
    void linear(const float* x, const float* w, const float* b, float* y,
                int64_t M, int64_t N, int64_t K) override {
        start_at_bias(y, b, M, N);
        fast_detail::gemm(true, M, N, K, x, K, w, K, b ? 1.0f : 0.0f, y, N);
    }

    // x: [M, K], w: [N, K] as stored, b: [N] -> y: [M, N]
    void linear(const float* x, WeightRef w, const float* b, float* y,
                int64_t M, int64_t N, int64_t K) override {
        if (w.dtype == DType::F32 && w.scale == 1.0f) return linear(x, static_cast<const float*>(w.data), b, y, M, N, K);
        if (w.dtype == DType::Q8_0 && w.scale == 1.0f && *int8_path()) return q8_0_linear(x, w.data, b, y, M, N, K);
        start_at_bias(y, b, M, N);
        gemm_widened(M, N, K, x, w, b ? 1.0f : 0.0f, y);
    }

    void attention(const AttentionArgs& a) override { fast_detail::attention(a); }

    // x, y: [rows, cols]
    void layer_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps,
                    const float* gamma, const float* beta) override {
#pragma omp parallel for if (rows * cols > kParallelMin)
        for (int64_t r = 0; r < rows; ++r) {
            float mean, var;
            moments(x + r * cols, cols, mean, var);
            normalize_row(x + r * cols, y + r * cols, cols, mean, 1.0f / std::sqrt(var + eps),
                          gamma, beta);
        }
    }

    // x, y: [rows, cols]
    void rms_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps,
                  const float* gamma) override {
#pragma omp parallel for if (rows * cols > kParallelMin)
        for (int64_t r = 0; r < rows; ++r) {
            const float* xr = x + r * cols;
            float* yr = y + r * cols;
            double ss = 0.0;
#pragma omp simd reduction(+ : ss)
            for (int64_t c = 0; c < cols; ++c) ss += double(xr[c]) * xr[c];
            const float inv = float(1.0 / std::sqrt(ss / double(cols) + eps));
            normalize_row(xr, yr, cols, 0.0f, inv, gamma, nullptr);
        }
    }

    // x: [B, L, C], shift/scale: [B, C]
    void modulate(float* x, const float* shift, const float* scale,
                  int64_t B, int64_t L, int64_t C) override {
#pragma omp parallel for if (B * L * C > kParallelMin)
        for (int64_t r = 0; r < B * L; ++r) {
            float* xr = x + r * C;
            const float* sh = shift + (r / L) * C;
            const float* sc = scale + (r / L) * C;
            for (int64_t c = 0; c < C; ++c) xr[c] = xr[c] * (1.0f + sc[c]) + sh[c];
        }
    }

    // x, y: [B, L, C], gate: [B, C]
    void add_gated(float* x, const float* y, const float* gate,
                   int64_t B, int64_t L, int64_t C) override {
#pragma omp parallel for if (B * L * C > kParallelMin)
        for (int64_t r = 0; r < B * L; ++r) {
            float* xr = x + r * C;
            const float* yr = y + r * C;
            if (gate) {
                const float* g = gate + (r / L) * C;
                for (int64_t c = 0; c < C; ++c) xr[c] += g[c] * yr[c];
            } else {
                for (int64_t c = 0; c < C; ++c) xr[c] += yr[c];
            }
        }
    }

    // 0.5x(1 + tanh(u)) = x · sigmoid(2u), u = sqrt(2/pi)(x + 0.044715x³): one exp, no overflow.
    void gelu_tanh(float* x, int64_t n) override {
        constexpr float k2 = 2.0f * 0.7978845608028654f;
#pragma omp parallel for simd if (n > kParallelMin)
        for (int64_t i = 0; i < n; ++i) {
            const float v = x[i];
            x[i] = v / (1.0f + exp_fast(-k2 * (v + 0.044715f * v * v * v)));
        }
    }

    void silu(float* x, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelMin)
        for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + exp_fast(-x[i]));
    }

    void mul(float* x, const float* y, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelMin)
        for (int64_t i = 0; i < n; ++i) x[i] *= y[i];
    }

    // x, y: [N, C, HW]; gamma/beta: [C]. Each (n, group) is one contiguous run of C/groups
    // channels.
    void group_norm(const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t groups,
                    float eps, const float* gamma, const float* beta) override {
        const int64_t cpg = C / groups;
#pragma omp parallel for if (N * C * HW > kParallelMin)
        for (int64_t ng = 0; ng < N * groups; ++ng) {
            const int64_t off = ng * cpg * HW;
            float mean, var;
            moments(x + off, cpg * HW, mean, var);
            const float inv = 1.0f / std::sqrt(var + eps);
            for (int64_t i = 0; i < cpg; ++i) {
                const int64_t c = (ng % groups) * cpg + i;
                const float s = inv * (gamma ? gamma[c] : 1.0f);
                const float t = beta ? beta[c] : 0.0f;
                const float* xc = x + off + i * HW;
                float* yc = y + off + i * HW;
                for (int64_t p = 0; p < HW; ++p) yc[p] = (xc[p] - mean) * s + t;
            }
        }
    }

    void conv2d(const Conv2dArgs& a) override { fast_detail::conv2d(a); }

    // x: [N, C, H, W] -> y: [N, C, 2H, 2W]
    void upsample_nearest2x(const float* x, float* y, int64_t N, int64_t C,
                            int64_t H, int64_t W) override {
#pragma omp parallel for if (N * C * H * W > kParallelMin)
        for (int64_t r = 0; r < N * C * H; ++r) {  // one input row -> two output rows
            const float* xr = x + r * W;
            float* y0 = y + r * 4 * W;
            for (int64_t ox = 0; ox < 2 * W; ++ox) y0[ox] = xr[ox / 2];
            std::memcpy(y0 + 2 * W, y0, size_t(2 * W) * sizeof(float));
        }
    }

    // One memcpy a row, rows spread over the threads once the copy is large enough.
    void gather_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                       int64_t n, int64_t B, int64_t C) override {
#pragma omp parallel for if (B * n * C > kParallelMin)
        for (int64_t r = 0; r < B * n; ++r) {
            const int64_t b = r / n, i = r % n;
            std::memcpy(dst + (b * dst_rows + i) * C, src + (b * src_rows + index[i]) * C, size_t(C) * sizeof(float));
        }
    }

    void scatter_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                        int64_t n, int64_t B, int64_t C) override {
#pragma omp parallel for if (B * n * C > kParallelMin)
        for (int64_t r = 0; r < B * n; ++r) {
            const int64_t b = r / n, i = r % n;
            std::memcpy(dst + (b * dst_rows + index[i]) * C, src + (b * src_rows + i) * C, size_t(C) * sizeof(float));
        }
    }

    // ---- issue 21: kernels/cpu/fast_grat_attention.cpp ----
    void grat_attention(const GratAttentionArgs& a) override { grat::fast(a); }

    // ---- Sana (issue 18, part A): kernels/cpu/fast_linear_attention.cpp ----
    void linear_attention(const LinearAttentionArgs& a) override { sana_fast::linear_attention(a); }
    void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t H,
                           int64_t W, int64_t C) override {
        sana_fast::depthwise_conv3x3(x, w, bias, y, B, H, W, C);
    }
    void glu_silu(const float* x, float* y, int64_t M, int64_t C) override { sana_fast::glu_silu(x, y, M, C); }
};

}  // namespace

Backend& fast() {
    static FastBackend backend;
    return backend;
}

}  // namespace dit::kernels
