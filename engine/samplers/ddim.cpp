// DDIM (Song et al. 2021), diffusers' DDIMScheduler: the deterministic (eta = 0) or partly
// stochastic (eta > 0) non-Markovian update on alphas_cumprod. Like diffusers, the previous
// timestep is t - num_train_timesteps // steps whatever the spacing, the x0 estimate is clipped
// to +-clip_sample_range when clip_sample is on (its class default: on), and the step after the
// last uses alpha 1 (set_alpha_to_one) or alphas_cumprod[0].
#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/samplers/noise_schedule.h"

#include "engine/samplers/diffusers_float_order.h"

namespace dit {
namespace {

const schedule::ClassDefaults kDDIM{0.0001, 0.02, "linear", "leading", true};

class DDIM final : public Sampler {
public:
    explicit DDIM(const SchedulerConfig& cfg) : cfg_(cfg) {
        if (cfg.prediction_type != "epsilon" && cfg.prediction_type != "v_prediction" &&
            cfg.prediction_type != "sample")
            schedule::unsupported_prediction(cfg, "ddim", "epsilon, v_prediction, sample");
        if (!(cfg.eta >= 0.0f)) throw Error("ddim: eta must be >= 0, got " + std::to_string(cfg.eta));
        alphas_cumprod_ = schedule::alphas_cumprod(schedule::betas(cfg, kDDIM));
        final_alpha_cumprod_ = cfg.set_alpha_to_one ? 1.0f : alphas_cumprod_[0];
        clip_ = cfg.clip_sample.value_or(kDDIM.clip_sample);
    }
    const char* name() const override { return "ddim"; }
    bool needs_noise() const override { return cfg_.eta > 0.0f; }

    void set_timesteps(int steps, float strength) override {
        schedule::check_request(name(), steps, strength, cfg_.num_train_timesteps);
        num_steps_ = 0;  // not ready until the schedule is complete
        x0_ = Tensor();
        timesteps_.clear();
        for (double t : schedule::spaced_timesteps(schedule::spacing(cfg_, kDDIM), steps,
                                                   cfg_.num_train_timesteps, cfg_.steps_offset))
            timesteps_.push_back(int(schedule::round_half_even(t)));
        inference_steps_ = steps;
        begin_ = strength < 1.0f ? schedule::img2img_begin(name(), steps, strength) : 0;
        num_steps_ = int(timesteps_.size()) - begin_;
    }

    float timestep(int i) const override { return float(timesteps_.at(begin_ + i)); }

    Tensor step(const Tensor& out, int i, const Tensor& x, const Tensor& noise) override {
        check_step(i, out, x, noise);
        const int t = timesteps_[begin_ + i];
        const int prev_t = t - cfg_.num_train_timesteps / inference_steps_;
        const float a_t = alpha_at(t);
        const float a_prev = prev_t >= 0 ? alpha_at(prev_t) : final_alpha_cumprod_;
        const float b_t = 1.0f - a_t;
        const float sa_t = std::sqrt(a_t), sb_t = std::sqrt(b_t);
        const int64_t n = x.numel();

        Tensor x0(x.shape()), eps(x.shape());
        if (cfg_.prediction_type == "epsilon") {
            for (int64_t j = 0; j < n; ++j) x0[j] = (x[j] - sb_t * out[j]) / sa_t, eps[j] = out[j];
        } else if (cfg_.prediction_type == "sample") {
            for (int64_t j = 0; j < n; ++j) x0[j] = out[j], eps[j] = (x[j] - sa_t * out[j]) / sb_t;
        } else {  // v_prediction
            for (int64_t j = 0; j < n; ++j) x0[j] = sa_t * x[j] - sb_t * out[j], eps[j] = sa_t * out[j] + sb_t * x[j];
        }
        if (clip_) {
            const float r = float(cfg_.clip_sample_range);
            for (int64_t j = 0; j < n; ++j) x0[j] = std::clamp(x0[j], -r, r);
        }
        // sigma_t of the DDIM paper (eq. 16) times eta.
        const float b_prev = 1.0f - a_prev;
        const float variance = (b_prev / b_t) * (1.0f - a_t / a_prev);
        const float std_dev = cfg_.eta * std::sqrt(variance);
        const float c_dir = std::sqrt(1.0f - a_prev - std_dev * std_dev);
        const float c_x0 = std::sqrt(a_prev);
        Tensor y(x.shape());
        for (int64_t j = 0; j < n; ++j) y[j] = c_x0 * x0[j] + c_dir * eps[j];
        if (cfg_.eta > 0.0f)
            for (int64_t j = 0; j < n; ++j) y[j] = y[j] + std_dev * noise[j];
        x0_ = std::move(x0);
        return y;
    }

    Tensor add_noise(const Tensor& x0, const Tensor& noise) const override {
        check_shapes(noise, x0, "the noise");
        const float a = alpha_at(timesteps_.at(begin_));
        return schedule::blend(x0, std::sqrt(a), noise, std::sqrt(1.0f - a));
    }

    // Step i - 1 lands at its prev_t = t - T / steps (with some spacings that is not the next
    // timestep of the schedule), or at final_alpha_cumprod below 0.
    Tensor add_noise_at(const Tensor& x0, const Tensor& noise, int i) const override {
        check_level(i);
        check_shapes(noise, x0, "the noise");
        float a;
        if (i == 0) {
            a = alpha_at(timesteps_.at(begin_));
        } else {
            const int prev_t = timesteps_.at(begin_ + i - 1) - cfg_.num_train_timesteps / inference_steps_;
            a = prev_t >= 0 ? alpha_at(prev_t) : final_alpha_cumprod_;
        }
        return schedule::blend(x0, std::sqrt(a), noise, std::sqrt(1.0f - a));
    }

private:
    SchedulerConfig cfg_;
    std::vector<float> alphas_cumprod_;
    std::vector<int> timesteps_;
    float final_alpha_cumprod_ = 1.0f;
    bool clip_ = true;
    int inference_steps_ = 0, begin_ = 0;

    // steps_offset can push a leading schedule's first timestep past the table.
    float alpha_at(int t) const {
        if (t < 0 || t >= int(alphas_cumprod_.size()))
            throw Error(std::string(name()) + ": timestep " + std::to_string(t) + " is outside the " +
                        std::to_string(alphas_cumprod_.size()) + "-step training schedule (check steps_offset)");
        return alphas_cumprod_[t];
    }
};

}  // namespace

std::unique_ptr<Sampler> make_ddim(const SchedulerConfig& cfg) { return std::make_unique<DDIM>(cfg); }

}  // namespace dit
