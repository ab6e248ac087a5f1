// GRAT's grouped sparse attention (kernels/cpu/grat_attention.*): the reference against full
// attention where the groups see every key, and against full attention over each block's own
// key set (built here from the definition in ops.h, not from the kernel's helper); fast() against
// the reference; broken settings. The CUDA kernel meets the same reference in
// tests/backends/parity.cpp.
//
// Tolerances, relative to max |want|: reference vs reference attention 1e-6 (both sum in double);
// fast vs reference 1e-5 (f32 sums in another order, the fast exp ~2 ulp).
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "kernels/cpu/grat_attention.h"
#include "kernels/cpu/ops.h"
#include "tests/common/random_data.h"

using namespace dit::kernels;
using dit::testing::random_vec;
using dit::testing::rel_err;

namespace {


struct Case {
    int64_t B, H, D, grid_h, grid_w, group, radius;
    bool criss_cross;
    int64_t pad = 0;  // extra floats per row, so strides differ from H * D
};

struct Inputs {
    Case c;
    int64_t L, ld;
    std::vector<float> q, k, v;
    explicit Inputs(const Case& cs, uint32_t seed) : c(cs), L(cs.grid_h * cs.grid_w), ld(cs.H * cs.D + cs.pad) {
        const size_t n = size_t(c.B * L * ld);
        q = random_vec(n, seed, -2, 2), k = random_vec(n, seed + 1, -2, 2), v = random_vec(n, seed + 2);
    }
    GratAttentionArgs args(float* out) const {
        GratAttentionArgs a;
        a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out;
        a.B = c.B, a.H = c.H, a.D = c.D, a.grid_h = c.grid_h, a.grid_w = c.grid_w;
        a.group = c.group, a.radius = c.radius, a.criss_cross = c.criss_cross;
        a.ldq = a.ldk = a.ldv = a.ldo = ld;
        a.scale = 1.0f / std::sqrt(float(c.D));
        return a;
    }
    std::vector<float> grat(Backend& be) const {
        std::vector<float> out(q.size(), NAN);
        be.grat_attention(args(out.data()));
        return out;
    }
    std::vector<float> full(Backend& be) const {
        std::vector<float> out(q.size(), NAN);
        AttentionArgs a;
        a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out.data();
        a.B = c.B, a.Lq = a.Lk = L, a.H = c.H, a.D = c.D;
        a.ldq = a.ldk = a.ldv = a.ldo = ld;
        a.scale = 1.0f / std::sqrt(float(c.D));
        be.attention(a);
        return out;
    }
};

// Only the H*D columns of each row are the op's; the padding stays NaN in both.
std::vector<float> heads_only(const std::vector<float>& x, const Inputs& in) {
    std::vector<float> out;
    for (int64_t r = 0; r < in.c.B * in.L; ++r)
        out.insert(out.end(), x.begin() + r * in.ld, x.begin() + r * in.ld + in.c.H * in.c.D);
    return out;
}

}  // namespace

class TestGratAttention : public QObject {
    Q_OBJECT

private slots:
    void groupsCoveringEveryKeyEqualFullAttention() {
        const Case cases[] = {
            {2, 3, 8, 12, 8, 4, 2, false, 0},   // 3x2 blocks, a radius that reaches them all
            {1, 2, 16, 8, 8, 8, 0, false, 0},   // one block: the whole grid
            {1, 4, 24, 8, 8, 4, 1, true, 0},    // 2x2 blocks: neighbours cover all
        };
        for (const Case& c : cases) {
            const Inputs in(c, 11);
            const auto want_ref = heads_only(in.full(reference()), in);
            QVERIFY2(rel_err(heads_only(in.grat(reference()), in), want_ref) < 1e-6, "reference");
            QVERIFY2(rel_err(heads_only(in.grat(fast()), in), heads_only(in.full(fast()), in)) < 1e-5, "fast vs fast");
            QVERIFY2(rel_err(heads_only(in.grat(fast()), in), want_ref) < 1e-5, "fast vs reference");
        }
    }

