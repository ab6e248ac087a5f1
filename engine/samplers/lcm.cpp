// LCM (Luo et al. 2023), diffusers' LCMScheduler: multistep consistency sampling. Each step maps
// the sample to the consistency function's output, denoised = c_out * x0 + c_skip * x, with
// the boundary-condition scalings at t * timestep_scaling (sigma_data 0.5), then re-noises it to
// the next timestep with fresh noise; the last step returns `denoised` itself. The timesteps are
// a subset of the distillation schedule of original_inference_steps; img2img (strength < 1)
// shortens that schedule and still runs every requested step, as LCM's img2img pipeline does.
#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/samplers/noise_schedule.h"

#include "engine/samplers/diffusers_float_order.h"

namespace dit {
namespace {

const schedule::ClassDefaults kLCM{0.00085, 0.012, "scaled_linear", "leading", false};

class LCM final : public Sampler {
public:
    explicit LCM(const SchedulerConfig& cfg) : cfg_(cfg) {
        if (cfg.prediction_type != "epsilon" && cfg.prediction_type != "v_prediction" &&
            cfg.prediction_type != "sample")
            schedule::unsupported_prediction(cfg, "lcm", "epsilon, v_prediction, sample");
        alphas_cumprod_ = schedule::alphas_cumprod(schedule::betas(cfg, kLCM));
        final_alpha_cumprod_ = cfg.set_alpha_to_one ? 1.0f : alphas_cumprod_[0];
        clip_ = cfg.clip_sample.value_or(kLCM.clip_sample);
    }
    const char* name() const override { return "lcm"; }
    bool needs_noise() const override { return true; }

    void set_timesteps(int steps, float strength) override {
        schedule::check_request(name(), steps, strength, cfg_.num_train_timesteps);
        num_steps_ = 0;  // not ready until the schedule is complete
        x0_ = Tensor();
        const int original = cfg_.original_inference_steps;
        const int k = cfg_.num_train_timesteps / original;
        const int origin_len = int(double(original) * schedule::decimal(strength));
        if (origin_len / steps < 1)
            throw Error(std::string(name()) + ": steps " + std::to_string(steps) + " exceed the " +
                        std::to_string(origin_len) + " timesteps of original_inference_steps (" +
                        std::to_string(original) + ") x strength; lower the steps or raise the strength");
        if (steps > original)
            throw Error(std::string(name()) + ": steps " + std::to_string(steps) +
                        " exceed original_inference_steps " + std::to_string(original));
        // The distillation schedule k-1, 2k-1, ..., descending; evenly spaced picks from it.
        std::vector<int> origin;
        for (int i = origin_len; i >= 1; --i) origin.push_back(i * k - 1);
        timesteps_.clear();
        for (double idx : schedule::linspace(0, origin_len, steps, /*endpoint=*/false))
            timesteps_.push_back(origin[size_t(std::floor(idx))]);
        num_steps_ = steps;
    }

    float timestep(int i) const override { return float(timesteps_.at(i)); }

    Tensor step(const Tensor& out, int i, const Tensor& x, const Tensor& noise) override {
        check_step(i, out, x, noise);
        const int t = timesteps_[i];
        const bool last = i == num_steps_ - 1;
        const int prev_t = last ? t : timesteps_[i + 1];
        const float a_t = alphas_cumprod_[t];
        const float a_prev = prev_t >= 0 ? alphas_cumprod_[prev_t] : final_alpha_cumprod_;
        const float b_t = 1.0f - a_t, b_prev = 1.0f - a_prev;

        // Boundary-condition scalings, sigma_data = 0.5: c_skip -> 1, c_out -> 0 as t -> 0.
        const float st = float(t) * float(cfg_.timestep_scaling);
        const float c_skip = 0.25f / (st * st + 0.25f);
        const float c_out = st / std::sqrt(st * st + 0.25f);

        const float sa_t = std::sqrt(a_t), sb_t = std::sqrt(b_t);
        const int64_t n = x.numel();
        Tensor x0(x.shape());
        if (cfg_.prediction_type == "epsilon")
            for (int64_t j = 0; j < n; ++j) x0[j] = (x[j] - sb_t * out[j]) / sa_t;
        else if (cfg_.prediction_type == "sample")
            x0 = out.clone();
        else  // v_prediction
            for (int64_t j = 0; j < n; ++j) x0[j] = sa_t * x[j] - sb_t * out[j];
        if (clip_) {
            const float r = float(cfg_.clip_sample_range);
            for (int64_t j = 0; j < n; ++j) x0[j] = std::clamp(x0[j], -r, r);
        }
        Tensor denoised(x.shape());
        for (int64_t j = 0; j < n; ++j) denoised[j] = c_out * x0[j] + c_skip * x[j];
        x0_ = denoised;
        if (last) return denoised.clone();
        const float ca = std::sqrt(a_prev), cn = std::sqrt(b_prev);
        Tensor y(x.shape());
        for (int64_t j = 0; j < n; ++j) y[j] = ca * denoised[j] + cn * noise[j];
        return y;
    }

    Tensor add_noise(const Tensor& x0, const Tensor& noise) const override {
        check_shapes(noise, x0, "the noise");
        const float a = alphas_cumprod_[timesteps_.at(0)];
        return schedule::blend(x0, std::sqrt(a), noise, std::sqrt(1.0f - a));
    }

    // Step i - 1 re-noises its denoised sample to timesteps_[i]; the last step returns it clean.
    Tensor add_noise_at(const Tensor& x0, const Tensor& noise, int i) const override {
        check_level(i);
        check_shapes(noise, x0, "the noise");
        if (i == num_steps_) return x0.clone();
        const float a = alphas_cumprod_[timesteps_.at(i)];
        return schedule::blend(x0, std::sqrt(a), noise, std::sqrt(1.0f - a));
    }

private:
    SchedulerConfig cfg_;
    std::vector<float> alphas_cumprod_;
    std::vector<int> timesteps_;
    float final_alpha_cumprod_ = 1.0f;
    bool clip_ = false;
};

}  // namespace

std::unique_ptr<Sampler> make_lcm(const SchedulerConfig& cfg) { return std::make_unique<LCM>(cfg); }

}  // namespace dit
