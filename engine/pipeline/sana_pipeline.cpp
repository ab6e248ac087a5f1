#include "engine/pipeline/sana_pipeline.h"

#include <chrono>
#include <cstring>
#include <functional>
#include <string_view>

#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/models/gemma2/sana_prompt.h"
#include "engine/pipeline/controls.h"
#include "engine/pipeline/finite_check.h"
#include "engine/pipeline/inpaint.h"
#include "engine/pipeline/parameters.h"
#include "engine/pipeline/request_checks.h"
#include "engine/random.h"

namespace dit {
namespace {

using Clock = std::chrono::steady_clock;

// [1, C, h, w] -> B copies [B, C, h, w].
Tensor repeat_batch(const Tensor& x, int64_t B) {
    Shape shape = x.shape();
    shape[0] = B;
    Tensor out(shape);
    for (int64_t b = 0; b < B; ++b) std::memcpy(out.data() + b * x.numel(), x.data(), sizeof(float) * x.numel());
    return out;
}

// [B, L, D] rows of a and b stacked: [a; b].
Tensor stack_rows(const Tensor& a, const Tensor& b) {
    Tensor out({a.dim(0) + b.dim(0), a.dim(1), a.dim(2)});
    std::memcpy(out.data(), a.data(), sizeof(float) * a.numel());
    std::memcpy(out.data() + a.numel(), b.data(), sizeof(float) * b.numel());
    return out;
}

// The latent area above which decoding goes through DC-AE tiles: diffusers decodes whole up to
// 1024 px (a 32 x 32 latent at f32), so the result there is diffusers' own; beyond it the
// activations of an untiled decode grow past several GiB.
constexpr int64_t kUntiledDecodeArea = 32 * 32;

}  // namespace

std::unique_ptr<SanaPipeline> SanaPipeline::load(const std::filesystem::path& model_dir, kernels::Backend& ops,
                                                 const ComponentFiles& files) {
    auto folder = DiffusersFolder::open(model_dir);
    auto p = std::unique_ptr<SanaPipeline>(new SanaPipeline());
    p->root_ = model_dir;
    p->family_ = runnable_family(folder);
    if (p->family_ != ModelFamily::Sana && p->family_ != ModelFamily::SanaSprint &&
        p->family_ != ModelFamily::SanaControlNet)
        throw Error(model_dir.string() + ": a " + std::string(family_name(p->family_)) +
                    " folder; this loader runs the Sana pipelines only");
    if (!files.text_encoder.empty())
        throw Error(files.text_encoder.string() + ": --text-encoder replaces T5's weights; a Sana folder's "
                    "Gemma-2 encoder loads from its text_encoder/ folder");
    if (!files.transformer.empty() && !std::filesystem::is_regular_file(files.transformer))
        throw Error(files.transformer.string() + ": not found; --transformer takes a single .gguf or .safetensors file");
    p->tokenizer_ = std::make_unique<GemmaTokenizer>(GemmaTokenizer::load(folder.component("tokenizer")));
    p->text_encoder_ = Gemma2Model::load(folder.component("text_encoder"), ops);
    p->transformer_ = SanaTransformer2DModel::load(folder.component("transformer"), ops, files.transformer);
    p->vae_ = AutoencoderDC::load(folder.component("vae"), ops);
    p->scheduler_ = SchedulerConfig::from(Config::read(folder.component("scheduler") / "scheduler_config.json"));
    if (p->family_ == ModelFamily::SanaControlNet) p->own_controlnet_ = folder.component("controlnet");

    const auto& tc = p->transformer_->config();
    if (tc.caption_channels != p->text_encoder_->config().hidden_size)
        throw Error(model_dir.string() + ": transformer caption_channels " + std::to_string(tc.caption_channels) +
                    " does not match the text encoder's hidden_size " +
                    std::to_string(p->text_encoder_->config().hidden_size));
    if (tc.in_channels != p->vae_->config().latent_channels)
        throw Error(model_dir.string() + ": transformer in_channels " + std::to_string(tc.in_channels) +
                    " does not match the autoencoder's latent_channels " +
                    std::to_string(p->vae_->config().latent_channels));
    if (p->family_ == ModelFamily::SanaSprint && !tc.guidance_embeds)
        throw Error(model_dir.string() + ": a SanaSprintPipeline needs a transformer with guidance_embeds "
                    "(transformer/config.json)");
    p->preview_ = std::make_unique<LatentPreview>(LatentPreview::fit(*p->vae_, ops));
    return p;
}

std::vector<Result> SanaPipeline::run_batch(const Request& req, int count, Callbacks& cb, kernels::Backend& ops) const {
    const int down = vae_->config().downscale();
    check_common_request(req, count, down * int(transformer_->config().patch_size));
    check_inpaint_request(req);
    const auto start = Clock::now();
    std::vector<Result> results;
    for (int k = 0; k < count; ++k) {
        // Progress counts every item's steps in one run; previews show the item being made.
        Callbacks item_cb = part_callbacks(cb, k, count);
        Request r = req;
        r.seed = req.seed + uint64_t(k);
        if (r.mask && r.inpaint_mode == "crop")
            results.push_back(inpaint_crop(r, int(transformer_->config().sample_size) * down,
                                           down * int(transformer_->config().patch_size), item_cb,
                                           [&](const Request& crop, Callbacks& c) { return run_one(crop, c, ops); }));
        else
            results.push_back(run_one(r, item_cb, ops));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (Result& r : results) r.seconds = seconds / double(results.size());
    return results;
}

std::shared_ptr<const SanaControlNetModel> SanaPipeline::adapter(const std::filesystem::path& dir,
                                                                 kernels::Backend& ops) const {
    std::lock_guard lock(cache_mutex_);
    auto& slot = adapters_[dir.string()];
    if (!slot) slot = SanaControlNetModel::load(dir, ops);
    return slot;
}

Tensor SanaPipeline::control_latent(const ControlInput& control, kernels::Backend& ops,
                                    const std::function<bool()>* cancelled) const {
    // Hashed in place: a 1024 px map is 3 MB, not worth a copy per request.
    const std::string_view bytes(reinterpret_cast<const char*>(control.image.rgb.data()), control.image.rgb.size());
    const std::string key = std::to_string(control.image.width) + "x" + std::to_string(control.image.height) + ":" +
                            std::to_string(std::hash<std::string_view>{}(bytes));
    {
        std::lock_guard lock(cache_mutex_);
        if (auto it = conditions_.find(key); it != conditions_.end()) return it->second;
    }
    Tensor z = vae_->encode(tensor_from_image(control.image), ops, cancelled);  // [1, C, h, w], scaled
    std::lock_guard lock(cache_mutex_);
    if (conditions_.size() >= 8) conditions_.clear();  // a session's few control images, not a growing store
    conditions_[key] = z;
    return z;
}

struct SanaPipeline::ControlBranch {
    ControlInput input;
    std::shared_ptr<const SanaControlNetModel> net;
    Tensor latent;  // [B, C, h, w]
    sana::PromptCache prompt;
};

Result SanaPipeline::run_one(const Request& req, Callbacks& cb, kernels::Backend& ops) const {
    const auto start = Clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    std::function<bool()> cancelled = cb.cancelled ? cb.cancelled : [] { return false; };
    auto poll = [&] {
        if (cancelled()) throw Cancelled();
    };
    const auto& tc = transformer_->config();
    const int down = vae_->config().downscale();
    const bool sprint = family_ == ModelFamily::SanaSprint;
    if (!req.regions.empty())
        throw Error(std::string("regional prompts run on PixArt models only for now (this is a ") +
                    family_name(family_) + " folder); remove the regions");
    if (req.mask && req.inpaint_mode == "lazy")
        throw Error(std::string("lazy inpainting runs on PixArt models only for now (this is a ") +
                    family_name(family_) + " folder); use inpaint mode full or crop");
    if (req.cache != "off")
        throw Error(std::string("step caching (--cache ") + req.cache + ") runs on PixArt models only for now (this is a " +
                    family_name(family_) + " folder); use --cache off");
    if (req.attention.rfind("grouped", 0) == 0)
        throw Error(std::string("grouped attention (--attention ") + req.attention +
                    ") runs on PixArt models only for now; Sana's self-attention is linear already");
    if (sprint && req.sampler != "scm")
        throw Error("sampler '" + req.sampler + "': Sana-Sprint runs its own sampler, scm (SCMScheduler); use --sampler scm");

    // Prompt: Gemma-2 over [negative, positive] (or the positive alone), the kept rows.
    const bool guided = !sprint && req.cfg > 1.0f;
    const int B = guided ? 2 : 1;
    SanaPromptOptions options;
    options.max_sequence_length = kMaxSequenceLength;
    const SanaTextEmbedding positive =
        encode_sana_prompt(*text_encoder_, tokenize_sana_prompt(*tokenizer_, req.prompt, options), ops, &cancelled);
    Tensor embeds = positive.hidden;
    std::vector<int32_t> mask = positive.mask;
    if (guided) {
        const SanaTextEmbedding negative = encode_sana_prompt(
            *text_encoder_, tokenize_sana_negative(*tokenizer_, req.negative_prompt, kMaxSequenceLength), ops,
            &cancelled);
        embeds = stack_rows(negative.hidden, positive.hidden);
        mask = negative.mask;
        mask.insert(mask.end(), positive.mask.begin(), positive.mask.end());
    }
    require_finite(embeds, "text encoder output (prompt embeddings)", "before the first step");
    const auto prompt = transformer_->encode_prompt(embeds, mask, ops);
    poll();

    const int64_t C = tc.in_channels;
    const Shape latent_shape{1, C, req.height / down, req.width / down};
    std::unique_ptr<Sampler> sampler = make_sampler(req.sampler, scheduler_);
    sampler->set_timesteps(req.steps, req.init_image ? req.strength : 1.0f);
    NoiseStream step_noise(req.seed, kStepNoiseStream);
    const Tensor noise = initial_noise(req, latent_shape);

    Tensor x;
    std::unique_ptr<LatentInpaint> inpaint;
    if (req.init_image) {
        const Tensor x0 = encode_init_image(req, [&](const Tensor& image) { return vae_->encode(image, ops, &cancelled); });
        x = sampler->add_noise(x0, noise);
        if (req.mask) {
            inpaint = std::make_unique<LatentInpaint>(req, x0, noise, down, int(tc.patch_size));
            if (req.strength >= 1.0f) x = pure_noise(noise, *sampler);
            inpaint->impose_initial(x, *sampler);
        }
    } else {
        x = pure_noise(noise, *sampler);
    }
    require_finite(x, "initial latent", "before the first step");

    // Controls: each acting control's branch runs on the step's input; their residuals sum.
    std::vector<ControlBranch> controls;
    const int steps = sampler->num_steps();
    for (size_t j = 0; j < req.controls.size(); ++j) {
        const ControlInput& c = req.controls[j];
        const std::filesystem::path dir = !c.adapter_dir.empty()                                       ? c.adapter_dir
                                          : std::filesystem::is_directory(control_adapter_dir(c, root_)) ? control_adapter_dir(c, root_)
                                                                                                         : own_controlnet_;
        if (dir.empty())
            throw Error("control " + std::to_string(j + 1) + " (" + c.type + "): this " + family_name(family_) +
                        " folder has no ControlNet (" + control_adapter_dir(c, root_).string() +
                        " is missing); give the adapter's folder or use a SanaControlNetPipeline folder");
        auto net = adapter(dir, ops);
        validate_control(c, j, req.width, req.height, net->config().num_layers);
        bool acts = false;
        for (int i = 0; i < steps && !acts; ++i) acts = control_acts_at(c, i, steps);
        if (!acts) continue;
        ControlBranch branch{c, net, repeat_batch(control_latent(c, ops, &cancelled), B),
                             net->encode_prompt(embeds, mask, ops)};
        branch.input.image = Image();
        controls.push_back(std::move(branch));
    }
    // diffusers' SanaControlNetPipeline passes the sampler's timestep unscaled.
    const float timestep_scale = req.controls.empty() ? tc.timestep_scale : 1.0f;
    std::vector<float> guidance;
    if (sprint) guidance.assign(size_t(B), req.cfg * tc.guidance_embeds_scale);

    for (int i = 0; i < steps; ++i) {
        poll();
        Tensor in = repeat_batch(x, B);
        sampler->scale_model_input(in, i);
        const std::vector<float> t(size_t(B), sampler->timestep(i) * timestep_scale);
        std::vector<Tensor> residuals;
        for (const ControlBranch& c : controls) {
            if (!control_acts_at(c.input, i, steps)) continue;
            std::vector<Tensor> r = c.net->forward(in, c.latent, t, c.prompt, c.input.weight, ops, &cancelled,
                                                   &c.input.skip_blocks);
            if (residuals.empty()) {
                residuals = std::move(r);
                continue;
            }
            for (size_t k = 0; k < r.size() && k < residuals.size(); ++k) {
                if (r[k].empty()) continue;
                if (residuals[k].empty()) residuals[k] = std::move(r[k]);
                else ops.add_gated(residuals[k].ptr(), r[k].ptr(), nullptr, 1, 1, r[k].numel());
            }
        }
        const Tensor out = transformer_->forward(in, t, prompt, ops, sprint ? &guidance : nullptr, &cancelled,
                                                 residuals.empty() ? nullptr : &residuals);
        require_finite(out, "transformer output", step_label(i + 1, steps));
        Tensor pred = take_channels(out, B - 1, C);
        if (guided) {
            const Tensor uncond = take_channels(out, 0, C);
            for (int64_t j = 0; j < pred.numel(); ++j) pred[j] = uncond[j] + req.cfg * (pred[j] - uncond[j]);
        }
        const Tensor fresh = sampler->needs_noise() ? step_noise.next(latent_shape) : Tensor();
        x = sampler->step(pred, i, x, fresh);
        if (inpaint) inpaint->impose(x, *sampler, i + 1);
        require_finite(x, "latent", step_label(i + 1, steps));

        const Progress progress{i + 1, steps, seconds()};
        if (cb.preview)
            cb.preview(preview_->render(inpaint ? inpaint->preview_x0(sampler->predicted_x0()) : sampler->predicted_x0()),
                       progress);
        if (cb.progress) cb.progress(progress);
    }
    poll();

    const Tensor decoded = x.dim(2) * x.dim(3) <= kUntiledDecodeArea ? vae_->decode(x, ops, &cancelled)
                                                                     : vae_->decode_tiled(x, ops, {}, &cancelled);
    require_finite(decoded, "autoencoder output (decoded image)", "after " + step_label(steps, steps));
    Result result;
    result.image = image_from_tensor(decoded);
    if (inpaint) result.image = inpaint->composite(result.image);
    result.parameters = parameters_json(req);
    result.seconds = seconds();
    return result;
}

}  // namespace dit
