// The reference backend: the plainest loop for each op, accumulating in double, so a reader can
// check it against the formula at a glance. Every other backend is tested against this one.
#include "kernels/cpu/host_backend.h"
#include "kernels/cpu/grat_attention.h"
#include "kernels/cpu/linear_attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace dit::kernels {
namespace {

class ReferenceBackend final : public HostBackend {
public:
    const char* name() const override { return "reference"; }

    // x: [M, K], w: [N, K], b: [N] -> y: [M, N]
    void linear(const float* x, const float* w, const float* b, float* y,
                int64_t M, int64_t N, int64_t K) override {
        for (int64_t m = 0; m < M; ++m)
            for (int64_t n = 0; n < N; ++n) {
                double acc = b ? b[n] : 0.0;
                for (int64_t k = 0; k < K; ++k) acc += double(x[m * K + k]) * w[n * K + k];
                y[m * N + n] = float(acc);
            }
    }

    // The same sums on w's rows widened one at a time.
    void linear(const float* x, WeightRef w, const float* b, float* y,
                int64_t M, int64_t N, int64_t K) override {
        std::vector<float> row(size_t(std::max<int64_t>(K, 1)));
        for (int64_t n = 0; n < N; ++n) {
            to_f32(w, n * K, K, row.data());
            for (int64_t m = 0; m < M; ++m) {
                double acc = b ? b[n] : 0.0;
                for (int64_t k = 0; k < K; ++k) acc += double(x[m * K + k]) * row[k];
                y[m * N + n] = float(acc);
            }
        }
    }

    // q: [B, Lq, H*D], k/v: [B, Lk, H*D] -> out: [B, Lq, H*D]
    void attention(const AttentionArgs& a) override {
        std::vector<double> s(size_t(std::max<int64_t>(a.Lk, 1)));
        std::vector<char> seen(size_t(std::max<int64_t>(a.Lk, 1)), 1);  // key j visible to this query
        const bool grouped = a.query_group && a.key_group;
        for (int64_t b = 0; b < a.B; ++b)
            for (int64_t h = 0; h < a.H; ++h)
                for (int64_t i = 0; i < a.Lq; ++i) {
                    const float* q = a.q + (b * a.Lq + i) * a.ldq + h * a.D;
                    float* o = a.out + (b * a.Lq + i) * a.ldo + h * a.D;
                    bool any = !grouped && a.Lk > 0;
                    if (grouped) {
                        const int32_t qg = a.query_group[b * a.Lq + i];
                        for (int64_t j = 0; j < a.Lk; ++j) {
                            const int32_t kg = a.key_group[b * a.Lk + j];
                            seen[j] = kg == 0 || kg == qg;
                            any = any || seen[j];
                        }
                    }
                    if (!any) {  // a query that sees no key at all: zeros, by definition (ops.h)
                        std::fill(o, o + a.D, 0.0f);
                        continue;
                    }
                    double mx = -INFINITY;
                    for (int64_t j = 0; j < a.Lk; ++j) {
                        if (!seen[j]) {
                            s[j] = 0.0;
                            continue;
                        }
                        const float* k = a.k + (b * a.Lk + j) * a.ldk + h * a.D;
                        double dot = 0.0;
                        for (int64_t d = 0; d < a.D; ++d) dot += double(q[d]) * k[d];
                        // The score is rounded to f32 before the biases are added, as PyTorch
                        // does, so a huge mask constant swamps the raw score identically.
                        float sc = float(a.scale * dot);
                        if (a.position_bias) sc += a.position_bias[(h * a.Lq + i) * a.Lk + j];
                        if (a.key_bias) sc += a.key_bias[b * a.Lk + j];
                        s[j] = sc;
                        mx = std::max(mx, s[j]);
                    }
                    double sum = 0.0;
                    for (int64_t j = 0; j < a.Lk; ++j)
                        if (seen[j]) sum += (s[j] = std::exp(s[j] - mx));  // unseen keys keep weight 0
                    for (int64_t d = 0; d < a.D; ++d) {
                        double acc = 0.0;
                        for (int64_t j = 0; j < a.Lk; ++j)
                            acc += s[j] * a.v[(b * a.Lk + j) * a.ldv + h * a.D + d];
                        o[d] = float(acc / sum);
                    }
                }
    }

