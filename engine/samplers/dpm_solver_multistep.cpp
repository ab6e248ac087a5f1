// DPM-Solver++ multistep (Lu et al. 2022), diffusers' DPMSolverMultistepScheduler with
// algorithm_type dpmsolver++: the data-prediction ODE solver in log-SNR time lambda, order 1..3
// (2 by default, "2M"), with the lower-order warm-up and final steps diffusers takes, and the last
// step landing on sigma 0 (final_sigmas_type zero) or on the smallest training sigma.
//
// use_flow_sigmas (Sana): the schedule is rectified flow's, x = (1 - sigma) x0 + sigma noise, so
// alpha_t = 1 - sigma, sigma_t = sigma. The sigmas are 1 - linspace(1, 1/T, steps + 1) through
// flow_shift's s sigma / (1 + (s - 1) sigma), descending, the 0 end dropped (then the final sigma
// appended as usual); the model's timestep is sigma * T truncated to an integer (diffusers casts
// to int64) while the solver keeps the exact sigma. prediction_type flow_prediction reads the
// output as the velocity: x0 = x - sigma v.
#include <cmath>

#include "engine/error.h"
#include "engine/samplers/noise_schedule.h"

#include "engine/samplers/diffusers_float_order.h"

namespace dit {
namespace {

class DPMSolverMultistep final : public Sampler {
public:
    explicit DPMSolverMultistep(const SchedulerConfig& cfg) : cfg_(cfg) {
        if (cfg.prediction_type != "epsilon" && cfg.prediction_type != "v_prediction" &&
            cfg.prediction_type != "sample" && cfg.prediction_type != "flow_prediction")
            schedule::unsupported_prediction(cfg, "dpm++2m", "epsilon, v_prediction, sample, flow_prediction");
        alphas_cumprod_ = schedule::alphas_cumprod(schedule::betas(cfg, {}));
    }
    const char* name() const override { return "dpm++2m"; }

    void set_timesteps(int steps, float strength) override {
        schedule::check_request(name(), steps, strength, cfg_.num_train_timesteps);
        num_steps_ = 0;  // not ready until the schedule is complete
        x0_ = Tensor();
        const int T = cfg_.num_train_timesteps;
        const int last = last_timestep();
        const std::string spacing = schedule::spacing(cfg_, {});
        std::vector<double> t;
        if (cfg_.use_flow_sigmas) {
            flow_schedule(steps);
        } else if (spacing == "linspace") {
            // steps + 1 points over [0, last - 1], rounded, descending, the 0 end dropped.
            const auto p = schedule::linspace(0, last - 1, steps + 1);
            for (int i = steps; i >= 1; --i) t.push_back(schedule::round_half_even(p[i]));
        } else if (spacing == "leading") {
            // Unlike DDIM, diffusers divides by steps + 1 here.
            const int ratio = last / (steps + 1);
            for (int i = steps; i >= 1; --i) t.push_back(double(i * ratio + cfg_.steps_offset));
        } else {
            // trailing; numpy's arange yields steps + 1 values for some counts (61, 103, ...),
            // ending on timestep -1: keep `steps` (a deliberate departure from that quirk).
            t = schedule::arange(last, 0, -double(T) / steps);
            if (int(t.size()) > steps) t.resize(steps);
            for (double& v : t) v = schedule::round_half_even(v) - 1;
        }
        const auto train_sigma = schedule::train_sigmas(alphas_cumprod_);
        if (!cfg_.use_flow_sigmas) {
            timesteps_ = t;
            sigmas_.assign(timesteps_.size() + 1, 0.0f);
            for (size_t i = 0; i < timesteps_.size(); ++i)
                sigmas_[i] = float(schedule::interp_index(timesteps_[i], train_sigma));
        }
        const int n = int(timesteps_.size());
        sigmas_[n] = cfg_.final_sigmas_type == "sigma_min" ? train_sigma[0] : 0.0f;

        begin_ = strength < 1.0f ? schedule::img2img_begin(name(), n, strength) : 0;
        num_steps_ = n - begin_;
        history_.assign(cfg_.solver_order, Tensor());
        lower_order_nums_ = 0;
        next_ = 0;
    }

    float timestep(int i) const override { return float(timesteps_.at(begin_ + i)); }

