#include "engine/pipeline/pixart_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "engine/error.h"
#include "engine/io/config.h"
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
#include "engine/pipeline/request_checks.h"
#include "engine/random.h"

namespace dit {
namespace {

using Clock = std::chrono::steady_clock;

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

std::vector<Result> PixArtPipeline::run_batch(const Request& req, int count, Callbacks& cb, kernels::Backend& ops) const {
    const auto start = Clock::now();
    std::function<bool()> cancelled = cb.cancelled ? cb.cancelled : [] { return false; };

    const auto& tc = transformer_->config();
    const int down = vae_->config().downscale();
    check_common_request(req, count, down * tc.patch_size);
    (void)grat_group_for(req.attention, req.height / down / tc.patch_size, req.width / down / tc.patch_size,
                         down * tc.patch_size);  // a bad setting fails before anything loads
    validate_regions(req.regions, req.width, req.height);
    // Inpainting (engine/pipeline/inpaint.h): crop mode is a full-mode run on the crop.
    check_inpaint_request(req);
    const StepCacheSetting cache = StepCacheSetting::parse(req.cache);
    if (cache.on && req.mask && req.inpaint_mode == "lazy")
        throw Error("cache '" + req.cache + "' does not combine with inpaint mode lazy: a lazy step runs only the "
                    "masked tokens, so no whole-image residual exists to reuse; use inpaint mode full or crop, or cache off");

    // Items run `group` at a time through one batched forward (engine/pipeline/batch.h); what
    // carries per-request state through the forward (inpainting, controls, regions) runs alone.
    // A step cache decides per forward, so a batch shares its skips: each image runs alone to stay its single run.
    const bool batchable = !req.mask && req.controls.empty() && req.regions.empty() && !cache.on;
    const int guided_branches = req.cfg > 1.0f ? 2 : 1;
    const int group = batchable ? batch_group_size(count, guided_branches, req.width / down / tc.patch_size,
                                                   req.height / down / tc.patch_size, tc.hidden(), tc.heads)
                                : 1;
    const int groups = (count + group - 1) / group;
    std::vector<Result> results;
    for (int g = 0; g < groups; ++g) {
        const int first = g * group, G = std::min(group, count - first);
        // Progress counts every group's steps in one run; previews show the group's first image.
        Callbacks item_cb = part_callbacks(cb, g, groups);
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
        noise[0] = initial_noise(req, latent_shape);
    } else {
        for (int k = 0; k < G; ++k) noise[size_t(k)] = randn(latent_shape, req.seed + uint64_t(k));
    }

    std::unique_ptr<LatentInpaint> inpaint;  // G is 1 whenever there is a mask
    if (req.init_image) {
        const Tensor x0 = encode_init_image(req, [&](const Tensor& image) { return vae_->encode(image, ops, &cancelled); });
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
    // Step caching: one decision per forward for the whole batch. With CFG the two branches see the
    // same latent and timestep, so their modulated inputs, and so their decisions, are the same; and
    // skipping one branch alone would let the guidance (cfg x their difference) amplify its staleness.
    const StepCacheSetting cache = StepCacheSetting::parse(req.cache);
    std::unique_ptr<StepCache> step_cache = cache.on ? std::make_unique<StepCache>(cache.threshold) : nullptr;
    extras.step_cache = step_cache.get();
    // Controls add their residuals inside the stack, so a reused residual carries the controls of
    // the step it came from: the stack runs whenever the set of acting controls changes.
    auto acting_controls = [&](int i) {
        std::vector<char> on;
        for (const ControlInput& c : req.controls) on.push_back(control_acts_at(c, i, steps));
        return on;
    };
    extras.block.grat_group = grat_group_for(req.attention, latent_shape[2] / tc.patch_size,
                                             latent_shape[3] / tc.patch_size, down * tc.patch_size);
    const int64_t item = x[0].numel();
    for (int i = 0; i < steps; ++i) {
        poll();
        controls->install(extras, i, steps, ops);
        if (inpaint) extras.lazy = inpaint->lazy_step(i);
        if (step_cache) step_cache->begin_step(i, steps, i > 0 && acting_controls(i) != acting_controls(i - 1));
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
        result.skipped_steps = step_cache ? step_cache->skipped() : 0;
        result.seconds = seconds();
    }
    return results;
}

}  // namespace dit