    // x, y: [rows, cols]
    void layer_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps,
                    const float* gamma, const float* beta) override {
        for (int64_t r = 0; r < rows; ++r) {
            const float* xr = x + r * cols;
            float* yr = y + r * cols;
            double mean = 0.0, var = 0.0;
            for (int64_t c = 0; c < cols; ++c) mean += xr[c];
            mean /= double(cols);
            for (int64_t c = 0; c < cols; ++c) var += (xr[c] - mean) * (xr[c] - mean);
            var /= double(cols);  // biased, as torch.nn.LayerNorm
            const double inv = 1.0 / std::sqrt(var + eps);
            for (int64_t c = 0; c < cols; ++c) {
                double v = (xr[c] - mean) * inv;
                if (gamma) v *= gamma[c];
                if (beta) v += beta[c];
                yr[c] = float(v);
            }
        }
    }

    // x, y: [rows, cols]
    void rms_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps,
                  const float* gamma) override {
        for (int64_t r = 0; r < rows; ++r) {
            const float* xr = x + r * cols;
            float* yr = y + r * cols;
            double ms = 0.0;
            for (int64_t c = 0; c < cols; ++c) ms += double(xr[c]) * xr[c];
            const double inv = 1.0 / std::sqrt(ms / double(cols) + eps);
            for (int64_t c = 0; c < cols; ++c) yr[c] = float(xr[c] * inv * (gamma ? gamma[c] : 1.f));
        }
    }

    // x: [B, L, C], shift/scale: [B, C]
    void modulate(float* x, const float* shift, const float* scale,
                  int64_t B, int64_t L, int64_t C) override {
        for (int64_t b = 0; b < B; ++b)
            for (int64_t l = 0; l < L; ++l)
                for (int64_t c = 0; c < C; ++c) {
                    float& v = x[(b * L + l) * C + c];
                    v = v * (1.f + scale[b * C + c]) + shift[b * C + c];
                }
    }

    // x, y: [B, L, C], gate: [B, C]
    void add_gated(float* x, const float* y, const float* gate,
                   int64_t B, int64_t L, int64_t C) override {
        for (int64_t b = 0; b < B; ++b)
            for (int64_t l = 0; l < L; ++l)
                for (int64_t c = 0; c < C; ++c) {
                    const int64_t i = (b * L + l) * C + c;
                    x[i] += (gate ? gate[b * C + c] : 1.f) * y[i];
                }
    }

    void gelu_tanh(float* x, int64_t n) override {
        const double k = std::sqrt(2.0 / M_PI);
        for (int64_t i = 0; i < n; ++i) {
            const double v = x[i];
            x[i] = float(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
        }
    }

    void silu(float* x, int64_t n) override {
        for (int64_t i = 0; i < n; ++i) x[i] = float(x[i] / (1.0 + std::exp(-double(x[i]))));
    }

    void mul(float* x, const float* y, int64_t n) override {
        for (int64_t i = 0; i < n; ++i) x[i] *= y[i];
    }

    // x, y: [N, C, HW]; gamma/beta: [C]
    void group_norm(const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t groups,
                    float eps, const float* gamma, const float* beta) override {
        const int64_t cpg = C / groups, len = cpg * HW;
        for (int64_t n = 0; n < N; ++n)
            for (int64_t g = 0; g < groups; ++g) {
                const int64_t off = (n * C + g * cpg) * HW;  // a group is contiguous
                double mean = 0.0, var = 0.0;
                for (int64_t i = 0; i < len; ++i) mean += x[off + i];
                mean /= double(len);
                for (int64_t i = 0; i < len; ++i) var += (x[off + i] - mean) * (x[off + i] - mean);
                var /= double(len);
                const double inv = 1.0 / std::sqrt(var + eps);
                for (int64_t i = 0; i < len; ++i) {
                    const int64_t c = g * cpg + i / HW;
                    double v = (x[off + i] - mean) * inv;
                    if (gamma) v *= gamma[c];
                    if (beta) v += beta[c];
                    y[off + i] = float(v);
                }
            }
    }

    // x: [N, Cin, H, W], w: [Cout, Cin, KH, KW] -> y: [N, Cout, OH, OW]
    void conv2d(const Conv2dArgs& a) override {
        const int64_t OH = a.out_h(), OW = a.out_w();
        for (int64_t n = 0; n < a.N; ++n)
            for (int64_t co = 0; co < a.Cout; ++co)
                for (int64_t oy = 0; oy < OH; ++oy)
                    for (int64_t ox = 0; ox < OW; ++ox) {
                        double acc = a.b ? a.b[co] : 0.0;
                        for (int64_t ci = 0; ci < a.Cin; ++ci)
                            for (int64_t ky = 0; ky < a.KH; ++ky)
                                for (int64_t kx = 0; kx < a.KW; ++kx) {
                                    const int64_t iy = oy * a.stride + ky - a.pad_top;
                                    const int64_t ix = ox * a.stride + kx - a.pad_left;
                                    if (iy < 0 || iy >= a.H || ix < 0 || ix >= a.W) continue;
                                    acc += double(a.x[((n * a.Cin + ci) * a.H + iy) * a.W + ix]) *
                                           a.w[((co * a.Cin + ci) * a.KH + ky) * a.KW + kx];
                                }
                        a.y[((n * a.Cout + co) * OH + oy) * OW + ox] = float(acc);
                    }
    }

    // x: [N, C, H, W] -> y: [N, C, 2H, 2W]
    void upsample_nearest2x(const float* x, float* y, int64_t N, int64_t C,
                            int64_t H, int64_t W) override {
        for (int64_t p = 0; p < N * C; ++p)
            for (int64_t oy = 0; oy < 2 * H; ++oy)
                for (int64_t ox = 0; ox < 2 * W; ++ox)
                    y[(p * 2 * H + oy) * 2 * W + ox] = x[(p * H + oy / 2) * W + ox / 2];
    }

    void gather_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                       int64_t n, int64_t B, int64_t C) override {
        for (int64_t b = 0; b < B; ++b)
            for (int64_t i = 0; i < n; ++i)
                for (int64_t c = 0; c < C; ++c)
                    dst[(b * dst_rows + i) * C + c] = src[(b * src_rows + index[i]) * C + c];
    }

    void scatter_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                        int64_t n, int64_t B, int64_t C) override {
        for (int64_t b = 0; b < B; ++b)
            for (int64_t i = 0; i < n; ++i)
                for (int64_t c = 0; c < C; ++c)
                    dst[(b * dst_rows + index[i]) * C + c] = src[(b * src_rows + i) * C + c];
    }

    // ---- issue 21: kernels/cpu/grat_attention.cpp ----
    void grat_attention(const GratAttentionArgs& a) override { grat::reference(a); }

    // ---- Sana (issue 18, part A): kernels/cpu/linear_attention.cpp ----
    void linear_attention(const LinearAttentionArgs& a) override { sana_reference::linear_attention(a); }
    void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t H,
                           int64_t W, int64_t C) override {
        sana_reference::depthwise_conv3x3(x, w, bias, y, B, H, W, C);
    }
    void glu_silu(const float* x, float* y, int64_t M, int64_t C) override { sana_reference::glu_silu(x, y, M, C); }
};

}  // namespace

Backend& reference() {
    static ReferenceBackend backend;
    return backend;
}

}  // namespace dit::kernels
