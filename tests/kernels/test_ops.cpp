// The CPU kernels: reference() against hand-computed values, then fast() against reference() op
// by op on random inputs (fixed seeds) of odd and DiT-sized shapes.
//
// Tolerances are relative to the output's magnitude (max |reference|):
//   exact-arithmetic ops (mul, upsample)                      0
//   one-rounding elementwise ops (modulate, add_gated)         1e-6  (FMA contraction)
//   exp-based elementwise ops (gelu_tanh, silu)                1e-5  (fast exp, ~2 ulp)
//   norms (layer, rms, group)                                  1e-5
//   GEMM-based ops (linear, conv2d) and attention              1e-4  (f32 sums in another order)
#include "kernels/cpu/ops.h"
#include "tests/common/random_data.h"

#include <QtTest>

#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

using namespace dit::kernels;
using dit::testing::random_vec;

namespace {

// Fails unless max |got - want| <= tol * max |want|; prints the error either way.
bool close(const QString& what, const std::vector<float>& got, const std::vector<float>& want,
           double tol) {
    double err = 0.0, mag = 0.0;
    bool finite = got.size() == want.size();
    for (size_t i = 0; finite && i < got.size(); ++i) {
        finite = std::isfinite(got[i]);
        err = std::max(err, double(std::fabs(got[i] - want[i])));
        mag = std::max(mag, double(std::fabs(want[i])));
    }
    const double bound = tol * std::max(mag, 1e-30);
    qInfo("%-48s max abs err %.3g (output magnitude %.3g, bound %.3g)", qPrintable(what), err, mag,
          bound);
    return finite && err <= bound;
}

#define CHECK_CLOSE(what, got, want, tol) \
    QVERIFY2(close(what, got, want, tol), qPrintable(QString(what) + ": fast differs from reference"))

// Known values: checks reference() itself to ~1e-6.
#define CHECK_VALUES(what, got, ...)                                                           \
    do {                                                                                       \
        const std::vector<float> want_{__VA_ARGS__};                                           \
        QCOMPARE(got.size(), want_.size());                                                    \
        for (size_t i_ = 0; i_ < want_.size(); ++i_)                                           \
            QVERIFY2(std::fabs(got[i_] - want_[i_]) <= 1e-6f * std::max(1.0f, std::fabs(want_[i_])), \
                     qPrintable(QString("%1[%2]: %3, expected %4")                             \
                                    .arg(what).arg(i_).arg(got[i_], 0, 'g', 9).arg(want_[i_], 0, 'g', 9))); \
    } while (0)

struct AttnCase {
    int64_t B, H, Lq, Lk, D;
    bool position_bias, key_bias;
    int64_t extra_stride;  // q/k/v/out rows padded by this many floats (a fused QKV buffer)
};

std::vector<float> run_attention(Backend& be, const AttnCase& c, uint32_t seed) {
    const int64_t C = c.H * c.D, ld = C + c.extra_stride;
    auto q = random_vec(size_t(c.B * c.Lq * ld), seed, -2, 2);
    auto k = random_vec(size_t(c.B * c.Lk * ld), seed + 1, -2, 2);
    auto v = random_vec(size_t(c.B * c.Lk * ld), seed + 2);
    auto pb = random_vec(size_t(c.H * c.Lq * c.Lk), seed + 3, -3, 3);
    // A moderate per-key bias everywhere; batch 0 also drops every third key; the last batch
    // drops all of them, with the value transformers' T5 uses (finfo(float32).min), which must
    // still give finite output.
    auto kb = random_vec(size_t(c.B * c.Lk), seed + 4, -2, 2);
    for (int64_t j = 0; j < c.Lk; ++j) {
        if (j % 3 == 2) kb[j] = -1e9f;
        if (c.B > 1) kb[(c.B - 1) * c.Lk + j] = -FLT_MAX;
    }
    std::vector<float> out(size_t(c.B * c.Lq * ld), 0.0f);
    AttentionArgs a;
    a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out.data();
    a.B = c.B, a.Lq = c.Lq, a.Lk = c.Lk, a.H = c.H, a.D = c.D;
    a.ldq = a.ldk = a.ldv = a.ldo = ld;
    a.scale = 1.0f / std::sqrt(float(c.D));
    a.position_bias = c.position_bias ? pb.data() : nullptr;
    a.key_bias = c.key_bias ? kb.data() : nullptr;
    be.attention(a);
    return out;
}

std::vector<float> run_conv(Backend& be, Conv2dArgs a, bool bias, uint32_t seed) {
    auto x = random_vec(size_t(a.N * a.Cin * a.H * a.W), seed);
    auto w = random_vec(size_t(a.Cout * a.Cin * a.KH * a.KW), seed + 1);
    auto b = random_vec(size_t(a.Cout), seed + 2);
    std::vector<float> y(size_t(a.N * a.Cout * a.out_h() * a.out_w()), NAN);
    a.x = x.data(), a.w = w.data(), a.b = bias ? b.data() : nullptr, a.y = y.data();
    be.conv2d(a);
    return y;
}

Conv2dArgs conv_shape(int64_t N, int64_t Cin, int64_t H, int64_t W, int64_t Cout, int64_t K,
                      int64_t stride, int64_t pt, int64_t pb, int64_t pl, int64_t pr) {
    Conv2dArgs a;
    a.N = N, a.Cin = Cin, a.H = H, a.W = W, a.Cout = Cout, a.KH = a.KW = K, a.stride = stride;
    a.pad_top = pt, a.pad_bottom = pb, a.pad_left = pl, a.pad_right = pr;
    return a;
}

}  // namespace

