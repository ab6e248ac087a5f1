// The samplers and the noise generator against tools/reference/ (make_sampler_fixture.py): every
// sampler replays the reference runs (schedules from real scheduler configs, a toy model, fixed
// noise) and must give the same timesteps and samples; the generator must give the reference's
// numbers and look like N(0, 1); bad names, steps, strengths and configs raise dit::Error.
#include <QtTest>

#include <cmath>
#include <functional>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "tests/common/test_helpers.h"
#include "engine/io/config.h"
#include "engine/io/safetensors.h"
#include "engine/random.h"
#include "engine/samplers/noise_schedule.h"
#include "engine/samplers/sampler.h"

// The toy model below must round like the torch reference: no fused multiply-add.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

using namespace dit;
using namespace dit::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(DIT_FIXTURES) / "samplers";
const Shape kShape{1, 4, 4, 4};
constexpr uint64_t kStepStream = 0x5354455053ull;  // the pipeline's step-noise stream

SchedulerConfig config(const std::string& name) {
    return SchedulerConfig::from(Config::read(kDir / "configs" / (name + ".json")));
}

// The toy model of make_sampler_fixture.py: 0.3 x + f32(0.1 sin(t / 100)).
Tensor toy_model(const Tensor& x, float t) {
    const float bias = float(0.1 * std::sin(double(t) / 100.0));
    Tensor out(x.shape());
    for (int64_t j = 0; j < x.numel(); ++j) out[j] = 0.3f * x[j] + bias;
    return out;
}

// Max abs difference relative to max(1, max |want|); -1 for a shape mismatch.
double rel_err(const Tensor& got, const Tensor& want) {
    if (got.shape() != want.shape()) return -1;
    double err = 0, scale = 1;
    for (int64_t j = 0; j < want.numel(); ++j) {
        const double d = std::fabs(double(got[j]) - double(want[j]));
        err = std::isnan(d) ? INFINITY : std::max(err, d);
        scale = std::max(scale, double(std::fabs(want[j])));
    }
    return err / scale;
}


}  // namespace

class TestSamplers : public QObject {
    Q_OBJECT

    // Replays every run stored for one sampler. Tolerances: timesteps 1e-6 relative (they are
    // computed the same way, so in practice exact); the first sample (init), the sample after
    // step 0, the final sample and the last predicted x0 within 1e-5 of max(1, max |reference|)
    // (the per-step scalars follow diffusers' float32 order; what remains is libm and FMA
    // rounding).
    // scm is made by make_scm (the Sprint pipeline's own sampler), every other by name.
    void replay(const std::string& stem, const std::string& name, size_t min_cases = 14) {
        auto file = SafetensorsFile::open(kDir / (stem + ".safetensors"));
        QCOMPARE(QString::fromStdString(file->metadata().at("sampler")), QString::fromStdString(name));
        const auto cases = nlohmann::json::parse(file->metadata().at("cases"));
        QVERIFY(cases.size() >= min_cases);
        double worst = 0;
        for (const auto& c : cases) {
            const std::string prefix = c.at("prefix");
            SchedulerConfig cfg = config(c.at("config"));
            cfg.eta = c.at("eta").get<float>();
            auto s = name == "scm" ? make_scm(cfg) : make_sampler(name, cfg);
            const int steps = c.at("steps");
            const float strength = c.at("strength").get<float>();
            s->set_timesteps(steps, strength);

            const Tensor want_t = file->load(prefix + "/timesteps");
            QVERIFY2(s->num_steps() == want_t.numel(),
                     qPrintable(QString("%1: %2 steps, reference %3").arg(prefix.c_str()).arg(s->num_steps()).arg(want_t.numel())));
            for (int i = 0; i < s->num_steps(); ++i)
                QVERIFY2(std::fabs(s->timestep(i) - want_t[i]) <= 1e-6f * std::max(1.0f, std::fabs(want_t[i])),
                         qPrintable(QString("%1: timestep %2 is %3, reference %4").arg(prefix.c_str()).arg(i)
                                        .arg(s->timestep(i), 0, 'g', 9).arg(want_t[i], 0, 'g', 9)));
            const float want_sigma = file->load(prefix + "/init_noise_sigma")[0];
            QVERIFY2(std::fabs(s->init_noise_sigma() - want_sigma) <= 1e-6f * std::max(1.0f, want_sigma),
                     qPrintable(QString("%1: init_noise_sigma %2, reference %3").arg(prefix.c_str())
                                    .arg(s->init_noise_sigma()).arg(want_sigma)));

            const Tensor noise = randn(kShape, 42);
            Tensor x;
            if (strength < 1.0f) {
                Tensor clean = randn(kShape, 7);
                for (int64_t j = 0; j < clean.numel(); ++j) clean[j] = 0.5f * clean[j];
                x = s->add_noise(clean, noise);
            } else {
                x = noise.clone();
                for (int64_t j = 0; j < x.numel(); ++j) x[j] *= s->init_noise_sigma();
            }
            auto check = [&](const char* what, const Tensor& got) {
                const double e = rel_err(got, file->load(prefix + "/" + what));
                worst = std::max(worst, e < 0 ? INFINITY : e);
                QVERIFY2(e >= 0 && e <= 1e-5, qPrintable(QString("%1/%2: max abs err %3 (relative to max(1, |ref|))")
                                                             .arg(prefix.c_str(), what).arg(e, 0, 'g', 3)));
            };
            check("init", x);
            NoiseStream stream(42, kStepStream);
            for (int i = 0; i < s->num_steps(); ++i) {
                Tensor in = x.clone();
                s->scale_model_input(in, i);
                const Tensor out = toy_model(in, s->timestep(i));
                const Tensor fresh = s->needs_noise() ? stream.next(kShape) : Tensor();
                x = s->step(out, i, x, fresh);
                if (i == 0) check("first", x);
            }
            check("sample", x);
            check("x0", s->predicted_x0());
        }
        qInfo("%s: %zu reference runs, worst relative error %.3g (tolerance 1e-5)", name.c_str(), cases.size(), worst);
    }

private slots:
    // ---- noise generator --------------------------------------------------------------------

