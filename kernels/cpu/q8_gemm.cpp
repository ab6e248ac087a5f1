#include "kernels/cpu/q8_gemm.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "kernels/cpu/half.h"

namespace dit::kernels {

namespace {

constexpr int64_t kBlock = 32, kBlockBytes = 34;  // Q8_0: f16 scale + 32 int8
// Activation rows per pass: their int16 copy stays in L2 while every weight panel runs over it.
constexpr int64_t kRowChunk = 64;

bool cpu_has_avx2() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
const bool kAvx2 = cpu_has_avx2();
// DIT_INT8=0 starts with the path off: on a CPU where dequantize-then-sgemm is faster (this
// project's AVX2-only VM, docs/benchmarks.md) a user can choose it without rebuilding.
bool enabled_by_environment() {
    const char* v = std::getenv("DIT_INT8");
    return !(v && std::string(v) == "0");
}
std::atomic<bool> enabled{enabled_by_environment()};

float block_scale(const uint8_t* block) {
    uint16_t h;
    std::memcpy(&h, block, 2);
    return half_to_float(h);
}

// The exact integer dot product of two int8 blocks, for the rows the vector kernel leaves over.
// Uninitialised storage that only grows.
template <typename T>
class Scratch {
public:
    T* get(int64_t n) {
        if (n > size_) {
            data_.reset(new T[size_t(n)]);
            size_ = n;
        }
        return data_.get();
    }

private:
    std::unique_ptr<T[]> data_;
    int64_t size_ = 0;
};

int32_t dot_block(const int16_t* x, const uint8_t* w) {
    int32_t s = 0;
    for (int i = 0; i < kBlock; ++i) s += int32_t(x[i]) * int32_t(int8_t(w[i]));
    return s;
}

}  // namespace

// Everything below is compiled for AVX2 whatever the build's -march, and only ever called after
// the CPU said it has AVX2 (a package is built for any x86-64).
#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace {

// One row of activations -> int8 values per 32-value block (absolute maximum / 127, rounded to
// nearest even by the conversion) with one f32 scale each, stored widened to int16 for vpmaddwd.
void quantize_row(const float* x, int64_t K, int16_t* q, float* d) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < K / kBlock; ++b) {
        __m256 v[4], m = _mm256_setzero_ps();
        for (int i = 0; i < 4; ++i) {
            v[i] = _mm256_loadu_ps(x + kBlock * b + 8 * i);
            m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[i]));
        }
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        const float s = _mm_cvtss_f32(h) / 127.0f;
        d[b] = s;
        const __m256 inv = _mm256_set1_ps(s != 0.0f ? 1.0f / s : 0.0f);
        for (int k = 0; k < 4; k += 2) {
            // packs interleaves the two 128-bit halves; the permute restores the order.
            const __m256i p = _mm256_packs_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(v[k], inv)),
                                                 _mm256_cvtps_epi32(_mm256_mul_ps(v[k + 1], inv)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + kBlock * b + 8 * k), _mm256_permute4x64_epi64(p, 0xD8));
        }
    }
}

constexpr int kPanelRows = 32;  // weight rows per panel: four vectors of eight outputs
constexpr int kTileRows = 2;    // activation rows per microkernel call

// A panel of 32 weight rows, widened to int16 and interleaved so one 32-byte load gives the
// same two consecutive k of eight rows: [block][k pair][row][2]. Its scales: [block][row].
void pack_panel(const uint8_t* w, int64_t row_bytes, int64_t nb, int16_t* panel, float* scales) {
    for (int64_t b = 0; b < nb; ++b) {
        for (int r = 0; r < kPanelRows; ++r) {
            const uint8_t* blk = w + r * row_bytes + b * kBlockBytes;
            scales[b * kPanelRows + r] = block_scale(blk);
            for (int kp = 0; kp < kBlock / 2; ++kp) {
                int16_t* dst = panel + ((b * (kBlock / 2) + kp) * kPanelRows + r) * 2;
                dst[0] = int8_t(blk[2 + 2 * kp]);
                dst[1] = int8_t(blk[3 + 2 * kp]);
            }
        }
    }
}

