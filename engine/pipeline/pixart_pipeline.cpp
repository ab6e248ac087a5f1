#include "engine/pipeline/pixart_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/io/npy.h"
#include "engine/models/caption_preprocess.h"
#include "engine/pipeline/attention_choice.h"
#include "engine/pipeline/batch.h"
#include "engine/pipeline/controls.h"
#include "engine/pipeline/finite_check.h"
#include "engine/pipeline/inpaint.h"
#include "engine/pipeline/model_family.h"
#include "engine/pipeline/parameters.h"
#include "engine/pipeline/prompt_check.h"
#include "engine/pipeline/regional_prompts.h"
#include "engine/random.h"

namespace dit {
namespace {

using Clock = std::chrono::steady_clock;

// The step noise of stochastic samplers comes from its own stream, so the initial latent of a
// seed is the same whichever sampler runs.
constexpr uint64_t kStepNoiseStream = 0x5354455053ull;  // "STEPS"

// [B, C2, h, w] -> item b's first C channels, [1, C, h, w]. Learned-sigma models (out_channels
// = 2 × latent channels) predict the variance in the second half, which samplers don't use.
Tensor take_channels(const Tensor& x, int64_t b, int64_t C) {
    const int64_t hw = x.dim(2) * x.dim(3);
    Tensor out({1, C, x.dim(2), x.dim(3)});
    std::memcpy(out.data(), x.data() + b * x.dim(1) * hw, sizeof(float) * C * hw);
    return out;
}

void check_size(const char* what, int pixels, int multiple) {
    if (pixels <= 0 || pixels > 8192)
        throw Error(std::string(what) + " " + std::to_string(pixels) + " is out of range (1..8192)");
    if (pixels % multiple)
        throw Error(std::string(what) + " " + std::to_string(pixels) + " is not a multiple of " +
                    std::to_string(multiple) + " (the VAE's downscale times the patch size)");
}

// The sampler's starting latent from pure noise: the noise at the schedule's first sigma.
Tensor pure_noise(const Tensor& noise, const Sampler& sampler) {
    Tensor x = noise.clone();
    const float sigma = sampler.init_noise_sigma();
    for (int64_t i = 0; i < x.numel(); ++i) x[i] *= sigma;
    return x;
}

bool blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

}  // namespace

std::unique_ptr<PixArtPipeline> PixArtPipeline::load(const std::filesystem::path& model_dir,
                                                     kernels::Backend& ops, const ComponentFiles& files) {
    auto folder = DiffusersFolder::open(model_dir);
    auto p = std::unique_ptr<PixArtPipeline>(new PixArtPipeline());
    p->root_ = model_dir;
    // The class decides the family (engine/pipeline/model_family.h), before any file is read.
    const ModelFamily family = runnable_family(folder);
    if (family != ModelFamily::PixArtAlpha && family != ModelFamily::PixArtSigma)
        throw Error(model_dir.string() + ": a " + family_name(family) + " folder; this loader runs PixArt only");
    p->max_tokens_ = pixart_max_tokens(family);
    p->tokenizer_ = std::make_unique<T5Tokenizer>(T5Tokenizer::load(folder.component("tokenizer")));
    for (const auto& [flag, file] : {std::pair{"--text-encoder", files.text_encoder}, std::pair{"--transformer", files.transformer}})
        if (!file.empty() && !std::filesystem::is_regular_file(file))
            throw Error(file.string() + (std::filesystem::exists(file) ? ": is not a file" : ": not found") + "; " +
                        flag + " takes a single .gguf or .safetensors file");
    p->text_encoder_ = T5EncoderModel::load(folder.component("text_encoder"), ops, files.text_encoder);
    p->transformer_ = PixArtTransformer2DModel::load(folder.component("transformer"), ops, files.transformer);
    p->vae_ = AutoencoderKL::load(folder.component("vae"), ops);
    p->scheduler_ = SchedulerConfig::from(
        Config::read(folder.component("scheduler") / "scheduler_config.json"));

    const auto& tc = p->transformer_->config();
    if (tc.caption_channels != p->text_encoder_->d_model())
        throw Error(model_dir.string() + ": transformer caption_channels " +
                    std::to_string(tc.caption_channels) + " does not match the text encoder's d_model " +
                    std::to_string(p->text_encoder_->d_model()));
    if (tc.in_channels != p->vae_->config().latent_channels)
        throw Error(model_dir.string() + ": transformer in_channels " + std::to_string(tc.in_channels) +
                    " does not match the VAE's latent_channels " +
                    std::to_string(p->vae_->config().latent_channels));
    p->preview_ = std::make_unique<LatentPreview>(LatentPreview::fit(*p->vae_, ops));
    return p;
}

Result PixArtPipeline::run(const Request& req, Callbacks& cb, kernels::Backend& ops) const {
    return std::move(run_batch(req, 1, cb, ops).front());
}

std::vector<Result> PixArtPipeline::run_batch(const Request& req, int count, Callbacks& cb, kernels::Backend& ops) const {
    const auto start = Clock::now();
    std::function<bool()> cancelled = cb.cancelled ? cb.cancelled : [] { return false; };

    const auto& tc = transformer_->config();
    const int down = vae_->config().downscale();
    if (blank(req.prompt)) throw Error("prompt is empty: describe the image to generate");
    check_size("width", req.width, down * tc.patch_size);
    check_size("height", req.height, down * tc.patch_size);
    (void)grat_group_for(req.attention, req.height / down / tc.patch_size, req.width / down / tc.patch_size,
                         down * tc.patch_size);  // a bad setting fails before anything loads
    if (req.steps < 1 || req.steps > 1000)
        throw Error("steps " + std::to_string(req.steps) + " is out of range (1..1000)");
    if (!std::isfinite(req.cfg) || req.cfg < 0)
        throw Error("cfg must be a finite number >= 0");
    if (req.init_image && (req.strength <= 0 || req.strength > 1))
        throw Error("strength must lie in (0, 1]");
    if (count < 1 || count > kMaxBatch)
        throw Error("batch " + std::to_string(count) + " is out of range (1.." + std::to_string(kMaxBatch) + ")");
    if (count > 1 && req.noise_file) throw Error("--noise-file gives one initial latent: it takes a batch of 1");
    validate_regions(req.regions, req.width, req.height);
    // Inpainting (engine/pipeline/inpaint.h): crop mode is a full-mode run on the crop.
    check_inpaint_request(req);

    // Items run `group` at a time through one batched forward (engine/pipeline/batch.h); what
    // carries per-request state through the forward (inpainting, controls, regions) runs alone.
    const bool batchable = !req.mask && req.controls.empty() && req.regions.empty();
    const int guided_branches = req.cfg > 1.0f ? 2 : 1;
    const int group = batchable ? batch_group_size(count, guided_branches, req.width / down / tc.patch_size,
                                                   req.height / down / tc.patch_size, tc.hidden(), tc.heads)
                                : 1;
    const int groups = (count + group - 1) / group;
    std::vector<Result> results;
    for (int g = 0; g < groups; ++g) {
        const int first = g * group, G = std::min(group, count - first);
        // Progress counts every group's steps in one run; previews show the group's first image.
        Callbacks item_cb = cb;
        const int offset = g;
        item_cb.progress = [&, offset](const Progress& p) {
            if (cb.progress) cb.progress({offset * p.steps + p.step, groups * p.steps, p.seconds});
        };
        item_cb.preview = [&, offset](const Image& img, const Progress& p) {
            if (cb.preview) cb.preview(img, {offset * p.steps + p.step, groups * p.steps, p.seconds});
        };
        Request r = req;
        r.seed = req.seed + uint64_t(first);
        if (r.mask && r.inpaint_mode == "crop") {
            results.push_back(inpaint_crop(r, tc.sample_size * down, down * tc.patch_size, item_cb,
                                           [&](const Request& crop, Callbacks& crop_cb) { return run(crop, crop_cb, ops); }));
            continue;
        }
        for (Result& one : run_group(r, G, item_cb, ops, cancelled)) results.push_back(std::move(one));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (Result& r : results) r.seconds = seconds / double(results.size());  // per image, as a single run reports
    return results;
}

std::vector<Result> PixArtPipeline::run_group(const Request& req, int G, Callbacks& cb, kernels::Backend& ops,
                                              const std::function<bool()>& cancelled) const {
    const auto start = Clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    auto poll = [&] {
        if (cancelled()) throw Cancelled();
    };
    const auto& tc = transformer_->config();
    const int down = vae_->config().downscale();

    // Prompt: one T5 pass for [negative, positive] per item, one projection into per-block K/V.
    const bool guided = req.cfg > 1.0f;
    const int B = guided ? 2 : 1;
    const int L = max_tokens_;
    auto tokenize = [&](const std::string& text) { return tokenizer_->encode(caption_preprocess(text), L); };
    std::vector<int32_t> ids, mask;
    auto add = [&](const std::string& text) {
        auto t = tokenize(text);
        ids.insert(ids.end(), t.ids.begin(), t.ids.end());
        mask.insert(mask.end(), t.mask.begin(), t.mask.end());
    };
    for (int k = 0; k < G; ++k) {
        if (guided) add(req.negative_prompt);
        add(req.prompt);
    }
    const Tensor embeds = text_encoder_->forward(ids, mask, G * B, L, ops, &cancelled, req.low_vram);
    require_finite(embeds, "text encoder output (prompt embeddings)", "before the first step");
    const auto prompt = transformer_->encode_prompt(embeds, mask, ops);
    // Regional prompts: each region's prompt encoded once; the forward's cross-attention K/V are
    // [global | region 0 | ...] per item with attention groups (engine/pipeline/regional_prompts.h).
    const RegionalPrompts regional = RegionalPrompts::encode(
        req.regions, req.width, req.height, down * tc.patch_size, guided, prompt, tokenize, *text_encoder_,
        *transformer_, ops, &cancelled, req.low_vram);
    const auto& forward_prompt = regional.empty() ? prompt : regional.prompt();
    poll();

    // Per item: its sampler (samplers keep history), noise, latent and step noise, as a single
    // run of its seed has them, so batching changes only how the forward is grouped.
    const int64_t C = tc.in_channels;
    const Shape latent_shape{1, C, req.height / down, req.width / down};
    std::vector<std::unique_ptr<Sampler>> samplers;
    std::vector<Tensor> noise(static_cast<size_t>(G)), x(static_cast<size_t>(G));
    std::vector<NoiseStream> step_noise;
    for (int k = 0; k < G; ++k) {
        samplers.push_back(make_sampler(req.sampler, scheduler_));
        samplers.back()->set_timesteps(req.steps, req.init_image ? req.strength : 1.0f);
        step_noise.emplace_back(req.seed + uint64_t(k), kStepNoiseStream);
    }
    if (req.noise_file) {
        noise[0] = read_npy(*req.noise_file);
        if (noise[0].shape() != latent_shape)
            throw Error(req.noise_file->string() + ": noise has shape " + shape_str(noise[0].shape()) +
                        ", this request needs " + shape_str(latent_shape));
    } else {
        for (int k = 0; k < G; ++k) noise[size_t(k)] = randn(latent_shape, req.seed + uint64_t(k));
    }

    std::unique_ptr<LatentInpaint> inpaint;  // G is 1 whenever there is a mask
    if (req.init_image) {
        const Image& init = *req.init_image;
        if (init.width != req.width || init.height != req.height)
            throw Error("init image is " + std::to_string(init.width) + "x" + std::to_string(init.height) +
                        " but the request is " + std::to_string(req.width) + "x" + std::to_string(req.height));
        const Tensor x0 = vae_->encode(tensor_from_image(init), ops, &cancelled);
        for (int k = 0; k < G; ++k) x[size_t(k)] = samplers[size_t(k)]->add_noise(x0, noise[size_t(k)]);
        if (req.mask) {
            inpaint = std::make_unique<LatentInpaint>(req, x0, noise[0], down, int(tc.patch_size));
            if (req.strength >= 1.0f) x[0] = pure_noise(noise[0], *samplers[0]);  // as diffusers' inpaint pipelines
            inpaint->impose_initial(x[0], *samplers[0]);
        }
    } else {
        for (int k = 0; k < G; ++k) x[size_t(k)] = pure_noise(noise[size_t(k)], *samplers[size_t(k)]);
    }
    for (const Tensor& xk : x)
        require_finite(xk, req.init_image ? "initial latent (the encoded init image, noised)" : "initial latent (noise)",
                       "before the first step",
                       req.noise_file ? "the noise file holds NaN or infinity" : "the VAE's weights may hold NaN or infinity");

    Sampler& sampler = *samplers[0];  // the schedule, the same for every item
    const int steps = sampler.num_steps();
    // Controls: adapters, conditions and their prompt K/V once per generation; hooked per step.
    const auto controls = ControlSet::prepare(req, root_, *transformer_, *vae_, embeds, prompt, steps, ops, &cancelled);
    ForwardExtras extras;
    regional.install(extras);
    extras.block.grat_group = grat_group_for(req.attention, latent_shape[2] / tc.patch_size,
                                             latent_shape[3] / tc.patch_size, down * tc.patch_size);
    const int64_t item = x[0].numel();
    for (int i = 0; i < steps; ++i) {
        poll();
        controls->install(extras, i, steps, ops);
        if (inpaint) extras.lazy = inpaint->lazy_step(i);
        Shape in_shape = latent_shape;
        in_shape[0] = G * B;
        Tensor in(in_shape);
        for (int k = 0; k < G; ++k)
            for (int b = 0; b < B; ++b) std::memcpy(in.data() + (k * B + b) * item, x[size_t(k)].data(), sizeof(float) * item);
        sampler.scale_model_input(in, i);  // elementwise, the same constant for every item
        const float t = sampler.timestep(i);
        const Tensor out = transformer_->forward(in, std::vector<float>(size_t(G * B), t), forward_prompt, req.height,
                                                 req.width, ops, &cancelled, &extras);
        require_finite(out, "transformer output", step_label(i + 1, steps));
        for (int k = 0; k < G; ++k) {
            Tensor pred = take_channels(out, k * B + B - 1, C);
            if (guided) {
                const Tensor uncond = take_channels(out, k * B, C);
                for (int64_t j = 0; j < pred.numel(); ++j) pred[j] = uncond[j] + req.cfg * (pred[j] - uncond[j]);
            }
            Sampler& s = *samplers[size_t(k)];
            const Tensor fresh = s.needs_noise() ? step_noise[size_t(k)].next(latent_shape) : Tensor();
            x[size_t(k)] = s.step(pred, i, x[size_t(k)], fresh);
        }
        if (inpaint) inpaint->impose(x[0], sampler, i + 1);  // the level x is now at, not step i's
        for (const Tensor& xk : x) require_finite(xk, "latent", step_label(i + 1, steps));

        const Progress progress{i + 1, steps, seconds()};
        if (cb.preview)
            cb.preview(preview_->render(inpaint ? inpaint->preview_x0(sampler.predicted_x0()) : sampler.predicted_x0()),
                       progress);
        if (cb.progress) cb.progress(progress);
    }
    poll();

    std::vector<Result> results(static_cast<size_t>(G));
    for (int k = 0; k < G; ++k) {
        Result& result = results[size_t(k)];
        const Tensor decoded = vae_->decode(x[size_t(k)], ops, &cancelled);
        require_finite(decoded, "VAE output (decoded image)", "after " + step_label(steps, steps));
        result.image = image_from_tensor(decoded);
        if (inpaint) result.image = inpaint->composite(result.image);
        Request item_req = req;
        item_req.seed = req.seed + uint64_t(k);
        result.parameters = parameters_json(item_req);
        result.seconds = seconds();
    }
    return results;
}

}  // namespace dit
