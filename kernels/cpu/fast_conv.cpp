// conv2d as GEMM: y[n] = w[Cout, Cin·KH·KW] · col[Cin·KH·KW, OH·OW] (+ bias). A 1x1, stride-1,
// unpadded conv needs no im2col (x[n] already is col). Otherwise col is built for a band of
// output rows at a time, so the VAE's 3x3 convs at 512² never need a gigabyte-sized buffer.
#include "kernels/cpu/fast_common.h"

#include <algorithm>
#include <vector>

namespace dit::kernels::fast_detail {
namespace {

constexpr int64_t kColBudget = int64_t(1) << 21;  // floats in one im2col band (8 MB)

thread_local std::vector<float> col_buffer;

// col[(ci, ky, kx), (oy - oy0, ox)] for output rows [oy0, oy0 + rows) of image x: [Cin, H, W]
void im2col(const Conv2dArgs& a, const float* x, int64_t oy0, int64_t rows, float* col) {
    const int64_t OW = a.out_w(), KK = a.KH * a.KW, n = rows * OW;
#pragma omp parallel for if (a.Cin * KK * n > kParallelMin)
    for (int64_t row = 0; row < a.Cin * KK; ++row) {
        const int64_t ci = row / KK, ky = row % KK / a.KW, kx = row % a.KW;
        // output columns whose input column ox*stride + kx - pad_left lies inside [0, W)
        const int64_t lo = std::clamp<int64_t>((a.pad_left - kx + a.stride - 1) / a.stride, 0, OW);
        const int64_t hi = std::clamp<int64_t>(
            a.W - 1 + a.pad_left - kx < 0 ? 0 : (a.W - 1 + a.pad_left - kx) / a.stride + 1, lo, OW);
        for (int64_t r = 0; r < rows; ++r) {
            float* c = col + row * n + r * OW;
            const int64_t iy = (oy0 + r) * a.stride + ky - a.pad_top;
            if (iy < 0 || iy >= a.H) {
                std::fill(c, c + OW, 0.0f);
                continue;
            }
            const float* xr = x + (ci * a.H + iy) * a.W;
            std::fill(c, c + lo, 0.0f);
            for (int64_t ox = lo; ox < hi; ++ox) c[ox] = xr[ox * a.stride + kx - a.pad_left];
            std::fill(c + hi, c + OW, 0.0f);
        }
    }
}

}  // namespace

// x: [N, Cin, H, W], w: [Cout, Cin, KH, KW] -> y: [N, Cout, OH, OW]
void conv2d(const Conv2dArgs& a) {
    const int64_t OH = a.out_h(), OW = a.out_w(), P = OH * OW, K = a.Cin * a.KH * a.KW;
    const bool pointwise = a.KH == 1 && a.KW == 1 && a.stride == 1 && a.pad_top == 0 &&
                           a.pad_bottom == 0 && a.pad_left == 0 && a.pad_right == 0;
    const int64_t band = std::clamp<int64_t>(kColBudget / std::max<int64_t>(K * OW, 1), 1, OH);
    if (!pointwise && col_buffer.size() < size_t(K * band * OW)) col_buffer.resize(K * band * OW);
    for (int64_t n = 0; n < a.N; ++n) {
        const float* x = a.x + n * a.Cin * a.H * a.W;
        float* y = a.y + n * a.Cout * P;
        if (a.b) {  // start at the bias; sgemm accumulates onto it (beta = 1)
#pragma omp parallel for if (a.Cout * P > kParallelMin)
            for (int64_t co = 0; co < a.Cout; ++co) std::fill(y + co * P, y + co * P + P, a.b[co]);
        }
        const float beta = a.b ? 1.0f : 0.0f;
        if (pointwise) {
            gemm(false, a.Cout, P, K, a.w, K, x, P, beta, y, P);
            continue;
        }
        for (int64_t oy0 = 0; oy0 < OH; oy0 += band) {
            const int64_t rows = std::min(band, OH - oy0), cols = rows * OW;
            im2col(a, x, oy0, rows, col_buffer.data());
            gemm(false, a.Cout, cols, K, a.w, K, col_buffer.data(), cols, beta, y + oy0 * OW, P);
        }
    }
}

}  // namespace dit::kernels::fast_detail