// y[m .. m+rows, 32 outputs] for one panel: per block, each pair of activations (broadcast)
// meets the panel's four eight-row vectors in vpmaddwd; the int32 sums of a block are exact and
// get the two blocks' scales once, in f32. The accumulators are named, not an array, so they stay
// in registers.
template <int kRows>
void tile(const int16_t* xq, const float* xd, int64_t K, const int16_t* panel, const float* scales, const float* bias,
          float* y, int64_t ldy) {
    static_assert(kRows == 1 || kRows == 2);
    const int64_t nb = K / kBlock;
    __m256 out[kRows][4];
    for (int i = 0; i < kRows; ++i)
        for (int v = 0; v < 4; ++v) out[i][v] = bias ? _mm256_loadu_ps(bias + 8 * v) : _mm256_setzero_ps();
    auto pair = [&](int i, int64_t k) {
        int32_t v;
        std::memcpy(&v, xq + i * K + k, 4);
        return _mm256_set1_epi32(v);
    };
    for (int64_t b = 0; b < nb; ++b) {
        __m256i a00 = _mm256_setzero_si256(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
                a13 = a00;
        const int16_t* p = panel + b * (kBlock / 2) * kPanelRows * 2;
        const int64_t k0 = b * kBlock;
        for (int kp = 0; kp < kBlock / 2; ++kp) {
            const __m256i* wp = reinterpret_cast<const __m256i*>(p + kp * kPanelRows * 2);
            if constexpr (kRows == 2) {
                // GCC keeps each product in its own register and copies every accumulator once per
                // step (16 extra moves); written out, a step is 2 broadcasts, 8 multiplies, 8 adds.
                __asm__(
                    "vpbroadcastd (%[x0]), %%ymm0\n\t"
                    "vpbroadcastd (%[x1]), %%ymm1\n\t"
                    "vmovdqu (%[w]), %%ymm2\n\t"
                    "vpmaddwd %%ymm2, %%ymm0, %%ymm3\n\t"
                    "vpaddd %%ymm3, %[a00], %[a00]\n\t"
                    "vpmaddwd %%ymm2, %%ymm1, %%ymm3\n\t"
                    "vpaddd %%ymm3, %[a10], %[a10]\n\t"
                    "vmovdqu 32(%[w]), %%ymm2\n\t"
                    "vpmaddwd %%ymm2, %%ymm0, %%ymm3\n\t"
                    "vpaddd %%ymm3, %[a01], %[a01]\n\t"
                    "vpmaddwd %%ymm2, %%ymm1, %%ymm3\n\t"
                    "vpaddd %%ymm3, %[a11], %[a11]\n\t"
                    "vmovdqu 64(%[w]), %%ymm2\n\t"
                    "vpmaddwd %%ymm2, %%ymm0, %%ymm3\n\t"
                    "vpaddd %%ymm3, %[a02], %[a02]\n\t"
                    "vpmaddwd %%ymm2, %%ymm1, %%ymm3\n\t"
                    "vpaddd %%ymm3, %[a12], %[a12]\n\t"
                    "vmovdqu 96(%[w]), %%ymm2\n\t"
                    "vpmaddwd %%ymm2, %%ymm0, %%ymm3\n\t"
                    "vpaddd %%ymm3, %[a03], %[a03]\n\t"
                    "vpmaddwd %%ymm2, %%ymm1, %%ymm3\n\t"
                    "vpaddd %%ymm3, %[a13], %[a13]\n\t"
                    : [a00] "+x"(a00), [a01] "+x"(a01), [a02] "+x"(a02), [a03] "+x"(a03), [a10] "+x"(a10),
                      [a11] "+x"(a11), [a12] "+x"(a12), [a13] "+x"(a13)
                    : [x0] "r"(xq + k0 + 2 * kp), [x1] "r"(xq + K + k0 + 2 * kp), [w] "r"(wp)
                    : "xmm0", "xmm1", "xmm2", "xmm3", "memory");
                continue;
            }
            const __m256i w0 = _mm256_loadu_si256(wp), w1 = _mm256_loadu_si256(wp + 1), w2 = _mm256_loadu_si256(wp + 2),
                          w3 = _mm256_loadu_si256(wp + 3);
            const __m256i x0 = pair(0, k0 + 2 * kp);
            a00 = _mm256_add_epi32(_mm256_madd_epi16(x0, w0), a00);
            a01 = _mm256_add_epi32(_mm256_madd_epi16(x0, w1), a01);
            a02 = _mm256_add_epi32(_mm256_madd_epi16(x0, w2), a02);
            a03 = _mm256_add_epi32(_mm256_madd_epi16(x0, w3), a03);
            if constexpr (kRows == 2) {
                const __m256i x1 = pair(1, k0 + 2 * kp);
                a10 = _mm256_add_epi32(_mm256_madd_epi16(x1, w0), a10);
                a11 = _mm256_add_epi32(_mm256_madd_epi16(x1, w1), a11);
                a12 = _mm256_add_epi32(_mm256_madd_epi16(x1, w2), a12);
                a13 = _mm256_add_epi32(_mm256_madd_epi16(x1, w3), a13);
            }
        }
        const __m256i acc[2][4] = {{a00, a01, a02, a03}, {a10, a11, a12, a13}};
        for (int i = 0; i < kRows; ++i) {
            const __m256 dx = _mm256_set1_ps(xd[i * nb + b]);
            for (int v = 0; v < 4; ++v)
                out[i][v] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][v]),
                                            _mm256_mul_ps(_mm256_loadu_ps(scales + b * kPanelRows + 8 * v), dx), out[i][v]);
        }
    }
    for (int i = 0; i < kRows; ++i)
        for (int v = 0; v < 4; ++v) _mm256_storeu_ps(y + i * ldy + 8 * v, out[i][v]);
}

