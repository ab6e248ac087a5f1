// Sana's ops (kernels/cpu/linear_attention.cpp): the reference against values worked out by hand
// and against the existing ops that compute the same thing another way, then fast() against the
// reference on random inputs. The CUDA kernels meet the same reference in tests/backends/parity.cpp.
//
// Tolerances, relative to max |reference|: hand values 1e-6; fast vs reference 1e-5 (f32 sums in
// another order, the fast exp of the SiLU gate ~2 ulp).
#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/ops.h"
#include "tests/common/random_data.h"

using namespace dit::kernels;
using dit::testing::random_vec;
using dit::testing::rel_err;

namespace {


std::vector<float> run_linear_attention(Backend& be, const std::vector<float>& q, const std::vector<float>& k,
                                        const std::vector<float>& v, int64_t B, int64_t N, int64_t H, int64_t D) {
    std::vector<float> out(size_t(B * N * H * D), NAN);
    LinearAttentionArgs a;
    a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out.data();
    a.B = B, a.N = N, a.H = H, a.D = D, a.ldq = a.ldk = a.ldv = a.ldo = H * D;
    be.linear_attention(a);
    return out;
}

}  // namespace

class TestSanaOps : public QObject {
    Q_OBJECT

private slots:
    void referenceLinearAttentionByHand() {
        // One head, D = 2, N = 2. relu(k) = [[1, 0], [2, 1]], v = [[1, 2], [3, 4]]:
        // S = vᵀ relu(k) = [[1+6, 3], [2+8, 4]] = [[7, 3], [10, 4]], z = [3, 1].
        // q0 = [1, -5] -> relu [1, 0]: num = [7, 10], den = 3;
        // q1 = [-1, -1] -> relu 0: num = den = 0, so the row is 0 (the 1e-15 keeps it finite).
        const std::vector<float> q{1, -5, -1, -1}, k{1, -3, 2, 1}, v{1, 2, 3, 4};
        const auto out = run_linear_attention(reference(), q, k, v, 1, 2, 1, 2);
        const std::vector<float> want{7.f / 3, 10.f / 3, 0, 0};
        for (size_t i = 0; i < want.size(); ++i) QVERIFY2(std::fabs(out[i] - want[i]) < 1e-6f, qPrintable(QString::number(i)));
    }

