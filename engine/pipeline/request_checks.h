#pragma once
// What every family's denoising loop shares: the checks of a request's common fields, the
// initial latent, and the step-noise stream, so a seed means the same noise in every pipeline.
#include <cstdint>
#include <functional>

#include "engine/pipeline/engine.h"
#include "engine/samplers/sampler.h"
#include "engine/tensor.h"

namespace dit {

// The step noise of stochastic samplers comes from its own stream, so the initial latent of a
// seed is the same whichever sampler runs.
constexpr uint64_t kStepNoiseStream = 0x5354455053ull;  // "STEPS"

// The fields every pipeline reads: a non-blank prompt, a size in 1..8192 that is a multiple of
// `multiple` (the autoencoder's down-scaling times the patch size), steps 1..1000, cfg >= 0,
// strength in (0, 1] with an init image, a batch of 1..kMaxBatch (1 with a noise file).
// Throws dit::Error naming the field.
void check_common_request(const Request& req, int count, int multiple);

// The callbacks of part `part` of a request run in `parts` parts of equal step counts (a batch's
// items or groups): progress and previews count every part's steps as one run.
Callbacks part_callbacks(const Callbacks& cb, int part, int parts);

// [B, C2, h, w] -> item b's first C channels, [1, C, h, w]. Learned-sigma models (out_channels
// = 2 × latent channels) predict the variance in the second half, which samplers don't use.
Tensor take_channels(const Tensor& x, int64_t b, int64_t C);

// The sampler's starting latent from pure noise: the noise at the schedule's first sigma.
Tensor pure_noise(const Tensor& noise, const Sampler& sampler);

// img2img and inpainting: the init image (checked against the request's size) through `encode`,
// the autoencoder's image [1, 3, H, W] -> scaled latent.
Tensor encode_init_image(const Request& req, const std::function<Tensor(const Tensor&)>& encode);

// The request's initial noise [1, C, h, w]: its noise file (checked against the shape), else
// randn of its seed.
Tensor initial_noise(const Request& req, const Shape& latent_shape);

}  // namespace dit
