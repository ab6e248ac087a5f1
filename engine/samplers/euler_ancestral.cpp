// Euler ancestral (k-diffusion's sample_euler_ancestral, eta 1), diffusers'
// EulerAncestralDiscreteScheduler: each step goes down to sigma_down with Euler and adds fresh
// noise of size sigma_up, sigma_down^2 + sigma_up^2 = sigma_next^2. Same schedule and input
// scaling as Euler; the last step (sigma_next = 0) adds no noise.
#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/samplers/noise_schedule.h"

// Same float32 operations, in the same order, as diffusers' torch code: no fused multiply-add,
// which would round differently where diffusers' own arithmetic cancels (huge sigmas).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace dit {
namespace {

class EulerAncestral final : public Sampler {
public:
    explicit EulerAncestral(const SchedulerConfig& cfg) : cfg_(cfg) {
        // diffusers raises NotImplementedError for "sample" here.
        if (cfg.prediction_type != "epsilon" && cfg.prediction_type != "v_prediction")
            schedule::unsupported_prediction(cfg, "euler_a", "epsilon, v_prediction");
        train_sigma_ = schedule::train_sigmas(schedule::alphas_cumprod(schedule::betas(cfg, {})));
    }
    const char* name() const override { return "euler_a"; }
    bool needs_noise() const override { return true; }

    void set_timesteps(int steps, float strength) override {
        schedule::check_request(name(), steps, strength, cfg_.num_train_timesteps);
        num_steps_ = 0;  // not ready until the schedule is complete
        x0_ = Tensor();
        schedule::euler_schedule(cfg_, {}, steps, train_sigma_, timesteps_, sigmas_);
        sigmas_.push_back(0.0f);
        begin_ = strength < 1.0f ? schedule::img2img_begin(name(), steps, strength) : 0;
        num_steps_ = steps - begin_;
    }

    float timestep(int i) const override { return timesteps_.at(begin_ + i); }

    float init_noise_sigma() const override {
        const float m = *std::max_element(sigmas_.begin(), sigmas_.end());
        const std::string sp = schedule::spacing(cfg_, {});
        return sp == "linspace" || sp == "trailing" ? m : std::sqrt(m * m + 1.0f);
    }

    void scale_model_input(Tensor& x, int i) const override {
        const float s = sigmas_.at(begin_ + i);
        const float c = std::sqrt(s * s + 1.0f);
        for (int64_t j = 0; j < x.numel(); ++j) x[j] = x[j] / c;
    }

    Tensor step(const Tensor& out, int i, const Tensor& x, const Tensor& noise) override {
        check_step(i, out, x, noise);
        const float sigma = sigmas_[begin_ + i], sigma_to = sigmas_[begin_ + i + 1];
        const float sigma_up =
            std::sqrt(sigma_to * sigma_to * (sigma * sigma - sigma_to * sigma_to) / (sigma * sigma));
        const float sigma_down = std::sqrt(sigma_to * sigma_to - sigma_up * sigma_up);
        const float dt = sigma_down - sigma;
        const int64_t n = x.numel();
        Tensor x0(x.shape());
        if (cfg_.prediction_type == "epsilon") {
            for (int64_t j = 0; j < n; ++j) x0[j] = x[j] - sigma * out[j];
        } else {  // v_prediction
            const float c_out = -sigma / std::sqrt(sigma * sigma + 1.0f), c_in = sigma * sigma + 1.0f;
            for (int64_t j = 0; j < n; ++j) x0[j] = out[j] * c_out + x[j] / c_in;
        }
        Tensor y(x.shape());
        for (int64_t j = 0; j < n; ++j) {
            const float derivative = (x[j] - x0[j]) / sigma;
            y[j] = (x[j] + derivative * dt) + noise[j] * sigma_up;
        }
        x0_ = std::move(x0);
        return y;
    }

    Tensor add_noise(const Tensor& x0, const Tensor& noise) const override {
        check_shapes(noise, x0, "the noise");
        const float s = sigmas_.at(begin_);
        Tensor y(x0.shape());
        for (int64_t j = 0; j < x0.numel(); ++j) y[j] = x0[j] + noise[j] * s;
        return y;
    }

private:
    SchedulerConfig cfg_;
    std::vector<float> train_sigma_, timesteps_, sigmas_;
    int begin_ = 0;
};

}  // namespace

std::unique_ptr<Sampler> make_euler_ancestral(const SchedulerConfig& cfg) {
    return std::make_unique<EulerAncestral>(cfg);
}

}  // namespace dit