class TestOps : public QObject {
    Q_OBJECT

private slots:
    // kernels/openmp_wait_policy.cpp: every program with the fast kernels lets OpenMP's idle
    // threads sleep, set before libgomp reads its environment (CTest sets no policy itself).
    void openmp_threads_wait_passively() {
        QCOMPARE(qgetenv("OMP_WAIT_POLICY"), QByteArray("passive"));
    }

    // ---- reference() against values worked out by hand ----

    void referenceLinear() {
        const std::vector<float> x{1, 2}, w{1, 0, 0, 1, 1, 1}, b{0, 0, 1};
        std::vector<float> y(3);
        reference().linear(x.data(), w.data(), b.data(), y.data(), 1, 3, 2);
        CHECK_VALUES("linear", y, 1, 2, 4);
    }

    void referenceAttention() {
        // q = 0: equal scores, so the output is the mean of v
        const std::vector<float> q{0, 0}, k{1, 2, 3, 4, 5, 6}, v{1, 10, 2, 20, 6, 60};
        std::vector<float> out(2);
        AttentionArgs a;
        a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out.data();
        a.B = 1, a.Lq = 1, a.Lk = 3, a.H = 1, a.D = 2, a.ldq = a.ldk = a.ldv = a.ldo = 2;
        reference().attention(a);
        CHECK_VALUES("attention, equal scores", out, 3, 30);
        // position bias [0, ln 3, -inf-ish]: weights 1/4, 3/4, 0
        const std::vector<float> pb{0, std::log(3.0f), -1e9f};
        a.position_bias = pb.data();
        reference().attention(a);
        CHECK_VALUES("attention, position bias", out, 1.75f, 17.5f);
        // key bias dropping keys 0 and 1 leaves v[2]; dropping all three keeps the row finite
        const std::vector<float> kb{-1e9f, -1e9f, 0}, all{-FLT_MAX, -FLT_MAX, -FLT_MAX};
        a.position_bias = nullptr, a.key_bias = kb.data();
        reference().attention(a);
        CHECK_VALUES("attention, key bias", out, 6, 60);
        a.key_bias = all.data();
        reference().attention(a);
        CHECK_VALUES("attention, all keys dropped", out, 3, 30);
        // two heads, scale: q·k = 1·2 = 2 vs 0 -> softmax weights of e^(2·0.5)
        const std::vector<float> q2{1, 0}, k2{2, 0, 0, 0}, v2{1, 0, 0, 1};
        a.q = q2.data(), a.k = k2.data(), a.v = v2.data(), a.key_bias = nullptr;
        a.Lk = 2, a.H = 2, a.D = 1, a.scale = 0.5f;
        reference().attention(a);
        const float w0 = float(std::exp(1.0) / (std::exp(1.0) + 1.0));
        CHECK_VALUES("attention, two heads", out, w0, 0.5f);
    }

