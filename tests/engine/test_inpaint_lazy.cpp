// The pieces under inpainting that are exact by construction:
//  - every sampler's add_noise_at(x0, noise, i) is the level its own step i - 1 lands on: a
//    perfect model (it predicts the true noise) driven through the sampler stays on
//    add_noise_at(x0, noise, i + 1) after step i. Re-imposing at level i instead (the classic
//    off-by-one that gives fringes) would be measurably off; the test checks that too.
//  - the lazy transformer forward: a refresh equals a plain forward exactly, and a lazy forward
//    of the same input right after it gives the plain forward's output on the active tokens
//    (the cache then holds exactly the keys/values a full pass computes) and zeros elsewhere.
// Tolerances (each comparison prints its max abs error):
//   deterministic samplers' trajectory    1e-4 x max|expected| (f32 rounding over 6 steps)
//   stochastic samplers' level (std)      3% (64k samples: the std estimate's error is ~0.3%)
//   refresh vs plain forward              0 (same ops in the same order)
//   lazy vs plain on active tokens        1e-4 x max|plain| on reference and fast (only the
//                                         key order of the self-attention sums differs)
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/random.h"
#include "engine/samplers/sampler.h"

using namespace dit;

namespace {

const std::filesystem::path kTiny = std::filesystem::path(DIT_FIXTURES) / "tiny-pixart-alpha";

double max_abs_diff(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return INFINITY;
    double e = 0;
    for (int64_t i = 0; i < a.numel(); ++i) e = std::max(e, double(std::fabs(a[i] - b[i])));
    return e;
}

double max_abs(const Tensor& a) {
    double m = 0;
    for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, double(std::fabs(a[i])));
    return m;
}

double stddev(const Tensor& a) {
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < a.numel(); ++i) s += a[i], s2 += double(a[i]) * a[i];
    const double n = double(a.numel()), mean = s / n;
    return std::sqrt(std::max(0.0, s2 / n - mean * mean));
}

// What a perfect model predicts for x = level(x0, eps), per the sampler family's parametrisation.
Tensor perfect_prediction(const std::string& sampler, const Tensor& x0, const Tensor& eps) {
    if (sampler != "flow_euler") return eps.clone();  // epsilon prediction (the fixture's config)
    Tensor v(eps.shape());
    for (int64_t i = 0; i < v.numel(); ++i) v[i] = eps[i] - x0[i];
    return v;
}

}  // namespace

