// Region-masked attention (AttentionArgs::query_group/key_group, regional prompts): reference()
// against hand-computed values, then reference() and fast() against a brute force that gathers
// each query's visible keys (group 0 and the query's own group) and runs plain attention over
// those alone, on random inputs with per-key padding biases, position biases and padded strides.
//
// Tolerances, relative to the output's magnitude (max |expected|):
//   reference vs brute force   1e-6  (the same f32 scores; double sums over fewer terms)
//   fast vs brute force        1e-4  (f32 sums in another order, fast exp; as tests/kernels/test_ops)
//   fast grouped, all group 0, vs fast ungrouped   1e-6  (only the softmax loop differs)
// A query that sees no key must give exactly 0 on both backends (ops.h defines it so).
#include "kernels/cpu/ops.h"
#include "tests/common/random_data.h"

#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

using namespace dit::kernels;
using dit::testing::random_vec;

namespace {

// max |got - want| <= tol * max |want|, every value finite; prints the error either way.
bool close(const QString& what, const std::vector<float>& got, const std::vector<float>& want, double tol) {
    double err = 0.0, mag = 0.0;
    bool finite = got.size() == want.size();
    for (size_t i = 0; finite && i < got.size(); ++i) {
        finite = std::isfinite(got[i]);
        err = std::max(err, double(std::fabs(got[i] - want[i])));
        mag = std::max(mag, double(std::fabs(want[i])));
    }
    const double bound = tol * std::max(mag, 1e-30);
    qInfo("%-64s max abs err %.3g (magnitude %.3g, bound %.3g)", qPrintable(what), err, mag, bound);
    return finite && err <= bound;
}

struct Case {
    int64_t B, H, Lq, Lk, D;
    int groups;           // key groups 1..groups besides group 0
    bool position_bias;
    int64_t extra_stride;  // rows padded by this many floats (a fused buffer)
    bool cfg_layout;       // batch item 0's queries all group 0 (the unconditional half)
};

struct Inputs {
    int64_t ld = 0;
    std::vector<float> q, k, v, pb, kb;
    std::vector<int32_t> qg, kg;
};

// Keys: a run of group 0 (the global prompt), then one run per region group; every run ends in
// padding (key_bias -10000, the engine's value) and has random moderate biases elsewhere. Queries
// take groups 0..groups+1 in a pseudo-random pattern: groups+1 names no key run, so those queries
// see group 0 only.
Inputs make_inputs(const Case& c, uint32_t seed) {
    Inputs in;
    in.ld = c.H * c.D + c.extra_stride;
    in.q = random_vec(size_t(c.B * c.Lq * in.ld), seed, -2, 2);
    in.k = random_vec(size_t(c.B * c.Lk * in.ld), seed + 1, -2, 2);
    in.v = random_vec(size_t(c.B * c.Lk * in.ld), seed + 2);
    in.pb = random_vec(size_t(c.H * c.Lq * c.Lk), seed + 3, -3, 3);
    in.kb = random_vec(size_t(c.B * c.Lk), seed + 4, -1, 1);
    in.kg.resize(size_t(c.B * c.Lk));
    const int64_t run = c.Lk / (c.groups + 1);
    for (int64_t b = 0; b < c.B; ++b)
        for (int64_t j = 0; j < c.Lk; ++j) {
            const int32_t g = int32_t(std::min<int64_t>(j / std::max<int64_t>(run, 1), c.groups));
            in.kg[b * c.Lk + j] = g;
            const int64_t end = g == c.groups ? c.Lk : (g + 1) * run;  // padding: the run's last third
            if (end - j <= std::max<int64_t>(run / 3, 1) && j != g * run) in.kb[b * c.Lk + j] = -10000.0f;
        }
    in.qg.resize(size_t(c.B * c.Lq));
    for (int64_t b = 0; b < c.B; ++b)
        for (int64_t i = 0; i < c.Lq; ++i)
            in.qg[b * c.Lq + i] = (c.cfg_layout && b == 0) ? 0 : int32_t((i * 7 + b * 3) % (c.groups + 2));
    return in;
}

std::vector<float> run(Backend& be, const Case& c, const Inputs& in, bool grouped) {
    std::vector<float> out(size_t(c.B * c.Lq * in.ld), 0.0f);
    AttentionArgs a;
    a.q = in.q.data();
    a.k = in.k.data();
    a.v = in.v.data();
    a.out = out.data();
    a.B = c.B, a.Lq = c.Lq, a.Lk = c.Lk, a.H = c.H, a.D = c.D;
    a.ldq = a.ldk = a.ldv = a.ldo = in.ld;
    a.scale = 1.0f / std::sqrt(float(c.D));
    a.position_bias = c.position_bias ? in.pb.data() : nullptr;
    a.key_bias = in.kb.data();
    if (grouped) {
        a.query_group = in.qg.data();
        a.key_group = in.kg.data();
    }
    be.attention(a);
    return out;
}

// Each query on its own: gather its visible keys (and their biases) and run ungrouped attention.
std::vector<float> brute_force(const Case& c, const Inputs& in) {
    const int64_t C = c.H * c.D;
    std::vector<float> out(size_t(c.B * c.Lq * in.ld), 0.0f);
    for (int64_t b = 0; b < c.B; ++b)
        for (int64_t i = 0; i < c.Lq; ++i) {
            const int32_t qg = in.qg[b * c.Lq + i];
            std::vector<float> k, v, kb, pb;
            for (int64_t j = 0; j < c.Lk; ++j) {
                const int32_t g = in.kg[b * c.Lk + j];
                if (g != 0 && g != qg) continue;
                k.insert(k.end(), &in.k[(b * c.Lk + j) * in.ld], &in.k[(b * c.Lk + j) * in.ld] + C);
                v.insert(v.end(), &in.v[(b * c.Lk + j) * in.ld], &in.v[(b * c.Lk + j) * in.ld] + C);
                kb.push_back(in.kb[b * c.Lk + j]);
            }
            const int64_t n = int64_t(kb.size());
            if (n == 0) continue;  // sees nothing: zeros
            for (int64_t h = 0; h < c.H; ++h)
                for (int64_t j = 0; j < c.Lk; ++j) {
                    const int32_t g = in.kg[b * c.Lk + j];
                    if (g == 0 || g == qg) pb.push_back(in.pb[(h * c.Lq + i) * c.Lk + j]);
                }
            AttentionArgs a;
            a.q = &in.q[(b * c.Lq + i) * in.ld];
            a.k = k.data();
            a.v = v.data();
            a.out = &out[(b * c.Lq + i) * in.ld];
            a.B = 1, a.Lq = 1, a.Lk = n, a.H = c.H, a.D = c.D;
            a.ldq = a.ldo = in.ld;
            a.ldk = a.ldv = C;
            a.scale = 1.0f / std::sqrt(float(c.D));
            a.position_bias = c.position_bias ? pb.data() : nullptr;
            a.key_bias = kb.data();
            reference().attention(a);
        }
    return out;
}

// Only the output columns (stride padding is never written).
std::vector<float> columns(const std::vector<float>& x, const Case& c, int64_t ld) {
    std::vector<float> out;
    for (int64_t r = 0; r < c.B * c.Lq; ++r) out.insert(out.end(), &x[r * ld], &x[r * ld] + c.H * c.D);
    return out;
}

}  // namespace

