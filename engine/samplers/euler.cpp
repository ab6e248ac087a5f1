// Euler (Karras et al. 2022, k-diffusion's sample_euler), diffusers' EulerDiscreteScheduler
// without churn: the probability-flow ODE on k-diffusion sigmas, x_{i+1} = x_i + (x_i - x0) /
// sigma_i * (sigma_{i+1} - sigma_i). The sample lives at scale sqrt(sigma^2 + 1), so the model
// sees x / sqrt(sigma^2 + 1) and the initial noise is multiplied by the largest sigma.
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

class Euler final : public Sampler {
public:
    explicit Euler(const SchedulerConfig& cfg) : cfg_(cfg) {
        const auto& p = cfg.prediction_type;
        if (p != "epsilon" && p != "v_prediction" && p != "sample" && p != "original_sample")
            schedule::unsupported_prediction(cfg, "euler", "epsilon, v_prediction, sample");
        alphas_cumprod_ = schedule::alphas_cumprod(schedule::betas(cfg, {}));
        train_sigma_ = schedule::train_sigmas(alphas_cumprod_);
    }
    const char* name() const override { return "euler"; }

    void set_timesteps(int steps, float strength) override {
        schedule::check_request(name(), steps, strength, cfg_.num_train_timesteps);
        num_steps_ = 0;  // not ready until the schedule is complete
        x0_ = Tensor();
        schedule::euler_schedule(cfg_, {}, steps, train_sigma_, timesteps_, sigmas_);
        sigmas_.push_back(cfg_.final_sigmas_type == "sigma_min"
                              ? std::sqrt((1.0f - alphas_cumprod_[0]) / alphas_cumprod_[0])
                              : 0.0f);
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
        const float sigma = sigmas_[begin_ + i];
        const float dt = sigmas_[begin_ + i + 1] - sigma;
        const int64_t n = x.numel();
        Tensor x0(x.shape());
        if (cfg_.prediction_type == "epsilon") {
            for (int64_t j = 0; j < n; ++j) x0[j] = x[j] - sigma * out[j];
        } else if (cfg_.prediction_type == "v_prediction") {
            const float c_out = -sigma / std::sqrt(sigma * sigma + 1.0f), c_in = sigma * sigma + 1.0f;
            for (int64_t j = 0; j < n; ++j) x0[j] = out[j] * c_out + x[j] / c_in;
        } else {
            x0 = out.clone();
        }
        Tensor y(x.shape());
        for (int64_t j = 0; j < n; ++j) {
            const float derivative = (x[j] - x0[j]) / sigma;
            y[j] = x[j] + derivative * dt;
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
    std::vector<float> alphas_cumprod_, train_sigma_, timesteps_, sigmas_;
    int begin_ = 0;
};

}  // namespace

std::unique_ptr<Sampler> make_euler(const SchedulerConfig& cfg) { return std::make_unique<Euler>(cfg); }

}  // namespace dit
