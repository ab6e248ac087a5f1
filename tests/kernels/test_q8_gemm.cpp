// The int8 Q8_0 linear (kernels/cpu/q8_gemm) against the dequantize-then-f32 reference, as every
// fast op is checked against reference(): exact where the activations are exactly int8 already,
// within the activations' rounding elsewhere, for every shape class the kernel splits into.
#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/q8_gemm.h"
#include "kernels/cpu/quant.h"

using namespace dit::kernels;

namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = d(rng);
    return v;
}

std::vector<uint8_t> q8(const std::vector<float>& w) {
    std::vector<uint8_t> out(size_t(storage_bytes(DType::Q8_0, int64_t(w.size()))));
    quantize(DType::Q8_0, w.data(), out.data(), int64_t(w.size()));
    return out;
}

struct Linear {
    std::vector<float> fast, reference;
};

Linear run(const std::vector<float>& x, const std::vector<uint8_t>& w, const std::vector<float>* bias, int64_t M,
           int64_t N, int64_t K) {
    Linear r{std::vector<float>(size_t(M * N)), std::vector<float>(size_t(M * N))};
    const WeightRef ref{w.data(), DType::Q8_0};
    fast().linear(x.data(), ref, bias ? bias->data() : nullptr, r.fast.data(), M, N, K);
    reference().linear(x.data(), ref, bias ? bias->data() : nullptr, r.reference.data(), M, N, K);
    return r;
}

}  // namespace

class TestQ8Gemm : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        set_int8_enabled(true);  // whatever DIT_INT8 says: this suite checks the kernel
        qInfo("int8 path on this CPU: '%s'", int8_path());
        if (!*int8_path()) QSKIP("this CPU has no AVX2: Q8_0 is dequantized, as test_gguf checks");
    }

    void exactWhenActivationsAreInt8() {
        // Activations that are integers with a block maximum of 127 quantize to themselves with
        // scale 1, and weights with scale 2^-6 make every product exact in f32: the int8 sums
        // must then equal the reference bit for bit.
        const int64_t M = 3, N = 21, K = 96;
        std::mt19937 rng(5);
        std::uniform_int_distribution<int> q(-127, 127);
        std::vector<float> x(size_t(M * K));
        for (int64_t i = 0; i < M * K; ++i) x[size_t(i)] = i % 32 == 0 ? 127.0f : float(q(rng));
        std::vector<uint8_t> w(size_t(storage_bytes(DType::Q8_0, N * K)));
        for (int64_t blk = 0; blk < N * K / 32; ++blk) {
            uint8_t* b = w.data() + blk * 34;
            const uint16_t d = float_to_half(1.0f / 64.0f);
            std::memcpy(b, &d, 2);
            for (int i = 0; i < 32; ++i) b[2 + i] = uint8_t(int8_t(q(rng)));
        }
        const std::vector<float> bias = gaussian(N, 9);
        const Linear r = run(x, w, &bias, M, N, K);
        for (size_t i = 0; i < r.fast.size(); ++i) QCOMPARE(r.fast[i], r.reference[i]);
    }

    void closeToDequantizedReference_data() {
        QTest::addColumn<int>("M");
        QTest::addColumn<int>("N");
        QTest::addColumn<int>("K");
        QTest::newRow("one row") << 1 << 64 << 256;
        QTest::newRow("tail rows") << 5 << 29 << 64;        // 3 groups of 8 + 5 left over
        QTest::newRow("one block") << 7 << 16 << 32;
        QTest::newRow("chunks") << 200 << 48 << 1152;       // more rows than one pass (96)
        QTest::newRow("threads") << 64 << 256 << 512;       // large enough for OpenMP
    }
    void closeToDequantizedReference() {
        QFETCH(int, M);
        QFETCH(int, N);
        QFETCH(int, K);
        const std::vector<float> x = gaussian(int64_t(M) * K, 1), w = gaussian(int64_t(N) * K, 2, 0.05f);
        const std::vector<float> bias = gaussian(N, 3);
        const Linear r = run(x, q8(w), &bias, M, N, K);
        // Each activation is rounded to 1/254 of its block's largest magnitude; over K terms the
        // error of an output grows like sqrt(K) times that step times the weights' size. Bound:
        // 1% of the output's RMS plus that.
        double rms = 0;
        for (float v : r.reference) rms += double(v) * v;
        rms = std::sqrt(rms / double(r.reference.size()));
        double worst = 0, sum_sq = 0;
        for (size_t i = 0; i < r.fast.size(); ++i) {
            const double e = std::fabs(double(r.fast[i]) - r.reference[i]);
            worst = std::max(worst, e);
            sum_sq += e * e;
        }
        const double rel_rms = std::sqrt(sum_sq / double(r.fast.size())) / rms;
        qInfo("M %d N %d K %d: worst |error| %.2e, RMS error / RMS output %.2e", M, N, K, worst, rel_rms);
        QVERIFY(rel_rms < 1e-2);
        QVERIFY(worst < 0.02 * rms + 4.0 * std::sqrt(double(K)) * 0.05 * 3.0 / 254.0);
    }

    void switchedOffItDequantizes() {
        // With the int8 path off the fast backend widens Q8_0 and runs sgemm: close to 1e-6.
        set_int8_enabled(false);
        QCOMPARE(std::string(int8_path()), std::string());
        const int64_t M = 9, N = 40, K = 128;
        const std::vector<float> x = gaussian(M * K, 4), w = gaussian(N * K, 5);
        const Linear r = run(x, q8(w), nullptr, M, N, K);
        set_int8_enabled(true);
        for (size_t i = 0; i < r.fast.size(); ++i)
            QVERIFY(std::fabs(r.fast[i] - r.reference[i]) <= 1e-5f * (1.0f + std::fabs(r.reference[i])));
    }
};

QTEST_APPLESS_MAIN(TestQ8Gemm)
#include "test_q8_gemm.moc"