class TestRegionalAttention : public QObject {
    Q_OBJECT

private slots:
    // One head, D = 1, equal scores: the output is the mean of the visible values.
    void referenceKnownValues() {
        const std::vector<float> q{1, 1, 1, 1, 1}, k{0, 0, 0, 0};
        const std::vector<float> v{1, 10, 100, 1000};
        const std::vector<int32_t> kg{0, 1, 2, 2};
        const std::vector<int32_t> qg{0, 1, 2, 3, 1};
        for (Backend* be : {&reference(), &fast()}) {
            std::vector<float> out(5, -1.0f);
            AttentionArgs a;
            a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = out.data();
            a.B = 1, a.Lq = 5, a.Lk = 4, a.H = 1, a.D = 1;
            a.ldq = a.ldk = a.ldv = a.ldo = 1;
            a.query_group = qg.data();
            a.key_group = kg.data();
            be->attention(a);
            // group 0: key 0 only; group 1: keys 0, 1; group 2: keys 0, 2, 3; group 3: key 0.
            const std::vector<float> want{1, 5.5f, 367, 1, 5.5f};
            QVERIFY2(close(QString("%1 known values").arg(be->name()), out, want, 1e-6),
                     qPrintable(QString("%1: wrong weights").arg(be->name())));
        }
    }