void q8_0_linear_avx2(const float* x, const uint8_t* w, const float* bias, float* y, int64_t M, int64_t N,
                      int64_t K) {
    const int64_t nb = K / kBlock, row_bytes = nb * kBlockBytes, panels = N / kPanelRows;
    // Scratch kept per calling thread and only grown: fresh megabytes every call would cost page
    // faults comparable to the multiplication itself.
    thread_local Scratch<int16_t> xq_s, packed_s;
    thread_local Scratch<float> xd_s, wd_s;
    int16_t* xq = xq_s.get(M * K);
    int16_t* packed = packed_s.get(panels * kPanelRows * K);
    float* xd = xd_s.get(M * nb);
    float* wd = wd_s.get(panels * kPanelRows * nb);
    const bool parallel = M * N * K >= (int64_t(1) << 20);
#pragma omp parallel if (parallel)
    {
#pragma omp for schedule(static)
        for (int64_t m = 0; m < M; ++m) quantize_row(x + m * K, K, xq + m * K, xd + m * nb);
#pragma omp for schedule(static)
        for (int64_t g = 0; g < panels; ++g)
            pack_panel(w + g * kPanelRows * row_bytes, row_bytes, nb, packed + g * kPanelRows * K,
                       wd + g * kPanelRows * nb);
        for (int64_t m0 = 0; m0 < M; m0 += kRowChunk) {
            const int64_t m1 = std::min(M, m0 + kRowChunk);
#pragma omp for schedule(static)
            for (int64_t g = 0; g < panels; ++g) {
                const int16_t* panel = packed + g * kPanelRows * K;
                const float* scales = wd + g * kPanelRows * nb;
                const float* bg = bias ? bias + g * kPanelRows : nullptr;
                int64_t m = m0;
                for (; m + kTileRows <= m1; m += kTileRows)
                    tile<kTileRows>(xq + m * K, xd + m * nb, K, panel, scales, bg, y + m * N + g * kPanelRows, N);
                for (; m < m1; ++m)
                    tile<1>(xq + m * K, xd + m * nb, K, panel, scales, bg, y + m * N + g * kPanelRows, N);
            }
        }
        // Rows past the last whole panel: the same exact block sums, one output at a time.
#pragma omp for schedule(static)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t n = panels * kPanelRows; n < N; ++n) {
                float acc = bias ? bias[n] : 0.0f;
                for (int64_t b = 0; b < nb; ++b) {
                    const uint8_t* wb = w + n * row_bytes + b * kBlockBytes;
                    acc += float(dot_block(xq + m * K + kBlock * b, wb + 2)) *
                           (block_scale(wb) * xd[m * nb + b]);
                }
                y[m * N + n] = acc;
            }
    }
}

}  // namespace

#pragma GCC pop_options

const char* int8_path() { return kAvx2 && enabled.load() ? "avx2" : ""; }

void set_int8_enabled(bool on) { enabled.store(on); }

void q8_0_linear(const float* x, const void* w, const float* b, float* y, int64_t M, int64_t N, int64_t K) {
    q8_0_linear_avx2(x, static_cast<const uint8_t*>(w), b, y, M, N, K);
}

}  // namespace dit::kernels
