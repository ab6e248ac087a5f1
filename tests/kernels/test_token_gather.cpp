// Token gather/scatter (Backend::gather_tokens / scatter_tokens, lazy inpainting): reference()
// against hand-computed values, then fast() against reference() on random rows, padded row
// counts (dst/src batches of different lengths) and sizes on both sides of the threading
// threshold. Both are pure copies, so the tolerance is 0: fast must equal reference bit for bit
// (max abs error printed on failure), and rows a scatter does not name keep their old values.
#include "kernels/cpu/ops.h"
#include "tests/common/random_data.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

using namespace dit::kernels;
using dit::testing::random_vec;

namespace {

double max_abs(const std::vector<float>& a, const std::vector<float>& b) {
    double e = a.size() == b.size() ? 0.0 : INFINITY;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) e = std::max(e, double(std::fabs(a[i] - b[i])));
    return e;
}

// n distinct indices in [0, rows), shuffled.
std::vector<int32_t> random_index(int64_t n, int64_t rows, uint32_t seed) {
    std::vector<int32_t> all(static_cast<size_t>(rows));
    std::iota(all.begin(), all.end(), 0);
    std::mt19937 rng(seed);
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(size_t(n));
    return all;
}

}  // namespace

class TestTokenGather : public QObject {
    Q_OBJECT

private slots:
    void reference_by_hand() {
        // src: B=2 items of 3 rows, C=2; pick rows 2 and 0 of each into dst of 2 rows.
        const std::vector<float> src{0, 1, 10, 11, 20, 21, /**/ 100, 101, 110, 111, 120, 121};
        const std::vector<int32_t> index{2, 0};
        std::vector<float> dst(8, -1.0f);
        reference().gather_tokens(src.data(), 3, dst.data(), 2, index.data(), 2, 2, 2);
        QCOMPARE(dst, (std::vector<float>{20, 21, 0, 1, 120, 121, 100, 101}));

        // Scatter them back into a fresh [2, 3, 2]: the unnamed row 1 keeps its old value (-7).
        std::vector<float> back(12, -7.0f);
        reference().scatter_tokens(dst.data(), 2, back.data(), 3, index.data(), 2, 2, 2);
        QCOMPARE(back, (std::vector<float>{0, 1, -7, -7, 20, 21, 100, 101, -7, -7, 120, 121}));
    }

    void fast_equals_reference_data() {
        QTest::addColumn<int>("B");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("C");
        QTest::newRow("small") << 1 << 7 << 3 << 5;
        QTest::newRow("batch 2, all rows") << 2 << 16 << 16 << 8;
        QTest::newRow("threaded") << 2 << 1024 << 200 << 576;  // B*n*C above kParallelMin
        QTest::newRow("none") << 2 << 10 << 0 << 4;
    }
    void fast_equals_reference() {
        QFETCH(int, B);
        QFETCH(int, rows);
        QFETCH(int, n);
        QFETCH(int, C);
        const auto index = random_index(n, rows, 3);
        const auto src = random_vec(size_t(B) * rows * C, 1);
        // gather into a dst with 2 spare rows per batch item (the row stride differs from n)
        const int64_t dst_rows = n + 2;
        std::vector<float> g_ref(size_t(B) * dst_rows * C, 5.0f), g_fast = g_ref;
        reference().gather_tokens(src.data(), rows, g_ref.data(), dst_rows, index.data(), n, B, C);
        fast().gather_tokens(src.data(), rows, g_fast.data(), dst_rows, index.data(), n, B, C);
        const double eg = max_abs(g_ref, g_fast);
        if (eg != 0) qWarning("gather: max abs error %g (tolerance 0)", eg);
        QCOMPARE(eg, 0.0);

        // scatter the gathered rows onto a copy of random data: named rows replaced, others kept
        const auto base = random_vec(size_t(B) * rows * C, 2);
        std::vector<float> s_ref = base, s_fast = base;
        reference().scatter_tokens(g_ref.data(), dst_rows, s_ref.data(), rows, index.data(), n, B, C);
        fast().scatter_tokens(g_ref.data(), dst_rows, s_fast.data(), rows, index.data(), n, B, C);
        const double es = max_abs(s_ref, s_fast);
        if (es != 0) qWarning("scatter: max abs error %g (tolerance 0)", es);
        QCOMPARE(es, 0.0);
        std::vector<char> named(size_t(rows), 0);
        for (int32_t i : index) named[size_t(i)] = 1;
        for (int b = 0; b < B; ++b)
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < C; ++c) {
                    const size_t at = (size_t(b) * rows + r) * C + c;
                    // a gather followed by a scatter with the same index restores src's rows
                    QCOMPARE(s_fast[at], named[size_t(r)] ? src[at] : base[at]);
                }
    }
};

QTEST_APPLESS_MAIN(TestTokenGather)
#include "test_token_gather.moc"