    Tensor step(const Tensor& model_output, int i, const Tensor& sample, const Tensor& noise) override {
        check_step(i, model_output, sample, noise);
        if (i != next_)
            throw Error(std::string(name()) + ": step " + std::to_string(i) + " called when step " +
                        std::to_string(next_) + " was due; the multistep solver runs its steps in order");
        const int k = begin_ + i;  // index into the full schedule, as diffusers' step_index
        const int n = int(timesteps_.size());
        const bool small = cfg_.lower_order_final && n < 15;
        const bool final_first_order =
            k == n - 1 && (cfg_.euler_at_final || small || cfg_.final_sigmas_type == "zero");
        const bool final_second_order = k == n - 2 && small;

        x0_ = data_prediction(model_output, k, sample);
        for (int j = 0; j + 1 < cfg_.solver_order; ++j) history_[j] = history_[j + 1];
        history_.back() = x0_;

        Tensor out;
        if (cfg_.solver_order == 1 || lower_order_nums_ < 1 || final_first_order)
            out = first_order(k, sample);
        else if (cfg_.solver_order == 2 || lower_order_nums_ < 2 || final_second_order)
            out = second_order(k, sample);
        else
            out = third_order(k, sample);
        if (lower_order_nums_ < cfg_.solver_order) ++lower_order_nums_;
        ++next_;
        return out;
    }

    Tensor add_noise(const Tensor& x0, const Tensor& noise) const override {
        check_shapes(noise, x0, "the noise");
        const auto [alpha, sigma] = alpha_sigma(sigmas_.at(begin_));
        return schedule::blend(x0, alpha, noise, sigma);
    }

    // Step k lands on sigmas_[k + 1], so the sample entering step i sits at sigmas_[begin_ + i].
    Tensor add_noise_at(const Tensor& x0, const Tensor& noise, int i) const override {
        check_level(i);
        check_shapes(noise, x0, "the noise");
        const auto [alpha, sigma] = alpha_sigma(sigmas_.at(begin_ + i));
        return schedule::blend(x0, alpha, noise, sigma);
    }

private:
    SchedulerConfig cfg_;
    std::vector<float> alphas_cumprod_, sigmas_;
    std::vector<double> timesteps_;
    std::vector<Tensor> history_;  // data predictions, oldest first
    int begin_ = 0, lower_order_nums_ = 0, next_ = 0;

    // The first timestep kept: lambda_min_clipped cuts the low-SNR end of the training schedule.
    int last_timestep() const {
        const int T = cfg_.num_train_timesteps;
        if (!(cfg_.lambda_min_clipped > -INFINITY)) return T;
        // searchsorted(flip(lambda_t), lambda_min_clipped) on the ascending flipped lambdas.
        int clipped = 0;
        for (int t = T - 1; t >= 0; --t) {
            const float a = std::sqrt(alphas_cumprod_[t]), s = std::sqrt(1.0f - alphas_cumprod_[t]);
            if (std::log(a) - std::log(s) < float(cfg_.lambda_min_clipped)) ++clipped;
            else break;
        }
        return T - clipped;
    }

    // Flow sigmas in float64 as numpy computes them, stored float32; timesteps truncated.
    void flow_schedule(int steps) {
        const double T = cfg_.num_train_timesteps, s = cfg_.flow_shift;
        const auto alphas = schedule::linspace(1.0, 1.0 / T, steps + 1);
        timesteps_.clear();
        sigmas_.assign(size_t(steps) + 1, 0.0f);
        // Flipped: entry i is 1 - alphas[steps - i]; the flipped last (sigma 0) is dropped.
        for (int i = 0; i < steps; ++i) {
            const double sigma = 1.0 - alphas[size_t(steps - i)];
            const double shifted = s * sigma / (1.0 + (s - 1.0) * sigma);
            sigmas_[size_t(i)] = float(shifted);
            timesteps_.push_back(std::trunc(shifted * T));
        }
    }

    // (alpha_t, sigma_t) at sigma s: the VP process's alpha = 1 / sqrt(s^2 + 1), sigma_t = s alpha
    // (s a k-diffusion sigma), or with flow sigmas 1 - s and s.
    std::pair<float, float> alpha_sigma(float s) const {
        if (cfg_.use_flow_sigmas) return {1.0f - s, s};
        const float alpha = 1.0f / std::sqrt(s * s + 1.0f);
        return {alpha, s * alpha};
    }
    static float lambda(float alpha, float sigma) { return std::log(alpha) - std::log(sigma); }

    Tensor data_prediction(const Tensor& out, int k, const Tensor& x) const {
        Tensor x0(x.shape());
        if (cfg_.prediction_type == "sample") return out.clone();
        if (cfg_.prediction_type == "flow_prediction") {  // diffusers uses the raw sigma here
            const float sigma = sigmas_[k];
            for (int64_t j = 0; j < x.numel(); ++j) x0[j] = x[j] - sigma * out[j];
            return x0;
        }
        const auto [alpha, sigma] = alpha_sigma(sigmas_[k]);
        if (cfg_.prediction_type == "epsilon")
            for (int64_t j = 0; j < x.numel(); ++j) x0[j] = (x[j] - sigma * out[j]) / alpha;
        else  // v_prediction
            for (int64_t j = 0; j < x.numel(); ++j) x0[j] = alpha * x[j] - sigma * out[j];
        return x0;
    }