    void referenceNorms() {
        const std::vector<float> x{1, 2, 3, 4};
        std::vector<float> y(4);
        reference().layer_norm(x.data(), y.data(), 1, 4, 0.0f, nullptr, nullptr);
        CHECK_VALUES("layer_norm", y, -1.34164079f, -0.447213595f, 0.447213595f, 1.34164079f);
        // rows [1,2] and [3,4] both normalise to [-1, 1]
        const std::vector<float> g2{1, 2}, b2{0.5f, -1};
        reference().layer_norm(x.data(), y.data(), 2, 2, 0.0f, g2.data(), b2.data());
        CHECK_VALUES("layer_norm, affine", y, -0.5f, 1, -0.5f, 1);
        reference().rms_norm(x.data(), y.data(), 2, 2, 0.0f, g2.data());
        // rows [1,2], [3,4]: rms sqrt(2.5), sqrt(12.5)
        CHECK_VALUES("rms_norm", y, 0.632455532f, 2.52982213f, 0.848528137f, 2.26274170f);
        // one group over both channels: the layer_norm values, then per-channel affine
        const std::vector<float> g{1, 2}, b{0, 1};
        reference().group_norm(x.data(), y.data(), 1, 2, 2, 1, 0.0f, g.data(), b.data());
        CHECK_VALUES("group_norm", y, -1.34164079f, -0.447213595f, 1.89442719f, 3.68328157f);
        reference().group_norm(x.data(), y.data(), 1, 2, 2, 2, 0.0f, nullptr, nullptr);
        CHECK_VALUES("group_norm, 2 groups", y, -1, 1, -1, 1);
    }

    void referenceElementwise() {
        std::vector<float> x{1.0f, 0.0f, -1.0f, 3.0f};
        reference().gelu_tanh(x.data(), 4);
        CHECK_VALUES("gelu_tanh", x, 0.841191991f, 0.0f, -0.158808009f, 2.99636261f);
        x = {1.0f, 0.0f, -1.0f, 3.0f};
        reference().silu(x.data(), 4);
        CHECK_VALUES("silu", x, 0.731058579f, 0.0f, -0.268941421f, 2.85772238f);
        const std::vector<float> y{2, 3, 4, 5};
        x = {1, 2, 3, 4};
        reference().mul(x.data(), y.data(), 4);
        CHECK_VALUES("mul", x, 2, 6, 12, 20);
        // B = 2, L = 1, C = 2
        const std::vector<float> shift{1, 2, 3, 4}, scale{0, 1, -1, 0.5f};
        x = {1, 2, 3, 4};
        reference().modulate(x.data(), shift.data(), scale.data(), 2, 1, 2);
        CHECK_VALUES("modulate", x, 2, 6, 3, 10);
        x = {1, 2, 3, 4};
        reference().add_gated(x.data(), y.data(), scale.data(), 2, 1, 2);
        CHECK_VALUES("add_gated", x, 1, 5, -1, 6.5f);
        x = {1, 2, 3, 4};
        reference().add_gated(x.data(), y.data(), nullptr, 2, 1, 2);
        CHECK_VALUES("add_gated, no gate", x, 3, 5, 7, 9);
        const std::vector<float> img{1, 2, 3, 4, 5, 6};  // [1, 1, 2, 3]
        std::vector<float> up(24);
        reference().upsample_nearest2x(img.data(), up.data(), 1, 1, 2, 3);
        CHECK_VALUES("upsample_nearest2x", up, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3,
                     4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6);
    }

    void referenceConv2d() {
        std::vector<float> x(16), w(9, 1.0f), b{0.5f};
        for (int i = 0; i < 16; ++i) x[size_t(i)] = float(i + 1);  // 4x4 image of 1..16
        // 3x3 box sum, pad 1: corners, edges and centres of the 4x4
        Conv2dArgs a = conv_shape(1, 1, 4, 4, 1, 3, 1, 1, 1, 1, 1);
        std::vector<float> y(16);
        a.x = x.data(), a.w = w.data(), a.y = y.data();
        reference().conv2d(a);
        CHECK_VALUES("conv2d 3x3 pad 1", y, 14, 24, 30, 22, 33, 54, 63, 45, 57, 90, 99, 69,
                     46, 72, 78, 54);
        // stride 2, pad (top 0, bottom 1, left 0, right 1), with bias
        a = conv_shape(1, 1, 4, 4, 1, 3, 2, 0, 1, 0, 1);
        a.x = x.data(), a.w = w.data(), a.b = b.data(), a.y = y.data();
        y.assign(4, 0);
        reference().conv2d(a);
        CHECK_VALUES("conv2d stride 2 pad (0,1,0,1)", y, 54.5f, 45.5f, 72.5f, 54.5f);
        // 1x1 over 2 input channels: y = 2·x0 - x1
        const std::vector<float> x2{1, 2, 3, 10, 20, 30}, w2{2, -1};
        a = conv_shape(1, 2, 1, 3, 1, 1, 1, 0, 0, 0, 0);
        a.x = x2.data(), a.w = w2.data(), a.y = y.data();
        y.assign(3, 0);
        reference().conv2d(a);
        CHECK_VALUES("conv2d 1x1", y, -8, -16, -24);
    }

