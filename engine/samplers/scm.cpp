// Sana-Sprint's sampler: diffusers' SCMScheduler (TrigFlow, sCM) together with the scalings
// SanaSprintPipeline wraps around the transformer, so the engine's generic loop (sampler.h) runs
// it like any other sampler.
//
// Diffusers keeps latents scaled by sigma_data (initial noise times sigma_data; the result is
// the last denoised estimate divided by it). Here the sample is the latent in VAE units, i.e.
// diffusers' latents / sigma_data; with sigma_data 0.5 the two differ by exact power-of-two
// scalings. For trigflow time s (from max_timesteps 1.5708 down to 0) at step i:
//   timestep(i)          = sin(s) / (cos(s) + sin(s))                 what the transformer gets
//   scale_model_input    : x * sqrt(timestep² + (1 - timestep)²)
//   step, with the model output F and c = timestep:
//     v      = ((1 - 2c) x_in + (1 - 2c + 2c²) F) / sqrt(c² + (1 - c)²) · sigma_data
//     x0     = cos(s) (x · sigma_data) - sin(s) v                         (pred_original_sample)
//     next   = cos(s_next) x0 + sin(s_next) · noise · sigma_data          (fresh noise each step)
//   and returns next / sigma_data (x0 / sigma_data after the last step, where s_next = 0).
// The schedule: 2 steps -> [1.5708, 1.3, 0] (the pipeline's intermediate_timesteps); otherwise
// torch.linspace(1.5708, 0, steps + 1) in float32.
#include <cmath>

#include "engine/error.h"
#include "engine/samplers/noise_schedule.h"

namespace dit {
namespace {

constexpr float kMaxTimestep = 1.57080f;          // SanaSprintPipeline's max_timesteps
constexpr float kIntermediateTimestep = 1.3f;     // its intermediate_timesteps (2 steps only)

class SCM final : public Sampler {
public:
    explicit SCM(const SchedulerConfig& cfg) : cfg_(cfg), sigma_data_(float(cfg.sigma_data)) {
        if (cfg.prediction_type != "trigflow") schedule::unsupported_prediction(cfg, "scm", "trigflow");
    }
    const char* name() const override { return "scm"; }
    bool needs_noise() const override { return true; }

    void set_timesteps(int steps, float strength) override {
        schedule::check_request(name(), steps, strength, cfg_.num_train_timesteps);
        if (strength < 1.0f)
            throw Error("scm: Sana-Sprint runs text-to-image only here (strength " + std::to_string(strength) +
                        " asks for image-to-image)");
        num_steps_ = 0;
        x0_ = Tensor();
        times_.clear();
        if (steps == 2) {
            times_ = {kMaxTimestep, kIntermediateTimestep, 0.0f};
        } else {
            // torch.linspace in float32: the first half from the start, the second from the end.
            const float step = (0.0f - kMaxTimestep) / float(steps);
            for (int i = 0; i <= steps; ++i)
                times_.push_back(i < (steps + 1) / 2 ? kMaxTimestep + step * float(i)
                                                     : 0.0f - step * float(steps - i));
        }
        num_steps_ = steps;
    }

    float timestep(int i) const override {
        const float s = times_.at(size_t(i));
        return std::sin(s) / (std::cos(s) + std::sin(s));
    }

    void scale_model_input(Tensor& x, int i) const override {
        const float c = timestep(i), k = std::sqrt(c * c + (1.0f - c) * (1.0f - c));
        for (int64_t j = 0; j < x.numel(); ++j) x[j] = x[j] * k;
    }

    Tensor step(const Tensor& out, int i, const Tensor& x, const Tensor& noise) override {
        check_step(i, out, x, noise);
        const float s = times_[size_t(i)], t = times_[size_t(i) + 1];
        const float c = timestep(i), norm = std::sqrt(c * c + (1.0f - c) * (1.0f - c));
        const float a = 1.0f - 2.0f * c, b = 1.0f - 2.0f * c + 2.0f * c * c;
        const float cos_s = std::cos(s), sin_s = std::sin(s), cos_t = std::cos(t), sin_t = std::sin(t);
        Tensor next(x.shape()), x0(x.shape());
        for (int64_t j = 0; j < x.numel(); ++j) {
            const float latent = x[j] * sigma_data_;           // diffusers' latents
            const float x_in = x[j] * norm;                    // the transformer's input
            const float v = (a * x_in + b * out[j]) / norm * sigma_data_;
            const float pred = cos_s * latent - sin_s * v;
            next[j] = (cos_t * pred + sin_t * (noise[j] * sigma_data_)) / sigma_data_;
            x0[j] = pred / sigma_data_;
        }
        x0_ = std::move(x0);
        return next;
    }

    // TrigFlow's forward process at time s, in VAE units: cos(s) x0 + sin(s) noise.
    Tensor add_noise(const Tensor& x0, const Tensor& noise) const override { return add_noise_at(x0, noise, 0); }
    Tensor add_noise_at(const Tensor& x0, const Tensor& noise, int i) const override {
        check_level(i);
        check_shapes(noise, x0, "the noise");
        const float s = times_.at(size_t(i));
        return schedule::blend(x0, std::cos(s), noise, std::sin(s));
    }

private:
    SchedulerConfig cfg_;
    float sigma_data_ = 0.5f;
    std::vector<float> times_;  // trigflow times, steps + 1 of them ending at 0
};

}  // namespace

std::unique_ptr<Sampler> make_scm(const SchedulerConfig& cfg) { return std::make_unique<SCM>(cfg); }

}  // namespace dit
