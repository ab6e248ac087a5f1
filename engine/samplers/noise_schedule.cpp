#include "engine/samplers/noise_schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "engine/error.h"

#include "engine/samplers/diffusers_float_order.h"

namespace dit::schedule {
namespace {

// torch.linspace(start, end, n, dtype=float32) on the CPU: float step, filled from both ends
// towards the middle (its scalar kernel; vectorised chunks can differ by an ulp).
std::vector<float> torch_linspace_f32(double start_d, double end_d, int n) {
    const float start = float(start_d), end = float(end_d);
    std::vector<float> out(n);
    if (n == 1) {
        out[0] = start;
        return out;
    }
    const float step = (end - start) / float(n - 1);
    const int halfway = n / 2;
    for (int i = 0; i < n; ++i)
        out[i] = i < halfway ? start + step * float(i) : end - step * float(n - i - 1);
    return out;
}

// The squaredcos_cap_v2 schedule: alpha_bar(t) = cos((t + 0.008) / 1.008 * pi / 2)^2, betas
// capped at 0.999 (Nichol & Dhariwal), in double then float32 like torch.tensor(list).
std::vector<float> cosine_betas(int n) {
    auto alpha_bar = [](double t) {
        const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2);
        return c * c;
    };
    std::vector<float> out(n);
    for (int i = 0; i < n; ++i) {
        const double t1 = double(i) / n, t2 = double(i + 1) / n;
        out[i] = float(std::min(1.0 - alpha_bar(t2) / alpha_bar(t1), 0.999));
    }
    return out;
}

}  // namespace

std::vector<float> betas(const SchedulerConfig& cfg, const ClassDefaults& d) {
    const int n = cfg.num_train_timesteps;
    if (!cfg.trained_betas.empty()) {
        if (int(cfg.trained_betas.size()) != n)
            throw Error(cfg.source + ": trained_betas has " + std::to_string(cfg.trained_betas.size()) +
                        " values but num_train_timesteps is " + std::to_string(n));
        return std::vector<float>(cfg.trained_betas.begin(), cfg.trained_betas.end());
    }
    const double start = cfg.beta_start.value_or(d.beta_start);
    const double end = cfg.beta_end.value_or(d.beta_end);
    const std::string kind = cfg.beta_schedule.value_or(d.beta_schedule);
    if (kind == "linear") return torch_linspace_f32(start, end, n);
    if (kind == "scaled_linear") {
        auto b = torch_linspace_f32(std::sqrt(start), std::sqrt(end), n);
        for (float& v : b) v = v * v;
        return b;
    }
    if (kind == "squaredcos_cap_v2") return cosine_betas(n);
    throw Error(cfg.source + ": beta_schedule '" + kind +
                "' is not supported (linear, scaled_linear, squaredcos_cap_v2)");
}

std::vector<float> alphas_cumprod(const std::vector<float>& betas) {
    std::vector<float> out(betas.size());
    double acc = 1.0;
    for (size_t i = 0; i < betas.size(); ++i) {
        acc *= double(1.0f - betas[i]);
        out[i] = float(acc);
    }
    return out;
}

std::vector<float> train_sigmas(const std::vector<float>& ac) {
    std::vector<float> out(ac.size());
    for (size_t i = 0; i < ac.size(); ++i) out[i] = std::sqrt((1.0f - ac[i]) / ac[i]);
    return out;
}

std::string spacing(const SchedulerConfig& cfg, const ClassDefaults& d) {
    return cfg.timestep_spacing.value_or(d.timestep_spacing);
}

std::vector<double> linspace(double start, double stop, int num, bool endpoint) {
    std::vector<double> y(std::max(num, 0));
    const int div = endpoint ? num - 1 : num;
    const double delta = stop - start;
    if (div > 0) {
        const double step = delta / div;
        for (int i = 0; i < num; ++i) y[i] = step == 0 ? double(i) / div * delta + start : double(i) * step + start;
    } else {
        for (int i = 0; i < num; ++i) y[i] = double(i) * delta + start;
    }
    if (endpoint && num > 1) y[num - 1] = stop;
    return y;
}

std::vector<double> arange(double start, double stop, double step) {
    // numpy: length ceil((stop - start) / step); element i = start + i * ((start + step) - start).
    const double len = std::ceil((stop - start) / step);
    if (!(len > 0)) return {};
    const double delta = (start + step) - start;
    std::vector<double> y(static_cast<size_t>(len));
    for (size_t i = 0; i < y.size(); ++i) y[i] = start + double(i) * delta;
    return y;
}

