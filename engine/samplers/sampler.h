#pragma once
// Samplers: diffusers' schedulers, step for step (docs/samplers.md). The pipeline drives every
// one the same way:
//
//   sampler->set_timesteps(steps, strength);
//   x = img2img ? sampler->add_noise(x0, noise) : noise * sampler->init_noise_sigma();
//   for i in [0, num_steps()):
//       in = x; sampler->scale_model_input(in, i);
//       out = model(in, sampler->timestep(i));            // guided prediction
//       x = sampler->step(out, i, x, needs_noise() ? fresh N(0,1) : Tensor());
//
// Schedules are built the way diffusers builds them (float32 betas and alphas_cumprod, numpy
// spacing and rounding), and the per-step scalars are computed in float32 in diffusers' order,
// so a run matches diffusers to float rounding, not just in distribution.
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace dit {

class Config;

// scheduler_config.json. A field the file lacks keeps diffusers' default; where the default
// differs between diffusers' scheduler classes the field is optional and each sampler applies
// its own class's default, as `XScheduler.from_config(pipe.scheduler.config)` does.
struct SchedulerConfig {
    std::string source = "scheduler config";  // the file, for messages
    std::string class_name;                   // "_class_name", for information only

    int num_train_timesteps = 1000;
    std::optional<double> beta_start;          // dpm/ddim/euler: 0.0001; lcm: 0.00085
    std::optional<double> beta_end;            // dpm/ddim/euler: 0.02;   lcm: 0.012
    std::optional<std::string> beta_schedule;  // linear | scaled_linear | squaredcos_cap_v2; lcm: scaled_linear
    std::vector<double> trained_betas;         // when non-empty, used instead of beta_*
    std::string prediction_type = "epsilon";   // epsilon | v_prediction | sample | flow_prediction | trigflow
                                               // (flow_euler: velocity whatever it says)
    std::optional<std::string> timestep_spacing;  // linspace | leading | trailing; ddim/lcm: leading, else linspace
    int steps_offset = 0;
    bool set_alpha_to_one = true;              // ddim, lcm
    std::optional<bool> clip_sample;           // ddim: true, lcm: false
    double clip_sample_range = 1.0;

    // DPMSolverMultistepScheduler
    int solver_order = 2;                      // 1 | 2 | 3
    std::string algorithm_type = "dpmsolver++";
    std::string solver_type = "midpoint";      // midpoint | heun
    bool lower_order_final = true;
    bool euler_at_final = false;
    std::string final_sigmas_type = "zero";    // zero | sigma_min (dpm++2m, euler)
    double lambda_min_clipped = -std::numeric_limits<double>::infinity();

    // DPMSolverMultistepScheduler with use_flow_sigmas (Sana): sigmas from a linear flow schedule
    // shifted by flow_shift, alpha_t = 1 - sigma, the model's timestep the truncated sigma * T.
    bool use_flow_sigmas = false;
    double flow_shift = 1.0;

    // SCMScheduler (Sana-Sprint, TrigFlow)
    double sigma_data = 0.5;

    // LCMScheduler
    int original_inference_steps = 50;
    double timestep_scaling = 10.0;

    // FlowMatchEulerDiscreteScheduler
    double shift = 1.0;

    // DDIM's eta: a pipeline argument in diffusers (default 0), not a config field. > 0 makes
    // DDIM stochastic.
    float eta = 0.0f;

    // Options the file turns on that no sampler here implements ("use_karras_sigmas: true");
    // make_sampler refuses a config that lists any, naming them.
    std::vector<std::string> unsupported;

    // Throws dit::Error naming the file and the field for a wrong type or an unknown value.
    static SchedulerConfig from(const Config& config);
};

class Sampler {
public:
    virtual ~Sampler() = default;
    virtual const char* name() const = 0;  // "dpm++2m", ...

    // Prepares the schedule for `steps` steps (1..num_train_timesteps). strength < 1 (img2img)
    // runs only the tail of it, as the diffusers img2img pipeline of the scheduler's family does
    // (see docs/samplers.md; LCM instead picks its steps from the shortened schedule). Throws
    // dit::Error for steps < 1, strength outside (0, 1], or a strength that leaves no step.
    virtual void set_timesteps(int steps, float strength = 1.0f) = 0;
    int num_steps() const { return num_steps_; }            // steps actually run
    virtual float timestep(int i) const = 0;                // the model's timestep at step i (0..999 scale)
    virtual float init_noise_sigma() const { return 1.0f; } // txt2img: initial noise times this
    virtual void scale_model_input(Tensor& x, int i) const {}  // in place; Euler: / sqrt(sigma^2 + 1)

    // One step from `sample` at step i given the model's (guided) prediction for it. `noise` is a
    // fresh N(0, 1) tensor of the sample's shape when needs_noise(), ignored otherwise. Steps run
    // in order 0, 1, ... after set_timesteps (the multistep solver keeps history). Returns the
    // next sample and sets predicted_x0().
    virtual Tensor step(const Tensor& model_output, int i, const Tensor& sample, const Tensor& noise) = 0;
    virtual bool needs_noise() const { return false; }
    const Tensor& predicted_x0() const { return x0_; }      // last step's denoised estimate

    // img2img: the clean latent noised to the level of the first step that runs.
    virtual Tensor add_noise(const Tensor& x0, const Tensor& noise) const = 0;
    // Inpainting: x0 noised to exactly the level of the sample that enters step i, i.e. the level
    // step i - 1 returned (i in 0..num_steps(); i = num_steps() is the result's level, clean
    // unless the schedule ends above sigma 0). The known region is re-imposed after step i at
    // add_noise_at(x0, noise, i + 1): the level the sampler's next x is at, not the level of the
    // step that just ran. add_noise_at(x0, noise, 0) equals add_noise(x0, noise).
    virtual Tensor add_noise_at(const Tensor& x0, const Tensor& noise, int i) const = 0;

protected:
    int num_steps_ = 0;
    Tensor x0_;
    // Shared argument checks; throw dit::Error naming the sampler.
    void check_step(int i, const Tensor& model_output, const Tensor& sample, const Tensor& noise) const;
    void check_shapes(const Tensor& a, const Tensor& b, const char* what) const;
    void check_level(int i) const;  // add_noise_at's step index: 0..num_steps()
};

// Names: dpm++2m | ddim | euler | euler_a | lcm | flow_euler | scm. An unknown name, or a config
// with options none of these implement, throws dit::Error listing what is valid. A trigflow
// config (Sana-Sprint's SCMScheduler) runs with scm only, and scm with nothing else.
std::unique_ptr<Sampler> make_sampler(const std::string& name, const SchedulerConfig& cfg);
const std::vector<std::string>& sampler_names();

// One constructor per sampler, each in its own file; make_sampler picks by name. Each throws
// dit::Error for a prediction_type or option its diffusers class does not support.
std::unique_ptr<Sampler> make_dpm_solver_multistep(const SchedulerConfig& cfg);
std::unique_ptr<Sampler> make_ddim(const SchedulerConfig& cfg);
std::unique_ptr<Sampler> make_euler(const SchedulerConfig& cfg);
std::unique_ptr<Sampler> make_euler_ancestral(const SchedulerConfig& cfg);
std::unique_ptr<Sampler> make_lcm(const SchedulerConfig& cfg);
std::unique_ptr<Sampler> make_flow_match_euler(const SchedulerConfig& cfg);
// SCMScheduler as SanaSprintPipeline drives it (engine/samplers/scm.cpp); prediction_type trigflow.
std::unique_ptr<Sampler> make_scm(const SchedulerConfig& cfg);

}  // namespace dit