    void referenceLinearAttentionIsNormalisedReluAttention() {
        // The same as attention with weights relu(q)·relu(k) normalised over the keys (the
        // quadratic form the linear one re-associates), head by head.
        const int64_t B = 2, N = 9, H = 3, D = 4, C = H * D;
        const auto q = random_vec(size_t(B * N * C), 1), k = random_vec(size_t(B * N * C), 2),
                   v = random_vec(size_t(B * N * C), 3);
        const auto out = run_linear_attention(reference(), q, k, v, B, N, H, D);
        std::vector<float> want(out.size());
        for (int64_t b = 0; b < B; ++b)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t n = 0; n < N; ++n) {
                    std::vector<double> w(static_cast<size_t>(N));
                    double total = 0;
                    for (int64_t m = 0; m < N; ++m) {
                        double s = 0;
                        for (int64_t j = 0; j < D; ++j)
                            s += std::max(0.f, q[(b * N + n) * C + h * D + j]) * std::max(0.f, k[(b * N + m) * C + h * D + j]);
                        w[m] = s, total += s;
                    }
                    for (int64_t i = 0; i < D; ++i) {
                        double acc = 0;
                        for (int64_t m = 0; m < N; ++m) acc += w[m] * v[(b * N + m) * C + h * D + i];
                        want[(b * N + n) * C + h * D + i] = float(acc / (total + 1e-15));
                    }
                }
        QVERIFY2(rel_err(out, want) < 1e-6, qPrintable(QString::number(rel_err(out, want))));
    }

    void referenceDepthwiseIsGroupedConv() {
        // Channel by channel, the channel-last depthwise conv equals conv2d (NCHW, 3x3, pad 1)
        // of that one channel with its 3x3 kernel.
        const int64_t B = 2, H = 5, W = 6, C = 3;
        const auto x = random_vec(size_t(B * H * W * C), 4), w = random_vec(size_t(C * 9), 5), bias = random_vec(size_t(C), 6);
        std::vector<float> y(x.size());
        reference().depthwise_conv3x3(x.data(), w.data(), bias.data(), y.data(), B, H, W, C);
        for (int64_t b = 0; b < B; ++b)
            for (int64_t c = 0; c < C; ++c) {
                std::vector<float> plane(size_t(H * W)), conv(size_t(H * W));
                for (int64_t p = 0; p < H * W; ++p) plane[p] = x[(b * H * W + p) * C + c];
                Conv2dArgs a;
                a.x = plane.data(), a.w = w.data() + c * 9, a.b = bias.data() + c, a.y = conv.data();
                a.N = 1, a.Cin = 1, a.H = H, a.W = W, a.Cout = 1, a.KH = a.KW = 3;
                a.pad_top = a.pad_bottom = a.pad_left = a.pad_right = 1;
                reference().conv2d(a);
                for (int64_t p = 0; p < H * W; ++p)
                    QVERIFY2(std::fabs(conv[p] - y[(b * H * W + p) * C + c]) < 1e-6f, qPrintable(QString("b%1 c%2 p%3").arg(b).arg(c).arg(p)));
            }
    }

    void referenceGluIsSiluTimesValue() {
        const int64_t M = 3, C = 4;
        const auto x = random_vec(size_t(M * 2 * C), 7, -4, 4);
        std::vector<float> y(size_t(M * C));
        reference().glu_silu(x.data(), y.data(), M, C);
        for (int64_t m = 0; m < M; ++m)
            for (int64_t c = 0; c < C; ++c) {
                std::vector<float> g{x[m * 2 * C + C + c]};
                reference().silu(g.data(), 1);
                QVERIFY(std::fabs(y[m * C + c] - x[m * 2 * C + c] * g[0]) < 1e-6f);
            }
    }

    void fastMatchesReference() {
        struct Case { int64_t B, H, W, heads, D; };
        for (const Case& s : {Case{1, 1, 1, 1, 1}, Case{2, 5, 7, 3, 8}, Case{1, 32, 32, 4, 32}, Case{2, 16, 24, 2, 32}}) {
            const int64_t N = s.H * s.W, C = s.heads * s.D;
            const QString name = QString("%1x%2x%3 heads %4 dim %5").arg(s.B).arg(s.H).arg(s.W).arg(s.heads).arg(s.D);
            const auto q = random_vec(size_t(s.B * N * C), 10, -1, 2), k = random_vec(size_t(s.B * N * C), 11, -1, 2),
                       v = random_vec(size_t(s.B * N * C), 12);
            const double la = rel_err(run_linear_attention(fast(), q, k, v, s.B, N, s.heads, s.D),
                                      run_linear_attention(reference(), q, k, v, s.B, N, s.heads, s.D));
            qInfo("linear_attention %s: rel err %.3g", qPrintable(name), la);
            QVERIFY2(la < 1e-5, qPrintable(name));
            const auto w = random_vec(size_t(C * 9), 13), bias = random_vec(size_t(C), 14);
            std::vector<float> want(q.size()), got(q.size(), NAN);
            for (bool with_bias : {true, false}) {
                reference().depthwise_conv3x3(q.data(), w.data(), with_bias ? bias.data() : nullptr, want.data(), s.B, s.H, s.W, C);
                fast().depthwise_conv3x3(q.data(), w.data(), with_bias ? bias.data() : nullptr, got.data(), s.B, s.H, s.W, C);
                qInfo("depthwise_conv3x3 %s: rel err %.3g", qPrintable(name), rel_err(got, want));
                QVERIFY2(rel_err(got, want) < 1e-5, qPrintable(name));
            }
            if (C % 2) continue;
            std::vector<float> gw(q.size() / 2), gg(q.size() / 2, NAN);
            reference().glu_silu(v.data(), gw.data(), s.B * N, C / 2);
            fast().glu_silu(v.data(), gg.data(), s.B * N, C / 2);
            QVERIFY2(rel_err(gg, gw) < 1e-5, qPrintable(name));
        }
    }
};

QTEST_APPLESS_MAIN(TestSanaOps)
#include "test_sana_ops.moc"