    // A query whose group has no key and no group-0 key exists: zeros, exactly, on both backends;
    // the other queries in the same call are unaffected.
    void queryThatSeesNothing() {
        const Case c{2, 3, 37, 20, 8, 2, false, 0, false};
        Inputs in = make_inputs(c, 11);
        for (int32_t& g : in.kg) g = g == 0 ? 1 : g;  // no group-0 key at all
        for (Backend* be : {&reference(), &fast()}) {
            const auto got = run(*be, c, in, true);
            const auto want = brute_force(c, in);
            int blind = 0;
            for (int64_t r = 0; r < c.B * c.Lq; ++r) {
                if (in.qg[r] == 1 || in.qg[r] == 2) continue;
                ++blind;
                for (int64_t x = 0; x < c.H * c.D; ++x)
                    QVERIFY2(got[r * in.ld + x] == 0.0f,
                             qPrintable(QString("%1: blind query %2 has %3, expected 0")
                                            .arg(be->name()).arg(r).arg(got[r * in.ld + x])));
            }
            QVERIFY(blind > 0);
            QVERIFY2(close(QString("%1 with blind queries").arg(be->name()), columns(got, c, in.ld),
                           columns(want, c, in.ld), be == &reference() ? 1e-6 : 1e-4),
                     "differs from the brute force");
        }
    }

    void againstBruteForce_data() {
        QTest::addColumn<int>("index");
        for (int i = 0; i < 6; ++i) QTest::newRow(QByteArray::number(i)) << i;
    }

    void againstBruteForce() {
        QFETCH(int, index);
        const Case cases[] = {
            {1, 1, 3, 7, 4, 1, false, 0, false},           // tiny, odd sizes
            {2, 2, 33, 45, 8, 2, true, 0, false},          // position bias, a query block edge
            {2, 3, 70, 3 * 40, 16, 2, false, 5, true},     // CFG layout, strided rows
            {1, 4, 65, 300, 8, 4, false, 0, false},        // many regions
            {2, 3, 64, 3 * 120, 64, 2, false, 0, true},    // the default model: 3 x 120 prompt tokens
            {2, 16, 256, 2 * 120, 72, 1, false, 3, true},  // PixArt-α-sized cross-attention, fused KV
        };
        const Case& c = cases[index];
        const Inputs in = make_inputs(c, 100 + uint32_t(index));
        const auto want = columns(brute_force(c, in), c, in.ld);
        const QString shape = QString("B=%1 H=%2 Lq=%3 Lk=%4 D=%5 groups=%6%7%8")
                                  .arg(c.B).arg(c.H).arg(c.Lq).arg(c.Lk).arg(c.D).arg(c.groups)
                                  .arg(c.position_bias ? " +pos" : "").arg(c.cfg_layout ? " cfg" : "");
        QVERIFY2(close("reference " + shape, columns(run(reference(), c, in, true), c, in.ld), want, 1e-6),
                 "reference differs from the brute force");
        QVERIFY2(close("fast " + shape, columns(run(fast(), c, in, true), c, in.ld), want, 1e-4),
                 "fast differs from the brute force");
    }

    // Every key in group 0: grouped attention is plain attention.
    void allGroupZeroIsPlain() {
        const Case c{2, 3, 50, 66, 16, 0, true, 2, false};
        Inputs in = make_inputs(c, 7);
        for (Backend* be : {&reference(), &fast()}) {
            const auto plain = columns(run(*be, c, in, false), c, in.ld);
            const auto grouped = columns(run(*be, c, in, true), c, in.ld);
            QVERIFY2(close(QString("%1 all group 0 vs ungrouped").arg(be->name()), grouped, plain, 1e-6),
                     "groups of 0 changed the result");
        }
    }

    // A region key must not leak into other queries even when its score dwarfs every visible one
    // (a large bias would only shrink such a weight, not remove it).
    void invisibleKeysGetNoWeight() {
        const Case c{1, 2, 40, 30, 8, 1, false, 0, false};
        Inputs in = make_inputs(c, 21);
        for (int64_t j = 0; j < c.Lk; ++j)
            if (in.kg[j] == 1) {
                in.kb[j] = 80.0f;  // e^80 would swamp everything if it leaked
                for (int64_t x = 0; x < c.H * c.D; ++x) in.v[j * in.ld + x] = 1e6f;
            }
        for (int32_t& g : in.qg) g = g == 1 ? 0 : g;  // nobody may see them, so outputs stay O(1)
        const auto want = columns(brute_force(c, in), c, in.ld);
        for (Backend* be : {&reference(), &fast()})
            QVERIFY2(close(QString("%1 huge invisible keys").arg(be->name()), columns(run(*be, c, in, true), c, in.ld),
                           want, be == &reference() ? 1e-6 : 1e-4),
                     "an invisible key leaked");
    }
};

QTEST_APPLESS_MAIN(TestRegionalAttention)
#include "test_regional_attention.moc"