double interp_index(double x, const std::vector<float>& fp) {
    const int64_t n = int64_t(fp.size());
    if (x <= 0) return fp[0];
    if (x >= double(n - 1)) return fp[n - 1];
    const int64_t j = int64_t(std::floor(x));
    if (x == double(j)) return fp[j];
    const double slope = double(fp[j + 1]) - double(fp[j]);  // xp[j+1] - xp[j] = 1
    return slope * (x - double(j)) + double(fp[j]);
}

std::vector<double> spaced_timesteps(const std::string& spacing, int steps, int num_train, int steps_offset) {
    std::vector<double> t;
    if (spacing == "linspace") {
        t = linspace(0, num_train - 1, steps);
    } else if (spacing == "leading") {
        const int ratio = num_train / steps;
        for (int i = 0; i < steps; ++i) t.push_back(double(i * ratio + steps_offset));
    } else if (spacing == "trailing") {
        t = arange(num_train, 0, -double(num_train) / steps);  // already descending
        if (int(t.size()) > steps) t.resize(steps);
        for (double& v : t) v = round_half_even(v) - 1;
        return t;
    } else {
        throw Error("timestep_spacing '" + spacing + "' is not supported (linspace, leading, trailing)");
    }
    std::reverse(t.begin(), t.end());
    return t;
}

void euler_schedule(const SchedulerConfig& cfg, const ClassDefaults& d, int steps,
                    const std::vector<float>& train_sigma, std::vector<float>& timesteps,
                    std::vector<float>& sigmas) {
    const std::string sp = spacing(cfg, d);
    const int T = cfg.num_train_timesteps;
    timesteps.clear();
    sigmas.clear();
    if (sp == "linspace") {
        for (double t : linspace(0, T - 1, steps)) timesteps.insert(timesteps.begin(), float(t));
    } else if (sp == "leading") {
        // float32 first, then the offset added in float32, as numpy does.
        const int ratio = T / steps;
        for (int i = steps - 1; i >= 0; --i) timesteps.push_back(float(i * ratio) + float(cfg.steps_offset));
    } else {
        for (double t : spaced_timesteps(sp, steps, T, 0)) timesteps.push_back(float(t));
    }
    for (float t : timesteps) sigmas.push_back(float(interp_index(double(t), train_sigma)));
}

double decimal(float strength) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, strength);  // shortest round-trip form
    double d = strength;
    std::from_chars(buf, r.ptr, d);
    return d;
}

void check_request(const char* name, int steps, float strength, int num_train) {
    if (steps < 1) throw Error(std::string(name) + ": steps must be at least 1, got " + std::to_string(steps));
    if (steps > num_train)
        throw Error(std::string(name) + ": steps " + std::to_string(steps) +
                    " exceeds the schedule's num_train_timesteps " + std::to_string(num_train));
    if (!(strength > 0.0f && strength <= 1.0f))
        throw Error(std::string(name) + ": strength must lie in (0, 1], got " + std::to_string(strength));
}

int img2img_begin(const char* name, int steps, float strength) {
    const int keep = std::min(int(double(steps) * decimal(strength)), steps);
    if (keep < 1)
        throw Error(std::string(name) + ": strength " + std::to_string(strength) + " of " + std::to_string(steps) +
                    " steps leaves no step to run (int(steps x strength) = 0); raise the strength or the steps");
    return steps - keep;
}

int img2img_begin_flow(const char* name, int steps, float strength) {
    const double keep = std::min(double(steps) * decimal(strength), double(steps));
    const int begin = int(std::max(double(steps) - keep, 0.0));
    if (begin >= steps)
        throw Error(std::string(name) + ": strength " + std::to_string(strength) + " leaves no step to run");
    return begin;
}

void unsupported_prediction(const SchedulerConfig& cfg, const char* sampler, const char* valid) {
    throw Error(cfg.source + ": prediction_type '" + cfg.prediction_type + "' is not supported by " + sampler +
                " (" + valid + ")");
}

Tensor blend(const Tensor& x0, float a, const Tensor& noise, float b) {
    Tensor y(x0.shape());
    for (int64_t j = 0; j < x0.numel(); ++j) y[j] = a * x0[j] + b * noise[j];
    return y;
}

}  // namespace dit::schedule