class TestInpaintLazy : public QObject {
    Q_OBJECT

private slots:
    void noise_level_of_each_step_data() {
        QTest::addColumn<QString>("sampler");
        // scm (Sana-Sprint's TrigFlow sampler) is text-to-image only: it has no noise levels to re-impose.
        for (const auto& name : sampler_names())
            if (name != "scm") QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void noise_level_of_each_step() {
        QFETCH(QString, sampler);
        const std::string name = sampler.toStdString();
        // DDIM with linspace spacing steps to t - T/steps, which is not the next timestep, and the
        // next step then reads its input as if it were: a perfect model only stays on track with
        // spacing where they agree (leading, DDIM's default). add_noise_at follows where x lands.
        nlohmann::json j = Config::read(kTiny / "scheduler" / "scheduler_config.json").json();
        if (name == "ddim") j["timestep_spacing"] = "leading";
        const SchedulerConfig cfg = SchedulerConfig::from(Config(j, "scheduler_config.json"));
        for (float strength : {1.0f, 0.6f}) {
            auto s = make_sampler(name, cfg);
            s->set_timesteps(6, strength);
            const int n = s->num_steps();
            const bool stochastic = s->needs_noise();
            // Deterministic: a real x0; stochastic: x0 = 0, so the sample's std is its level.
            const Shape shape = stochastic ? Shape{1, 4, 128, 128} : Shape{1, 4, 8, 8};
            // |x0| < 1: DDIM clips its x0 estimate to [-1, 1] (clip_sample), as VAE latents rarely need.
            Tensor x0 = stochastic ? Tensor(shape) : randn(shape, 5);
            for (int64_t j = 0; j < x0.numel(); ++j) x0[j] = std::clamp(0.3f * x0[j], -0.9f, 0.9f);
            const Tensor eps = randn(shape, 6);
            QCOMPARE(max_abs_diff(s->add_noise_at(x0, eps, 0), s->add_noise(x0, eps)), 0.0);
            NoiseStream fresh(9, 1);
            Tensor x = s->add_noise_at(x0, eps, 0);
            for (int i = 0; i < n; ++i) {
                const Tensor noise = stochastic ? fresh.next(shape) : Tensor();
                // Stochastic: x0 = 0, so the noise in x is x over its level.
                Tensor pred = perfect_prediction(name, x0, eps);
                if (stochastic) {
                    const float level = s->add_noise_at(Tensor(shape), Tensor(shape, 1.0f), i)[0];
                    for (int64_t j = 0; j < pred.numel(); ++j) pred[j] = x[j] / level;
                }
                x = s->step(pred, i, x, noise);
                const Tensor next = s->add_noise_at(x0, eps, i + 1), same = s->add_noise_at(x0, eps, i);
                if (!stochastic) {
                    const double err = max_abs_diff(x, next), off_by_one = max_abs_diff(x, same);
                    const double tol = 1e-4 * std::max(1.0, max_abs(next));
                    if (err > tol) qWarning("%s step %d: max abs error %g > %g", name.c_str(), i, err, tol);
                    QVERIFY(err <= tol);
                    // (the last step of a flow schedule only goes from sigma_min to 0)
                    if (i + 1 < n)
                        QVERIFY2(off_by_one > 10 * tol, "levels i and i + 1 must differ for the test to mean anything");
                } else {
                    // The level is the std of the noise part (x0 = 0); a unit "noise" reads it off.
                    const Tensor unit(shape, 1.0f);
                    const double want = s->add_noise_at(Tensor(shape), unit, i + 1)[0];
                    const double got = stddev(x);
                    if (want < 1e-6) {
                        QVERIFY2(got < 1e-3, qPrintable(QString("last step should be clean, std %1").arg(got)));
                    } else {
                        const double rel = std::fabs(got - want) / want;
                        if (rel > 0.03) qWarning("%s step %d: std %g, level %g", name.c_str(), i, got, want);
                        QVERIFY(rel <= 0.03);
                    }
                }
            }
            // After the last step the known region is the clean latent for these schedules.
            QCOMPARE(max_abs_diff(s->add_noise_at(x0, eps, n), x0), 0.0);
            QVERIFY_THROWS_EXCEPTION(Error, s->add_noise_at(x0, eps, n + 1));
        }
    }

    void lazy_forward_matches_plain_data() {
        QTest::addColumn<bool>("fast");
        QTest::newRow("reference") << false;
        QTest::newRow("fast") << true;
    }
    void lazy_forward_matches_plain() {
        QFETCH(bool, fast);
        kernels::Backend& ops = fast ? kernels::fast() : kernels::reference();
        auto t = PixArtTransformer2DModel::load(kTiny / "transformer");
        const auto& c = t->config();
        const int64_t B = 2, L = 5, H = 8, W = 12, N = (H / 2) * (W / 2);
        const Tensor embeds = randn({B, L, c.caption_channels}, 3);
        std::vector<int32_t> mask{1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
        const auto prompt = t->encode_prompt(embeds, mask, ops);
        const Tensor latent = randn({B, 4, H, W}, 4);
        const std::vector<float> ts{500.f, 500.f};
        const Tensor plain = t->forward(latent, ts, prompt, 64, 96, ops);

        LazyTokens lazy;
        for (int32_t i = 0; i < N; ++i) ((i % 5 == 1 || i == 7) ? lazy.active : lazy.cached).push_back(i);
        ForwardExtras extras;
        extras.lazy = &lazy;
        int64_t seen_n = -1;
        extras.after_block = [&](int, float*, int64_t n, const float*) { seen_n = n; };
        lazy.refresh = true;
        const Tensor refreshed = t->forward(latent, ts, prompt, 64, 96, ops, nullptr, &extras);
        QCOMPARE(seen_n, N);
        const double e_refresh = max_abs_diff(refreshed, plain);
        if (e_refresh != 0) qWarning("refresh vs plain: max abs error %g (tolerance 0)", e_refresh);
        QCOMPARE(e_refresh, 0.0);

        lazy.refresh = false;
        const Tensor out = t->forward(latent, ts, prompt, 64, 96, ops, nullptr, &extras);
        QCOMPARE(seen_n, int64_t(lazy.active.size()));
        // Compare token by token: the active ones match, the cached ones are zero.
        const int64_t Co = out.dim(1), gw = W / 2;
        std::vector<char> active(size_t(N), 0);
        for (int32_t a : lazy.active) active[size_t(a)] = 1;
        double err = 0, zero = 0;
        for (int64_t b = 0; b < B; ++b)
            for (int64_t ch = 0; ch < Co; ++ch)
                for (int64_t y = 0; y < H; ++y)
                    for (int64_t x = 0; x < W; ++x) {
                        const int64_t at = ((b * Co + ch) * H + y) * W + x;
                        if (active[size_t((y / 2) * gw + x / 2)]) err = std::max(err, double(std::fabs(out[at] - plain[at])));
                        else zero = std::max(zero, double(std::fabs(out[at])));
                    }
        const double tol = 1e-4 * max_abs(plain);
        if (err > tol) qWarning("lazy vs plain on active tokens: max abs error %g > %g", err, tol);
        QVERIFY(err <= tol);
        QCOMPARE(zero, 0.0);

        // A lazy forward needs a filled cache of the right size.
        LazyTokens empty;
        empty.active = lazy.active;
        empty.cached = lazy.cached;
        empty.refresh = false;
        extras.lazy = &empty;
        QVERIFY_THROWS_EXCEPTION(Error, t->forward(latent, ts, prompt, 64, 96, ops, nullptr, &extras));
        empty.cached.pop_back();  // no longer a partition of the tokens
        empty.refresh = true;
        QVERIFY_THROWS_EXCEPTION(Error, t->forward(latent, ts, prompt, 64, 96, ops, nullptr, &extras));
    }
};

QTEST_APPLESS_MAIN(TestInpaintLazy)
#include "test_inpaint_lazy.moc"
