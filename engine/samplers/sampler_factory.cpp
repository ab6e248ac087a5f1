// scheduler_config.json -> SchedulerConfig, and the sampler names -> samplers.
#include <cmath>
#include <functional>
#include <map>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/samplers/sampler.h"

namespace dit {
namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

void one_of(const Config& c, const std::string& key, const std::string& value, const std::vector<std::string>& valid) {
    for (const auto& v : valid)
        if (v == value) return;
    throw Error(c.file().string() + ": field '" + key + "' is '" + value + "', expected one of " + join(valid));
}

}  // namespace

SchedulerConfig SchedulerConfig::from(const Config& c) {
    SchedulerConfig s;
    s.source = c.file().string();
    const std::string where = s.source + ": ";
    s.class_name = c.get_string("_class_name", "");

    s.num_train_timesteps = int(c.get_int("num_train_timesteps", 1000));
    if (s.num_train_timesteps < 2 || s.num_train_timesteps > 100000)
        throw Error(where + "field 'num_train_timesteps' is " + std::to_string(s.num_train_timesteps) +
                    ", expected 2..100000");
    if (c.has("beta_start")) s.beta_start = c.get_float("beta_start");
    if (c.has("beta_end")) s.beta_end = c.get_float("beta_end");
    for (const char* k : {"beta_start", "beta_end"})
        if (c.has(k) && !(c.get_float(k) > 0 && c.get_float(k) < 1))
            throw Error(where + "field '" + k + "' is " + std::to_string(c.get_float(k)) + ", expected 0 < beta < 1");
    if (c.has("beta_schedule")) {
        s.beta_schedule = c.get_string("beta_schedule");
        one_of(c, "beta_schedule", *s.beta_schedule, {"linear", "scaled_linear", "squaredcos_cap_v2"});
    }
    if (c.has("trained_betas")) {
        const auto& j = c.json().at("trained_betas");
        if (!j.is_array()) throw Error(where + "field 'trained_betas' should be an array of numbers");
        for (const auto& v : j) {
            if (!v.is_number()) throw Error(where + "field 'trained_betas' should be an array of numbers");
            s.trained_betas.push_back(v.get<double>());
        }
        if (int(s.trained_betas.size()) != s.num_train_timesteps)
            throw Error(where + "field 'trained_betas' has " + std::to_string(s.trained_betas.size()) +
                        " values, num_train_timesteps is " + std::to_string(s.num_train_timesteps));
    }
    s.prediction_type = c.get_string("prediction_type", "epsilon");
    one_of(c, "prediction_type", s.prediction_type,
           {"epsilon", "v_prediction", "sample", "original_sample", "flow", "flow_prediction", "trigflow"});
    if (c.has("timestep_spacing")) {
        s.timestep_spacing = c.get_string("timestep_spacing");
        one_of(c, "timestep_spacing", *s.timestep_spacing, {"linspace", "leading", "trailing"});
    }
    s.steps_offset = int(c.get_int("steps_offset", 0));
    if (s.steps_offset < 0 || s.steps_offset >= s.num_train_timesteps)
        throw Error(where + "field 'steps_offset' is " + std::to_string(s.steps_offset) + ", out of range");
    s.set_alpha_to_one = c.get_bool("set_alpha_to_one", true);
    if (c.has("clip_sample")) s.clip_sample = c.get_bool("clip_sample", false);
    s.clip_sample_range = c.get_float("clip_sample_range", 1.0);

    s.solver_order = int(c.get_int("solver_order", 2));
    if (s.solver_order < 1 || s.solver_order > 3)
        throw Error(where + "field 'solver_order' is " + std::to_string(s.solver_order) + ", expected 1, 2 or 3");
    s.algorithm_type = c.get_string("algorithm_type", "dpmsolver++");
    one_of(c, "algorithm_type", s.algorithm_type, {"dpmsolver++", "deis", "dpmsolver", "sde-dpmsolver", "sde-dpmsolver++"});
    if (s.algorithm_type == "deis") s.algorithm_type = "dpmsolver++";  // diffusers maps it so
    if (s.algorithm_type != "dpmsolver++") s.unsupported.push_back("algorithm_type: " + s.algorithm_type);
    s.solver_type = c.get_string("solver_type", "midpoint");
    one_of(c, "solver_type", s.solver_type, {"midpoint", "heun", "logrho", "bh1", "bh2"});
    if (s.solver_type != "heun") s.solver_type = "midpoint";  // diffusers maps logrho/bh1/bh2 so
    s.lower_order_final = c.get_bool("lower_order_final", true);
    s.euler_at_final = c.get_bool("euler_at_final", false);
    s.final_sigmas_type = c.get_string("final_sigmas_type", "zero");
    one_of(c, "final_sigmas_type", s.final_sigmas_type, {"zero", "sigma_min"});
    if (c.json().contains("lambda_min_clipped") && c.json().at("lambda_min_clipped").is_number())
        s.lambda_min_clipped = c.json().at("lambda_min_clipped").get<double>();

    s.original_inference_steps = int(c.get_int("original_inference_steps", 50));
    if (s.original_inference_steps < 1 || s.original_inference_steps > s.num_train_timesteps)
        throw Error(where + "field 'original_inference_steps' is " + std::to_string(s.original_inference_steps) +
                    ", expected 1.." + std::to_string(s.num_train_timesteps));
    s.timestep_scaling = c.get_float("timestep_scaling", 10.0);
    s.shift = c.get_float("shift", 1.0);
    if (!(s.shift > 0) || !std::isfinite(s.shift))
        throw Error(where + "field 'shift' is " + std::to_string(s.shift) + ", expected a positive number");
    s.use_flow_sigmas = c.get_bool("use_flow_sigmas", false);
    s.flow_shift = c.get_float("flow_shift", 1.0);
    if (!(s.flow_shift > 0) || !std::isfinite(s.flow_shift))
        throw Error(where + "field 'flow_shift' is " + std::to_string(s.flow_shift) + ", expected a positive number");
    s.sigma_data = c.get_float("sigma_data", 0.5);
    if (!(s.sigma_data > 0) || !std::isfinite(s.sigma_data))
        throw Error(where + "field 'sigma_data' is " + std::to_string(s.sigma_data) + ", expected a positive number");

    // Options that change the schedule or the update in ways nothing here implements.
    for (const char* k : {"thresholding", "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas",
                          "use_lu_lambdas", "use_dynamic_shifting", "rescale_betas_zero_snr",
                          "invert_sigmas", "stochastic_sampling"})
        if (c.get_bool(k, false)) s.unsupported.push_back(std::string(k) + ": true");
    if (c.has("shift_terminal")) s.unsupported.push_back("shift_terminal");
    if (c.get_string("timestep_type", "discrete") != "discrete")
        s.unsupported.push_back("timestep_type: " + c.get_string("timestep_type"));
    if (c.get_string("interpolation_type", "linear") != "linear")
        s.unsupported.push_back("interpolation_type: " + c.get_string("interpolation_type"));
    return s;
}