    void philoxKnownAnswers() {
        // Random123's kat_vectors for Philox4x32-10. Exact.
        QVERIFY((philox4x32_10({0, 0, 0, 0}, {0, 0}) == std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
        QVERIFY((philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
                 std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
        QVERIFY((philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
                 std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
    }

    void randnMatchesReference() {
        // The numpy implementation in tools/reference/samplers.py. Tolerance 1e-6 absolute: both
        // compute Box-Muller in double and round to f32, so only a last-ulp libm difference in
        // double could move a value by one f32 ulp.
        auto file = SafetensorsFile::open(kDir / "noise.safetensors");
        auto expect = [&](const char* key, const Tensor& got) {
            const Tensor want = file->load(key);
            QCOMPARE(shape_str(got.shape()), shape_str(want.shape()));
            double err = 0;
            for (int64_t j = 0; j < want.numel(); ++j) err = std::max(err, double(std::fabs(got[j] - want[j])));
            QVERIFY2(err <= 1e-6, qPrintable(QString("%1: max abs err %2").arg(key).arg(err)));
        };
        expect("randn_seed0", randn({3, 5, 7}, 0));
        expect("randn_seed_big", randn({2, 4, 8, 8}, 0x123456789ABCDEF0ull));
        NoiseStream s(7, kStepStream);
        expect("stream_1", s.next({5}));
        expect("stream_2", s.next({1, 4, 4, 4}));
        expect("stream_3", s.next({3}));
    }

    void randnDistribution() {
        // 1e5 samples: mean within 0.015 (~5 standard errors), std within 0.01 of 1, 68.27% of
        // values within one sigma (+-0.01), all finite, and the tails reach past 4 sigma.
        const int64_t n = 100000;
        const Tensor z = randn({n}, 2024);
        double sum = 0, sq = 0, maxabs = 0;
        int64_t within = 0;
        for (int64_t j = 0; j < n; ++j) {
            QVERIFY(std::isfinite(z[j]));
            sum += z[j];
            sq += double(z[j]) * z[j];
            within += std::fabs(z[j]) < 1.0f;
            maxabs = std::max(maxabs, double(std::fabs(z[j])));
        }
        const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
        qInfo("randn(1e5): mean %.5f std %.5f within 1 sigma %.4f max |z| %.2f", mean, sd, double(within) / n, maxabs);
        QVERIFY2(std::fabs(mean) < 0.015, qPrintable(QString("mean %1").arg(mean)));
        QVERIFY2(std::fabs(sd - 1) < 0.01, qPrintable(QString("std %1").arg(sd)));
        QVERIFY2(std::fabs(double(within) / n - 0.6827) < 0.01, qPrintable(QString("within %1").arg(double(within) / n)));
        QVERIFY(maxabs > 4.0);
    }

    void noiseStreamLayout() {
        // Same seed, same numbers; different seeds or streams, different numbers; each draw
        // starts at a fresh 4-value block. Exact.
        const Tensor a = randn({10}, 5), b = randn({10}, 5), c = randn({10}, 6);
        QVERIFY(std::equal(a.data(), a.data() + 10, b.data()));
        QVERIFY(!std::equal(a.data(), a.data() + 10, c.data()));
        NoiseStream s0(5, 0), s1(5, 1);
        const Tensor first = s0.next({5});
        QVERIFY(std::equal(first.data(), first.data() + 5, a.data()));
        QCOMPARE(s0.block(), uint64_t(2));
        const Tensor second = s0.next({3});  // blocks 2..: values 8, 9, 10 of the stream
        const Tensor whole = randn({11}, 5);
        QCOMPARE(second[0], whole[8]);
        QCOMPARE(second[2], whole[10]);
        QVERIFY(s1.next({1})[0] != a[0]);
    }

    // ---- reference runs ---------------------------------------------------------------------

    void dpmSolverMultistep() { replay("dpm_solver_multistep", "dpm++2m"); }
    void ddim() { replay("ddim", "ddim"); }
    void euler() { replay("euler", "euler"); }
    void eulerAncestral() { replay("euler_ancestral", "euler_a"); }
    void lcm() { replay("lcm", "lcm"); }
    void flowMatchEuler() { replay("flow_match_euler", "flow_euler"); }
    // Sana's DPM-Solver++ with flow sigmas is part of dpmSolverMultistep's runs (config "sana");
    // flow_euler's "flow" config has Sana's shift, 3.
    void scm() { replay("scm", "scm", 5); }

    // Sana's flow schedule: the model's timestep is sigma * 1000 truncated (diffusers' int64
    // cast) while the solver uses the exact sigma, which the sample after one step shows.
    void flowSigmasTruncateTheTimestep() {
        auto s = make_sampler("dpm++2m", config("sana"));
        s->set_timesteps(20);
        // sigma_0 = 3 x 0.999 / (1 + 2 x 0.999) = 0.99967: timestep 999, not 999.67.
        QCOMPARE(s->timestep(0), 999.0f);
        for (int i = 0; i < s->num_steps(); ++i) QCOMPARE(s->timestep(i), std::trunc(s->timestep(i)));
        // flow_prediction with a perfect velocity lands on x0 in one first-order step to 0.
        auto one = make_sampler("dpm++2m", config("sana"));
        one->set_timesteps(1);
        const Tensor x0 = randn(kShape, 8), eps = randn(kShape, 9);
        const Tensor x = one->add_noise(x0, eps);
        Tensor v(kShape);
        for (int64_t j = 0; j < v.numel(); ++j) v[j] = eps[j] - x0[j];
        const Tensor y = one->step(v, 0, x, Tensor());
        QVERIFY2(max_abs_diff(y, x0) < 1e-5, qPrintable(QString::number(max_abs_diff(y, x0))));
    }

    void scmInterface() {
        auto s = make_scm(config("sprint"));
        QVERIFY(s->needs_noise());
        s->set_timesteps(2);
        QCOMPARE(s->num_steps(), 2);
        // trigflow time 1.3 -> sin / (cos + sin)
        QVERIFY(std::fabs(s->timestep(1) - float(std::sin(1.3) / (std::cos(1.3) + std::sin(1.3)))) < 1e-6f);
        // The last step lands exactly on the denoised estimate (its noise gets weight sin 0).
        const Tensor x = randn(kShape, 1);
        s->step(toy_model(x, s->timestep(0)), 0, x, randn(kShape, 2));
        const Tensor y = s->step(toy_model(x, s->timestep(1)), 1, x, randn(kShape, 3));
        QCOMPARE(max_abs_diff(y, s->predicted_x0()), 0.0);
        EXPECT_ERROR(s->set_timesteps(2, 0.5f), "text-to-image only");
        EXPECT_ERROR(s->step(x, 0, x, Tensor()), "scm: the step noise has shape []");
        EXPECT_ERROR(make_scm(config("pixart")), "prediction_type 'epsilon' is not supported by scm (trigflow)");
        // Every named sampler but scm refuses a trigflow config; only DPM and flow Euler take flow sigmas.
        for (const auto& name : sampler_names())
            if (name != "scm") EXPECT_ERROR(make_sampler(name, config("sprint")), "Sana-Sprint runs the scm sampler");
        QCOMPARE(std::string(make_sampler("scm", config("sprint"))->name()), std::string("scm"));
        EXPECT_ERROR(make_sampler("scm", config("pixart")), "is not supported by scm (trigflow)");
        EXPECT_ERROR(make_sampler("ddim", config("sana")), "use_flow_sigmas: true — not supported by the ddim sampler");
        nlohmann::json bad = nlohmann::json::parse(R"({"flow_shift": -1})");
        EXPECT_ERROR(SchedulerConfig::from(Config(bad, "sana/scheduler_config.json")),
                     "sana/scheduler_config.json: field 'flow_shift' is -1");
    }

    // ---- schedules and configs --------------------------------------------------------------

    void pixartScheduleDetails() {
        // PixArt-alpha's default: 20 DPM++ steps on linspace timesteps 999 .. 50, no noise, no
        // input scaling; img2img at 0.6 keeps the last int(20 x 0.6) = 12. Exact.
        auto s = make_sampler("dpm++2m", config("pixart"));
        s->set_timesteps(20);
        QCOMPARE(s->num_steps(), 20);
        QCOMPARE(s->timestep(0), 999.0f);
        QCOMPARE(s->timestep(1), 949.0f);
        QCOMPARE(s->timestep(19), 50.0f);
        QVERIFY(!s->needs_noise());
        QCOMPARE(s->init_noise_sigma(), 1.0f);
        s->set_timesteps(20, 0.6f);
        QCOMPARE(s->num_steps(), 12);
        QCOMPARE(s->timestep(0), 599.0f);  // round(12 x 999 / 20)
        // 0.7f is 0.69999998...: the strength is read as the decimal 0.7, int(10 x 0.7) = 7.
        s->set_timesteps(10, 0.7f);
        QCOMPARE(s->num_steps(), 7);
        // SD3's rule for flow matching: int(10 - 10 x 0.25) = 7 skipped, 3 run.
        auto f = make_sampler("flow_euler", config("flow"));
        f->set_timesteps(10, 0.25f);
        QCOMPARE(f->num_steps(), 3);
        // LCM runs every requested step even for img2img.
        auto l = make_sampler("lcm", config("pixart"));
        l->set_timesteps(4, 0.5f);
        QCOMPARE(l->num_steps(), 4);
        QCOMPARE(l->timestep(0), 499.0f);  // origin schedule 19, 39, ..., 499 (25 = int(50 x 0.5))
    }

    void configDefaults() {
        // Fields the file lacks take diffusers' per-class defaults. Exact.
        const SchedulerConfig p = config("pixart");
        QVERIFY(!p.clip_sample.has_value());  // ddim then clips (its class default), lcm not
        QVERIFY(p.beta_start.has_value() && *p.beta_start == 0.0001);
        QCOMPARE(p.solver_order, 2);
        QCOMPARE(QString::fromStdString(p.final_sigmas_type), QString("zero"));
        QCOMPARE(p.original_inference_steps, 50);
        QCOMPARE(p.timestep_scaling, 10.0);
        const SchedulerConfig empty = SchedulerConfig::from(Config(nlohmann::json::object(), "empty.json"));
        QVERIFY(!empty.beta_schedule.has_value());
        QVERIFY(!empty.timestep_spacing.has_value());
        auto d = make_sampler("ddim", empty);  // leading spacing: 0, 250, 500, 750 reversed
        d->set_timesteps(4);
        QCOMPARE(d->timestep(0), 750.0f);
        QCOMPARE(d->timestep(3), 0.0f);
        auto l = make_sampler("lcm", empty);  // LCM default: 50 original steps, k = 20
        l->set_timesteps(4);
        QCOMPARE(l->timestep(0), 999.0f);
        QCOMPARE(l->timestep(1), 759.0f);
        // A trailing count where numpy's arange yields one value too many: kept at `steps`.
        nlohmann::json j{{"timestep_spacing", "trailing"}};
        auto t = make_sampler("ddim", SchedulerConfig::from(Config(j, "trailing.json")));
        t->set_timesteps(61);
        QCOMPARE(t->num_steps(), 61);
        QVERIFY(t->timestep(60) >= 0.0f);
    }

    void samplerInterface() {
        // predicted_x0 is set by every step; Euler scales the model input; stochastic samplers
        // say so. Exact.
        for (const auto& name : sampler_names()) {
            auto s = make_sampler(name, config(name == "flow_euler" ? "flow" : name == "scm" ? "sprint" : "pixart"));
            QCOMPARE(QString(s->name()), QString::fromStdString(name));
            s->set_timesteps(4);
            const Tensor x = randn(kShape, 1);
            QVERIFY(s->predicted_x0().empty());
            const Tensor y = s->step(toy_model(x, s->timestep(0)), 0, x, s->needs_noise() ? randn(kShape, 2) : Tensor());
            QCOMPARE(shape_str(y.shape()), shape_str(kShape));
            QCOMPARE(shape_str(s->predicted_x0().shape()), shape_str(kShape));
        }
        QVERIFY(make_sampler("euler_a", config("pixart"))->needs_noise());
        QVERIFY(make_sampler("lcm", config("pixart"))->needs_noise());
        QVERIFY(!make_sampler("ddim", config("pixart"))->needs_noise());
        SchedulerConfig eta = config("pixart");
        eta.eta = 1.0f;
        QVERIFY(make_sampler("ddim", eta)->needs_noise());
        auto e = make_sampler("euler", config("pixart"));
        e->set_timesteps(4);
        Tensor x(kShape, 2.0f);
        e->scale_model_input(x, 0);
        const float sigma = e->init_noise_sigma();  // linspace: the first sigma
        QVERIFY(std::fabs(x[0] - 2.0f / std::sqrt(sigma * sigma + 1.0f)) < 1e-6f);
    }

    // ---- errors -------------------------------------------------------------------------------

    void errors() {
        const SchedulerConfig cfg = config("pixart");
        EXPECT_ERROR(make_sampler("heun", cfg), "unknown sampler 'heun'; valid samplers: dpm++2m, ddim, euler, euler_a, lcm, flow_euler");
        for (const auto& name : sampler_names()) {
            auto s = make_sampler(name, name == "scm" ? config("sprint") : cfg);
            EXPECT_ERROR(s->set_timesteps(0), name + ": steps must be at least 1, got 0");
            EXPECT_ERROR(s->set_timesteps(-3), "steps must be at least 1");
            EXPECT_ERROR(s->set_timesteps(1001), "exceeds the schedule's num_train_timesteps 1000");
            EXPECT_ERROR(s->set_timesteps(10, 0.0f), "strength must lie in (0, 1]");
            EXPECT_ERROR(s->set_timesteps(10, -0.5f), "strength must lie in (0, 1]");
            EXPECT_ERROR(s->set_timesteps(10, 1.5f), "strength must lie in (0, 1]");
            EXPECT_ERROR(s->set_timesteps(10, NAN), "strength must lie in (0, 1]");
            EXPECT_ERROR(s->step(Tensor(kShape), 0, Tensor(kShape), Tensor(kShape)), "step() before set_timesteps()");
        }
        auto d = make_sampler("dpm++2m", cfg);
        EXPECT_ERROR(d->set_timesteps(4, 0.2f), "leaves no step to run");
        d->set_timesteps(4);
        const Tensor x = randn(kShape, 3);
        EXPECT_ERROR(d->step(x, 1, x, Tensor()), "the multistep solver runs its steps in order");
        EXPECT_ERROR(d->step(x, 4, x, Tensor()), "step 4 is out of range (0..3)");
        EXPECT_ERROR(d->step(Tensor({1, 4, 4, 5}), 0, x, Tensor()), "the model output has shape [1, 4, 4, 5], the sample [1, 4, 4, 4]");
        auto a = make_sampler("euler_a", cfg);
        a->set_timesteps(4);
        EXPECT_ERROR(a->step(x, 0, x, Tensor()), "euler_a: the step noise has shape []");
        auto l = make_sampler("lcm", cfg);
        EXPECT_ERROR(l->set_timesteps(51), "exceed the 50 timesteps of original_inference_steps");
        EXPECT_ERROR(l->set_timesteps(40, 0.5f), "lower the steps or raise the strength");

        nlohmann::json karras = nlohmann::json::parse(R"({"use_karras_sigmas": true, "thresholding": true})");
        const SchedulerConfig k = SchedulerConfig::from(Config(karras, "karras/scheduler_config.json"));
        EXPECT_ERROR(make_sampler("dpm++2m", k), "karras/scheduler_config.json: thresholding: true; use_karras_sigmas: true");
        nlohmann::json sample = nlohmann::json::parse(R"({"prediction_type": "sample"})");
        EXPECT_ERROR(make_sampler("euler_a", SchedulerConfig::from(Config(sample, "s.json"))),
                     "s.json: prediction_type 'sample' is not supported by euler_a");
        nlohmann::json bad = nlohmann::json::parse(R"({"beta_schedule": "cubic"})");
        EXPECT_ERROR(SchedulerConfig::from(Config(bad, "b.json")), "b.json: field 'beta_schedule' is 'cubic', expected one of");
        nlohmann::json spacing = nlohmann::json::parse(R"({"timestep_spacing": 3})");
        EXPECT_ERROR(SchedulerConfig::from(Config(spacing, "c.json")), "c.json: field 'timestep_spacing'");
    }
};

QTEST_APPLESS_MAIN(TestSamplers)
#include "test_samplers.moc"
