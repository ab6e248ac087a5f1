// Flow-matching Euler (rectified flow; SD3), diffusers' FlowMatchEulerDiscreteScheduler with a
// static shift: x_t = (1 - sigma) x0 + sigma noise, the model predicts the velocity v = noise - x0
// at timestep sigma * 1000, and x += (sigma_next - sigma) v. Sigmas run linearly from the
// largest to the smallest training sigma, pass through the shift s sigma / (1 + (s - 1) sigma),
// and end at 0. As in diffusers the smallest training sigma is itself shifted already, so with
// shift != 1 the last nonzero sigma is shifted twice. prediction_type is ignored.
#include <cmath>

#include "engine/error.h"
#include "engine/samplers/noise_schedule.h"

#include "engine/samplers/diffusers_float_order.h"

namespace dit {
namespace {

class FlowMatchEuler final : public Sampler {
public:
    explicit FlowMatchEuler(const SchedulerConfig& cfg) : cfg_(cfg) {
        // The training schedule's ends, in float32 as torch builds them: sigma = k / T, shifted.
        const float T = float(cfg.num_train_timesteps);
        const float shift = float(cfg.shift), shift_m1 = float(cfg.shift - 1.0);
        auto shifted = [&](float s) { return shift * s / (1.0f + shift_m1 * s); };
        sigma_max_ = shifted(T / T);
        sigma_min_ = shifted(1.0f / T);
    }
    const char* name() const override { return "flow_euler"; }

    void set_timesteps(int steps, float strength) override {
        schedule::check_request(name(), steps, strength, cfg_.num_train_timesteps);
        num_steps_ = 0;  // not ready until the schedule is complete
        x0_ = Tensor();
        const double T = cfg_.num_train_timesteps;
        const double s = cfg_.shift;
        sigmas_.clear();
        timesteps_.clear();
        for (double t : schedule::linspace(double(sigma_max_) * T, double(sigma_min_) * T, steps)) {
            const double sigma = t / T;
            sigmas_.push_back(float(s * sigma / (1 + (s - 1) * sigma)));
            timesteps_.push_back(sigmas_.back() * float(T));
        }
        sigmas_.push_back(0.0f);
        begin_ = strength < 1.0f ? schedule::img2img_begin_flow(name(), steps, strength) : 0;
        num_steps_ = steps - begin_;
    }

    float timestep(int i) const override { return timesteps_.at(begin_ + i); }

    Tensor step(const Tensor& v, int i, const Tensor& x, const Tensor& noise) override {
        check_step(i, v, x, noise);
        const float sigma = sigmas_[begin_ + i];
        const float dt = sigmas_[begin_ + i + 1] - sigma;
        const int64_t n = x.numel();
        Tensor y(x.shape()), x0(x.shape());
        for (int64_t j = 0; j < n; ++j) {
            y[j] = x[j] + dt * v[j];
            x0[j] = x[j] - sigma * v[j];
        }
        x0_ = std::move(x0);
        return y;
    }

    // diffusers' scale_noise: sigma * noise + (1 - sigma) * x0 at the first step that runs.
    Tensor add_noise(const Tensor& x0, const Tensor& noise) const override {
        check_shapes(noise, x0, "the noise");
        const float s = sigmas_.at(begin_);
        return schedule::blend(x0, 1.0f - s, noise, s);
    }

    Tensor add_noise_at(const Tensor& x0, const Tensor& noise, int i) const override {
        check_level(i);
        check_shapes(noise, x0, "the noise");
        const float s = sigmas_.at(begin_ + i);
        return schedule::blend(x0, 1.0f - s, noise, s);
    }

private:
    SchedulerConfig cfg_;
    float sigma_max_ = 1.0f, sigma_min_ = 0.001f;
    std::vector<float> sigmas_, timesteps_;
    int begin_ = 0;
};

}  // namespace

std::unique_ptr<Sampler> make_flow_match_euler(const SchedulerConfig& cfg) {
    return std::make_unique<FlowMatchEuler>(cfg);
}

}  // namespace dit