const std::vector<std::string>& sampler_names() {
    static const std::vector<std::string> names{"dpm++2m", "ddim", "euler", "euler_a", "lcm", "flow_euler", "scm"};
    return names;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SchedulerConfig& cfg) {
    using Make = std::function<std::unique_ptr<Sampler>(const SchedulerConfig&)>;
    static const std::map<std::string, Make> makers{
        {"dpm++2m", make_dpm_solver_multistep}, {"ddim", make_ddim},  {"euler", make_euler},
        {"euler_a", make_euler_ancestral},      {"lcm", make_lcm},    {"flow_euler", make_flow_match_euler},
        {"scm", make_scm},
    };
    const auto it = makers.find(name);
    if (it == makers.end())
        throw Error("unknown sampler '" + name + "'; valid samplers: " + join(sampler_names()));
    if (!cfg.unsupported.empty())
        throw Error(cfg.source + ": " + join(cfg.unsupported, "; ") + " — not supported by the " + name +
                    " sampler (set it to false or remove it)");
    // Flow sigmas are a DPM-Solver schedule (flow_euler brings its own); TrigFlow needs SCM's
    // update, and SCM only TrigFlow (make_scm refuses other prediction types).
    if (cfg.use_flow_sigmas && name != "dpm++2m" && name != "flow_euler")
        throw Error(cfg.source + ": use_flow_sigmas: true — not supported by the " + name +
                    " sampler (use dpm++2m or flow_euler)");
    if (cfg.prediction_type == "trigflow" && name != "scm")
        throw Error(cfg.source + ": prediction_type 'trigflow' (Sana-Sprint's SCMScheduler) — not supported by the " +
                    name + " sampler; Sana-Sprint runs the scm sampler");
    return it->second(cfg);
}

void Sampler::check_shapes(const Tensor& a, const Tensor& b, const char* what) const {
    if (a.empty() || b.empty() || a.shape() != b.shape())
        throw Error(std::string(name()) + ": " + what + " has shape " + (a.empty() ? "[]" : shape_str(a.shape())) +
                    ", the sample " + (b.empty() ? "[]" : shape_str(b.shape())));
}

void Sampler::check_level(int i) const {
    if (num_steps_ == 0) throw Error(std::string(name()) + ": add_noise_at() before set_timesteps()");
    if (i < 0 || i > num_steps_)
        throw Error(std::string(name()) + ": noise level of step " + std::to_string(i) + " is out of range (0.." +
                    std::to_string(num_steps_) + ")");
}

void Sampler::check_step(int i, const Tensor& model_output, const Tensor& sample, const Tensor& noise) const {
    if (num_steps_ == 0) throw Error(std::string(name()) + ": step() before set_timesteps()");
    if (i < 0 || i >= num_steps_)
        throw Error(std::string(name()) + ": step " + std::to_string(i) + " is out of range (0.." +
                    std::to_string(num_steps_ - 1) + ")");
    check_shapes(model_output, sample, "the model output");
    if (needs_noise()) check_shapes(noise, sample, "the step noise");
}

}  // namespace dit
