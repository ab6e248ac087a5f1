// The Euler family on k-diffusion sigmas (Karras et al. 2022): the sample lives at scale
// sqrt(sigma^2 + 1), so the model sees x / sqrt(sigma^2 + 1) and the initial noise is multiplied
// by the largest sigma.
//  - Euler (k-diffusion's sample_euler, diffusers' EulerDiscreteScheduler without churn): the
//    probability-flow ODE, x_{i+1} = x_i + (x_i - x0) / sigma_i * (sigma_{i+1} - sigma_i).
//  - Euler ancestral (sample_euler_ancestral with eta 1, EulerAncestralDiscreteScheduler): each
//    step goes down to sigma_down with Euler and adds fresh noise of size sigma_up, where
//    sigma_down^2 + sigma_up^2 = sigma_next^2; the last step (sigma_next = 0) adds no noise.
#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/samplers/noise_schedule.h"
#include "engine/samplers/diffusers_float_order.h"

namespace dit {
namespace {

class EulerFamily : public Sampler {
public:
    EulerFamily(const SchedulerConfig& cfg, bool ancestral) : cfg_(cfg), ancestral_(ancestral) {
        const auto& p = cfg.prediction_type;
        // diffusers' ancestral scheduler raises NotImplementedError for "sample".
        const bool ok = p == "epsilon" || p == "v_prediction" ||
                        (!ancestral && (p == "sample" || p == "original_sample"));
        if (!ok)
            schedule::unsupported_prediction(cfg, name(), ancestral ? "epsilon, v_prediction"
                                                                   : "epsilon, v_prediction, sample");
        alphas_cumprod_ = schedule::alphas_cumprod(schedule::betas(cfg, {}));
        train_sigma_ = schedule::train_sigmas(alphas_cumprod_);
    }
    const char* name() const override { return ancestral_ ? "euler_a" : "euler"; }
    bool needs_noise() const override { return ancestral_; }

    void set_timesteps(int steps, float strength) override {
        schedule::check_request(name(), steps, strength, cfg_.num_train_timesteps);
        num_steps_ = 0;  // not ready until the schedule is complete
        x0_ = Tensor();
        schedule::euler_schedule(cfg_, {}, steps, train_sigma_, timesteps_, sigmas_);
        const bool sigma_min = !ancestral_ && cfg_.final_sigmas_type == "sigma_min";
        sigmas_.push_back(sigma_min ? std::sqrt((1.0f - alphas_cumprod_[0]) / alphas_cumprod_[0]) : 0.0f);
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
        float sigma_up = 0.0f, target = sigma_to;
        if (ancestral_) {
            sigma_up = std::sqrt(sigma_to * sigma_to * (sigma * sigma - sigma_to * sigma_to) / (sigma * sigma));
            target = std::sqrt(sigma_to * sigma_to - sigma_up * sigma_up);
        }
        const float dt = target - sigma;
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
            if (ancestral_) y[j] = y[j] + noise[j] * sigma_up;
        }
        x0_ = std::move(x0);
        return y;
    }

    Tensor add_noise(const Tensor& x0, const Tensor& noise) const override {
        check_shapes(noise, x0, "the noise");
        return schedule::blend(x0, 1.0f, noise, sigmas_.at(begin_));
    }

    // Euler a's step lands at sigma_down plus fresh noise of sigma_up, which together have the
    // variance of sigmas_[k + 1]: both samplers' sample entering step i is at sigmas_[begin_ + i].
    Tensor add_noise_at(const Tensor& x0, const Tensor& noise, int i) const override {
        check_level(i);
        check_shapes(noise, x0, "the noise");
        return schedule::blend(x0, 1.0f, noise, sigmas_.at(begin_ + i));
    }

private:
    SchedulerConfig cfg_;
    bool ancestral_;
    std::vector<float> alphas_cumprod_, train_sigma_, timesteps_, sigmas_;
    int begin_ = 0;
};

}  // namespace

std::unique_ptr<Sampler> make_euler(const SchedulerConfig& cfg) {
    return std::make_unique<EulerFamily>(cfg, false);
}

std::unique_ptr<Sampler> make_euler_ancestral(const SchedulerConfig& cfg) {
    return std::make_unique<EulerFamily>(cfg, true);
}

}  // namespace dit