    Tensor first_order(int k, const Tensor& x) const {
        const auto [alpha_t, sigma_t] = alpha_sigma(sigmas_[k + 1]);
        const auto [alpha_s, sigma_s] = alpha_sigma(sigmas_[k]);
        const float h = lambda(alpha_t, sigma_t) - lambda(alpha_s, sigma_s);
        const float cx = sigma_t / sigma_s, c0 = alpha_t * (std::exp(-h) - 1.0f);
        const Tensor& m0 = history_.back();
        Tensor y(x.shape());
        for (int64_t j = 0; j < x.numel(); ++j) y[j] = cx * x[j] - c0 * m0[j];
        return y;
    }

    Tensor second_order(int k, const Tensor& x) const {
        const auto [alpha_t, sigma_t] = alpha_sigma(sigmas_[k + 1]);
        const auto [alpha_s0, sigma_s0] = alpha_sigma(sigmas_[k]);
        const auto [alpha_s1, sigma_s1] = alpha_sigma(sigmas_[k - 1]);
        const float lambda_t = lambda(alpha_t, sigma_t), lambda_s0 = lambda(alpha_s0, sigma_s0),
                    lambda_s1 = lambda(alpha_s1, sigma_s1);
        const float h = lambda_t - lambda_s0, h_0 = lambda_s0 - lambda_s1;
        const float r0 = h_0 / h, inv_r0 = 1.0f / r0;
        const float cx = sigma_t / sigma_s0, c0 = alpha_t * (std::exp(-h) - 1.0f);
        const Tensor& m0 = history_[history_.size() - 1];
        const Tensor& m1 = history_[history_.size() - 2];
        Tensor y(x.shape());
        if (cfg_.solver_type == "heun") {
            const float c1 = alpha_t * ((std::exp(-h) - 1.0f) / h + 1.0f);
            for (int64_t j = 0; j < x.numel(); ++j) {
                const float d1 = inv_r0 * (m0[j] - m1[j]);
                y[j] = (cx * x[j] - c0 * m0[j]) + c1 * d1;
            }
        } else {  // midpoint
            const float c1 = 0.5f * c0;
            for (int64_t j = 0; j < x.numel(); ++j) {
                const float d1 = inv_r0 * (m0[j] - m1[j]);
                y[j] = (cx * x[j] - c0 * m0[j]) - c1 * d1;
            }
        }
        return y;
    }

    Tensor third_order(int k, const Tensor& x) const {
        const auto [alpha_t, sigma_t] = alpha_sigma(sigmas_[k + 1]);
        const auto [alpha_s0, sigma_s0] = alpha_sigma(sigmas_[k]);
        const auto [alpha_s1, sigma_s1] = alpha_sigma(sigmas_[k - 1]);
        const auto [alpha_s2, sigma_s2] = alpha_sigma(sigmas_[k - 2]);
        const float lambda_t = lambda(alpha_t, sigma_t), lambda_s0 = lambda(alpha_s0, sigma_s0),
                    lambda_s1 = lambda(alpha_s1, sigma_s1), lambda_s2 = lambda(alpha_s2, sigma_s2);
        const float h = lambda_t - lambda_s0, h_0 = lambda_s0 - lambda_s1, h_1 = lambda_s1 - lambda_s2;
        const float r0 = h_0 / h, r1 = h_1 / h;
        const float inv_r0 = 1.0f / r0, inv_r1 = 1.0f / r1;
        const float w1 = r0 / (r0 + r1), w2 = 1.0f / (r0 + r1);
        const float e = std::exp(-h) - 1.0f;
        const float cx = sigma_t / sigma_s0, c0 = alpha_t * e, c1 = alpha_t * (e / h + 1.0f),
                    c2 = alpha_t * ((std::exp(-h) - 1.0f + h) / (h * h) - 0.5f);
        const size_t n = history_.size();
        const Tensor &m0 = history_[n - 1], &m1 = history_[n - 2], &m2 = history_[n - 3];
        Tensor y(x.shape());
        for (int64_t j = 0; j < x.numel(); ++j) {
            const float d1_0 = inv_r0 * (m0[j] - m1[j]), d1_1 = inv_r1 * (m1[j] - m2[j]);
            const float d1 = d1_0 + w1 * (d1_0 - d1_1), d2 = w2 * (d1_0 - d1_1);
            y[j] = ((cx * x[j] - c0 * m0[j]) + c1 * d1) - c2 * d2;
        }
        return y;
    }
};

}  // namespace

std::unique_ptr<Sampler> make_dpm_solver_multistep(const SchedulerConfig& cfg) {
    return std::make_unique<DPMSolverMultistep>(cfg);
}

}  // namespace dit
