#pragma once
// What the samplers share: the DDPM noise schedule (betas, alphas_cumprod, sigmas) built with
// diffusers' dtypes, the numpy spacing/rounding/interpolation diffusers' set_timesteps uses, and
// the img2img truncation of its pipelines.
#include <cmath>
#include <string>
#include <vector>

#include "engine/samplers/sampler.h"

namespace dit::schedule {

// Defaults of the diffusers class a sampler mirrors, for fields the config file lacks.
struct ClassDefaults {
    double beta_start = 0.0001, beta_end = 0.02;
    const char* beta_schedule = "linear";
    const char* timestep_spacing = "linspace";
    bool clip_sample = false;
};

// betas as torch builds them (float32): linear / scaled_linear via torch.linspace, cosine
// (squaredcos_cap_v2) in double then rounded; or trained_betas.
std::vector<float> betas(const SchedulerConfig& cfg, const ClassDefaults& d);
// cumprod(1 - betas): torch's CPU cumprod accumulates in double and stores float32.
std::vector<float> alphas_cumprod(const std::vector<float>& betas);
// ((1 - a) / a) ** 0.5 in float32, per training timestep.
std::vector<float> train_sigmas(const std::vector<float>& alphas_cumprod);

std::string spacing(const SchedulerConfig& cfg, const ClassDefaults& d);

// numpy semantics, in double.
std::vector<double> linspace(double start, double stop, int num, bool endpoint = true);
std::vector<double> arange(double start, double stop, double step);
// np.interp(x, arange(len(fp)), fp)
double interp_index(double x, const std::vector<float>& fp);

// The timesteps DDIM, Euler and Euler a derive from timestep_spacing (descending; linspace values
// unrounded, the caller rounds where its class does). trailing keeps the first `steps` values:
// numpy's arange yields steps + 1 for some counts (61, 103, ...), a diffusers quirk that would
// end on timestep -1.
std::vector<double> spaced_timesteps(const std::string& spacing, int steps, int num_train, int steps_offset);

// Euler and Euler a: float32 timesteps from the spacing (linspace unrounded) and the training
// sigmas interpolated at them (np.interp), without the final sigma.
void euler_schedule(const SchedulerConfig& cfg, const ClassDefaults& d, int steps,
                    const std::vector<float>& train_sigmas, std::vector<float>& timesteps,
                    std::vector<float>& sigmas);

// The strength as the decimal the user typed (0.7f -> 0.7), so floor(steps * strength) agrees
// with Python's float arithmetic.
double decimal(float strength);
// Common argument checks for set_timesteps; `name` is the sampler's.
void check_request(const char* name, int steps, float strength, int num_train);
// First step kept by diffusers' StableDiffusionImg2ImgPipeline.get_timesteps:
// steps - min(int(steps * strength), steps). Throws when no step is left.
int img2img_begin(const char* name, int steps, float strength);
// The flow-matching pipelines' (SD3) get_timesteps: int(max(steps - steps * strength, 0)).
int img2img_begin_flow(const char* name, int steps, float strength);

[[noreturn]] void unsupported_prediction(const SchedulerConfig& cfg, const char* sampler, const char* valid);

// np.round: half to even (the default rounding mode).
inline double round_half_even(double x) { return std::nearbyint(x); }

// a * x0 + b * noise: every sampler's forward noising (img2img) is this blend with its own
// coefficients (DDPM: sqrt(alpha_bar), sqrt(1 - alpha_bar); k-diffusion: 1, sigma; flow: 1 - s, s).
Tensor blend(const Tensor& x0, float a, const Tensor& noise, float b);

}  // namespace dit::schedule