    void eachBlockAttendsOverItsOwnKeySet() {
        // Per query block: gather its queries and the keys of the blocks it sees (neighbours
        // within the radius, its row and column of blocks) and run full attention on them.
        const Case c{1, 2, 8, 12, 16, 4, 0, true, 0};  // 3x4 blocks: radius 0 + band drops 6 of 12
        const Inputs in(c, 23);
        const auto got = in.grat(reference());
        const int64_t G = c.group, nby = c.grid_h / G, nbx = c.grid_w / G, ld = in.ld;
        int64_t dropped = 0;
        for (int64_t qy = 0; qy < nby; ++qy)
            for (int64_t qx = 0; qx < nbx; ++qx) {
                std::vector<int64_t> queries, keys;
                for (int64_t t = 0; t < in.L; ++t) {
                    const int64_t ty = t / c.grid_w / G, tx = t % c.grid_w / G;
                    if (ty == qy && tx == qx) queries.push_back(t);
                    const bool near = std::abs(ty - qy) <= c.radius && std::abs(tx - qx) <= c.radius;
                    if (near || ty == qy || tx == qx) keys.push_back(t);
                    else ++dropped;
                }
                auto rows = [&](const std::vector<float>& src, const std::vector<int64_t>& idx) {
                    std::vector<float> out;
                    for (int64_t t : idx) out.insert(out.end(), src.begin() + t * ld, src.begin() + (t + 1) * ld);
                    return out;
                };
                const auto q = rows(in.q, queries), k = rows(in.k, keys), v = rows(in.v, keys);
                std::vector<float> want(q.size(), NAN);
                AttentionArgs a;
                a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = want.data();
                a.B = 1, a.Lq = int64_t(queries.size()), a.Lk = int64_t(keys.size()), a.H = c.H, a.D = c.D;
                a.ldq = a.ldk = a.ldv = a.ldo = ld;
                a.scale = 1.0f / std::sqrt(float(c.D));
                reference().attention(a);
                QVERIFY2(rel_err(rows(got, queries), want) < 1e-6,
                         qPrintable(QString("block (%1, %2)").arg(qy).arg(qx)));
            }
        QVERIFY(dropped > 0);  // the case is sparse, not full attention in disguise
        GratAttentionArgs d = in.args(nullptr);
        QCOMPARE(grat::density(d), double(12 * in.L - dropped) / double(12 * in.L));
    }

    void fastMatchesReference() {
        const Case cases[] = {
            {2, 3, 8, 16, 12, 4, 1, true, 3},   // GRAT's default shape of settings, strided rows
            {1, 2, 72, 6, 10, 2, 1, true, 5},   // PixArt's head dim, odd block counts
            {1, 2, 16, 16, 16, 4, 0, false, 0}, // block-diagonal attention
            {1, 1, 8, 5, 7, 1, 1, true, 0},     // single-token groups
            {1, 2, 72, 32, 32, 8, 1, true, 0},  // 64-query blocks: two passes over the packed keys
        };
        for (const Case& c : cases) {
            const Inputs in(c, 7);
            const double err = rel_err(heads_only(in.grat(fast()), in), heads_only(in.grat(reference()), in));
            QVERIFY2(err < 1e-5, qPrintable(QString("grid %1x%2 group %3: %4").arg(c.grid_h).arg(c.grid_w)
                                                .arg(c.group).arg(err)));
        }
    }

    void brokenSettingsAreClearErrors() {
        const Inputs in({1, 1, 8, 16, 12, 4, 1, true, 0}, 3);
        std::vector<float> out(in.q.size());
        auto expect = [&](GratAttentionArgs a, const char* words) {
            for (Backend* be : {&reference(), &fast()}) {
                try {
                    be->grat_attention(a);
                    QFAIL(qPrintable(QString("%1 accepted a broken setting (%2)").arg(be->name(), words)));
                } catch (const std::invalid_argument& e) {
                    QVERIFY2(QString(e.what()).contains(words), e.what());
                }
            }
        };
        GratAttentionArgs a = in.args(out.data());
        a.group = 5;
        expect(a, "group size 5 does not divide the 16x12 token grid");
        a.group = 0;
        expect(a, "group size must be at least 1 token, got 0");
        a.group = -4;
        expect(a, "got -4");
        a.group = 4, a.radius = -1;
        expect(a, "radius must be 0 or more, got -1");
        a.radius = 1, a.grid_w = 0;
        expect(a, "token grid 16x0 is empty");
    }
};

QTEST_APPLESS_MAIN(TestGratAttention)
#include "test_grat_attention.moc"