    // ---- fast() against reference() ----

    // The layout ops, shared by both CPU backends, on values small enough to follow by hand.
    void referenceLayout() {
        Backend& r = reference();
        // x: [1, 2, 2, 4] (C=2, H=2, W=4), p = 2 -> 2 tokens of C*p*p = 8 in (c, ky, kx) order
        std::vector<float> x(16), patches(16), back(16);
        for (int i = 0; i < 16; ++i) x[size_t(i)] = float(i);
        r.patchify(x.data(), patches.data(), 1, 2, 2, 4, 2);
        CHECK_VALUES("patchify", patches, 0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
        // unpatchify reads (py, px, c) order: token 0 = [py0px0: c0 c1, py0px1: ..., ...]
        r.unpatchify(x.data(), back.data(), 1, 2, 2, 4, 2);
        CHECK_VALUES("unpatchify", back, 0, 2, 8, 10, 4, 6, 12, 14, 1, 3, 9, 11, 5, 7, 13, 15);
        std::vector<float> t(6);
        r.transpose(x.data(), t.data(), 1, 2, 3);  // [[0 1 2] [3 4 5]] -> [[0 3] [1 4] [2 5]]
        CHECK_VALUES("transpose", t, 0, 3, 1, 4, 2, 5);
        // adaLN: table [2, 2], emb [B=2, J*D = 4] -> out [J, B, D]
        const std::vector<float> table{1, 2, 3, 4}, emb{10, 20, 30, 40, 50, 60, 70, 80};
        std::vector<float> mods(8);
        r.adaln_modulation(table.data(), emb.data(), mods.data(), 2, 2, 2);
        CHECK_VALUES("adaln_modulation", mods, 11, 22, 51, 62, 33, 44, 73, 84);
        std::vector<float> y{1, -2};
        r.affine(y.data(), 2, 0.5f, 1.0f);
        CHECK_VALUES("affine", y, 1.5f, 0.0f);
    }

    void fastLinear() {
        const int64_t shapes[][3] = {{1, 7, 13}, {33, 100, 77}, {64, 1000, 300}, {256, 1152, 1152}, {300, 64, 4}};
        uint32_t seed = 10;
        for (const auto& s : shapes) {
            const int64_t M = s[0], N = s[1], K = s[2];
            auto x = random_vec(size_t(M * K), seed++), w = random_vec(size_t(N * K), seed++);
            auto b = random_vec(size_t(N), seed++);
            for (bool bias : {true, false}) {
                std::vector<float> want(size_t(M * N)), got(size_t(M * N), NAN);
                reference().linear(x.data(), w.data(), bias ? b.data() : nullptr, want.data(), M, N, K);
                fast().linear(x.data(), w.data(), bias ? b.data() : nullptr, got.data(), M, N, K);
                CHECK_CLOSE(QString("linear M=%1 N=%2 K=%3%4").arg(M).arg(N).arg(K)
                                .arg(bias ? " +bias" : ""), got, want, 1e-4);
            }
        }
    }

    // ---- linear on f16/bf16 weights (WeightRef): widened as it goes ----

    void halfConversions() {
        // Every bf16 pattern widens exactly (bits << 16) and rounds back to itself; f32 -> bf16
        // rounds to nearest even, as torch's .bfloat16(). Tolerance: exact. (Every f16 pattern
        // is checked in tests/engine/test_loaders.)
        int bad = 0;
        for (uint32_t b = 0; b < 65536; ++b) {
            const float f = bf16_to_float(uint16_t(b));
            if (float_to_bits(f) != b << 16) ++bad;
            if (!std::isnan(f) && float_to_bf16(f) != b) ++bad;
        }
        QVERIFY2(bad == 0, qPrintable(QString("%1 of 65536 bf16 patterns wrong").arg(bad)));
        QCOMPARE(float_to_bf16(bits_to_float(0x3f808000u)), uint16_t(0x3f80));  // tie -> even
        QCOMPARE(float_to_bf16(bits_to_float(0x3f818000u)), uint16_t(0x3f82));  // tie -> even (up)
        QCOMPARE(float_to_bf16(bits_to_float(0x3f808001u)), uint16_t(0x3f81));  // above the tie
        QVERIFY(std::isnan(bf16_to_float(float_to_bf16(NAN))));
    }

    void halfLinear() {
        // Weights rounded to f16/bf16, stored as 2-byte patterns and read through a WeightRef,
        // against linear() on the same values widened up front:
        //   reference, half vs widened: exact (the same double sums on the same values);
        //   fast, half vs widened: exact while a thread's column slice is one widened panel (the
        //     same sgemm calls on the same values: any DiT-sized matrix); 1e-5 relative once a
        //     slice takes several panels (OpenBLAS then blocks the columns differently);
        //   fast half vs reference half: 1e-4 relative, as for every GEMM.
        // K = 8192 makes the fast path widen 512-row panels, several per thread's slice.
        const int64_t shapes[][3] = {{1, 7, 13}, {33, 100, 77}, {64, 1000, 300}, {8, 2100, 8192}};
        // Panels hold 16 MiB of f32 (fast.cpp): whole slices of the first three shapes, 512 of
        // the last one's 1056-row slices.
        const auto several_panels = [](int64_t K) { return K == 8192; };
        uint32_t seed = 90;
        for (const DType dt : {DType::F16, DType::BF16}) {
            for (const auto& s : shapes) {
                const int64_t M = s[0], N = s[1], K = s[2];
                auto x = random_vec(size_t(M * K), seed++), w = random_vec(size_t(N * K), seed++);
                auto b = random_vec(size_t(N), seed++);
                std::vector<uint16_t> bits(w.size());
                for (size_t i = 0; i < w.size(); ++i)
                    bits[i] = dt == DType::F16 ? float_to_half(w[i]) : float_to_bf16(w[i]);
                std::vector<float> widened(w.size());
                to_f32(bits.data(), dt, widened.data(), int64_t(w.size()));
                const WeightRef ref{bits.data(), dt};
                const QString what = QString("%1 linear M=%2 N=%3 K=%4").arg(dtype_name(dt)).arg(M).arg(N).arg(K);
                for (bool bias : {true, false}) {
                    const float* bp = bias ? b.data() : nullptr;
                    std::vector<float> ref_half(size_t(M * N), NAN), ref_wide(size_t(M * N), NAN);
                    std::vector<float> fast_half(size_t(M * N), NAN), fast_wide(size_t(M * N), NAN);
                    reference().linear(x.data(), ref, bp, ref_half.data(), M, N, K);
                    reference().linear(x.data(), widened.data(), bp, ref_wide.data(), M, N, K);
                    fast().linear(x.data(), ref, bp, fast_half.data(), M, N, K);
                    fast().linear(x.data(), widened.data(), bp, fast_wide.data(), M, N, K);
                    const QString w2 = what + (bias ? " +bias" : "");
                    QVERIFY2(ref_half == ref_wide, qPrintable(w2 + ": reference differs from widened"));
                    if (!several_panels(K))
                        QVERIFY2(fast_half == fast_wide, qPrintable(w2 + ": fast differs from widened"));
                    else
                        CHECK_CLOSE(w2 + " vs widened", fast_half, fast_wide, 1e-5);
                    CHECK_CLOSE(w2, fast_half, ref_half, 1e-4);
                }
            }
        }
        // An F32 WeightRef is plain linear().
        auto x = random_vec(33 * 77, 7), w = random_vec(100 * 77, 8);
        std::vector<float> a(33 * 100), c(33 * 100);
        fast().linear(x.data(), WeightRef{w.data(), DType::F32}, nullptr, a.data(), 33, 100, 77);
        fast().linear(x.data(), w.data(), nullptr, c.data(), 33, 100, 77);
        QVERIFY(a == c);
    }

    void fastAttention() {
        const AttnCase cases[] = {
            {2, 3, 37, 19, 72, false, false, 0},   // Lq != Lk, DiT head size
            {1, 2, 5, 300, 8, false, true, 0},     // cross-attention to 300 text tokens
            {3, 4, 20, 20, 8, true, true, 5},      // T5: both biases, strided rows,
                                                   // last batch fully masked
            {2, 2, 1, 1, 72, true, true, 0},       // a single key
            {2, 16, 256, 256, 72, false, false, 0},  // PixArt self-attention at 256 tokens
            {2, 16, 256, 120, 72, false, true, 3},   // PixArt cross-attention, fused KV stride
        };
        uint32_t seed = 100;
        for (const AttnCase& c : cases) {
            const auto want = run_attention(reference(), c, seed);
            const auto got = run_attention(fast(), c, seed);
            seed += 10;
            CHECK_CLOSE(QString("attention B=%1 H=%2 Lq=%3 Lk=%4 D=%5%6%7")
                            .arg(c.B).arg(c.H).arg(c.Lq).arg(c.Lk).arg(c.D)
                            .arg(c.position_bias ? " +pos" : "").arg(c.key_bias ? " +keymask" : ""),
                        got, want, 1e-4);
        }
    }

    void fastNorms() {
        const int64_t shapes[][2] = {{1, 7}, {300, 1152}, {5, 4096}};
        uint32_t seed = 200;
        for (const auto& s : shapes) {
            const int64_t rows = s[0], cols = s[1];
            // a large common offset makes a careless one-pass variance fail
            auto x = random_vec(size_t(rows * cols), seed++, 9, 11);
            auto g = random_vec(size_t(cols), seed++), b = random_vec(size_t(cols), seed++);
            const QString shape = QString(" %1x%2").arg(rows).arg(cols);
            for (int affine = 0; affine < 3; ++affine) {
                const float* gp = affine ? g.data() : nullptr;
                const float* bp = affine == 2 ? b.data() : nullptr;
                std::vector<float> want(x.size()), got = x;
                reference().layer_norm(x.data(), want.data(), rows, cols, 1e-6f, gp, bp);
                fast().layer_norm(got.data(), got.data(), rows, cols, 1e-6f, gp, bp);  // in place
                CHECK_CLOSE(QString("layer_norm") + shape + (gp ? " gamma" : "") + (bp ? " beta" : ""),
                            got, want, 1e-5);
            }
            std::vector<float> want(x.size()), got(x.size());
            reference().rms_norm(x.data(), want.data(), rows, cols, 1e-6f, g.data());
            fast().rms_norm(x.data(), got.data(), rows, cols, 1e-6f, g.data());
            CHECK_CLOSE(QString("rms_norm") + shape, got, want, 1e-5);
        }
    }

    void fastGroupNorm() {
        const int64_t shapes[][4] = {{2, 64, 33, 32}, {1, 6, 50, 2}, {1, 128, 4096, 32}, {2, 4, 1, 2}};
        uint32_t seed = 300;
        for (const auto& s : shapes) {
            const int64_t N = s[0], C = s[1], HW = s[2], G = s[3];
            auto x = random_vec(size_t(N * C * HW), seed++, -3, 5);
            auto g = random_vec(size_t(C), seed++), b = random_vec(size_t(C), seed++);
            for (bool affine : {true, false}) {
                std::vector<float> want(x.size()), got(x.size());
                const float* gp = affine ? g.data() : nullptr;
                const float* bp = affine ? b.data() : nullptr;
                reference().group_norm(x.data(), want.data(), N, C, HW, G, 1e-6f, gp, bp);
                fast().group_norm(x.data(), got.data(), N, C, HW, G, 1e-6f, gp, bp);
                CHECK_CLOSE(QString("group_norm N=%1 C=%2 HW=%3 groups=%4%5").arg(N).arg(C).arg(HW)
                                .arg(G).arg(affine ? " affine" : ""), got, want, 1e-5);
            }
        }
    }

    void fastElementwise() {
        uint32_t seed = 400;
        for (int64_t n : {int64_t(7), int64_t(1000), int64_t(100003)}) {
            auto x = random_vec(size_t(n), seed++, -12, 12), y = random_vec(size_t(n), seed++);
            const QString sz = QString(" n=%1").arg(n);
            std::vector<float> want = x, got = x;
            reference().gelu_tanh(want.data(), n);
            fast().gelu_tanh(got.data(), n);
            CHECK_CLOSE("gelu_tanh" + sz, got, want, 1e-5);
            want = x, got = x;
            reference().silu(want.data(), n);
            fast().silu(got.data(), n);
            CHECK_CLOSE("silu" + sz, got, want, 1e-5);
            want = x, got = x;
            reference().mul(want.data(), y.data(), n);
            fast().mul(got.data(), y.data(), n);
            CHECK_CLOSE("mul" + sz, got, want, 0.0);
        }
        // adaLN on [B, L, C]
        const int64_t shapes[][3] = {{1, 1, 7}, {2, 256, 1152}, {3, 5, 13}};
        for (const auto& s : shapes) {
            const int64_t B = s[0], L = s[1], C = s[2];
            auto x = random_vec(size_t(B * L * C), seed++, -3, 3), y = random_vec(x.size(), seed++);
            auto shift = random_vec(size_t(B * C), seed++), scale = random_vec(size_t(B * C), seed++);
            const QString sz = QString(" %1x%2x%3").arg(B).arg(L).arg(C);
            std::vector<float> want = x, got = x;
            reference().modulate(want.data(), shift.data(), scale.data(), B, L, C);
            fast().modulate(got.data(), shift.data(), scale.data(), B, L, C);
            CHECK_CLOSE("modulate" + sz, got, want, 1e-6);
            for (bool gated : {true, false}) {
                want = x, got = x;
                reference().add_gated(want.data(), y.data(), gated ? scale.data() : nullptr, B, L, C);
                fast().add_gated(got.data(), y.data(), gated ? scale.data() : nullptr, B, L, C);
                CHECK_CLOSE("add_gated" + sz + (gated ? " gate" : ""), got, want, 1e-6);
            }
        }
    }

    void fastConv2d() {
        struct Case { Conv2dArgs a; bool bias; const char* what; };
        const Case cases[] = {
            {conv_shape(2, 5, 9, 7, 6, 3, 1, 1, 1, 1, 1), true, "3x3 pad 1"},
            {conv_shape(1, 3, 8, 8, 4, 3, 1, 1, 1, 1, 1), false, "3x3 pad 1, no bias"},
            {conv_shape(2, 16, 10, 11, 8, 1, 1, 0, 0, 0, 0), true, "1x1"},
            {conv_shape(1, 16, 10, 11, 8, 1, 1, 0, 0, 0, 0), false, "1x1, no bias"},
            {conv_shape(2, 4, 8, 8, 5, 3, 2, 0, 1, 0, 1), true, "3x3 stride 2 pad (0,1,0,1)"},
            {conv_shape(1, 3, 9, 7, 5, 3, 2, 0, 1, 0, 1), true, "3x3 stride 2 pad (0,1,0,1), odd"},
            {conv_shape(1, 2, 6, 5, 3, 2, 2, 0, 0, 0, 0), true, "2x2 stride 2 (patchify)"},
            {conv_shape(1, 64, 64, 64, 8, 3, 1, 1, 1, 1, 1), true, "3x3 pad 1, 64ch 64x64 (banded)"},
        };
        uint32_t seed = 500;
        for (const Case& c : cases) {
            const auto want = run_conv(reference(), c.a, c.bias, seed);
            const auto got = run_conv(fast(), c.a, c.bias, seed);
            seed += 10;
            CHECK_CLOSE(QString("conv2d %1 N=%2 Cin=%3 %4x%5 Cout=%6").arg(c.what).arg(c.a.N)
                            .arg(c.a.Cin).arg(c.a.H).arg(c.a.W).arg(c.a.Cout), got, want, 1e-4);
        }
    }

    void fastUpsample() {
        const int64_t shapes[][4] = {{1, 1, 1, 1}, {2, 3, 5, 7}, {1, 64, 64, 64}};
        uint32_t seed = 600;
        for (const auto& s : shapes) {
            const int64_t N = s[0], C = s[1], H = s[2], W = s[3];
            auto x = random_vec(size_t(N * C * H * W), seed++);
            std::vector<float> want(x.size() * 4), got(x.size() * 4, NAN);
            reference().upsample_nearest2x(x.data(), want.data(), N, C, H, W);
            fast().upsample_nearest2x(x.data(), got.data(), N, C, H, W);
            CHECK_CLOSE(QString("upsample_nearest2x %1x%2x%3x%4").arg(N).arg(C).arg(H).arg(W),
                        got, want, 0.0);
        }
    }
};

QTEST_APPLESS_MAIN(TestOps)
#include "test_ops.moc"
