#pragma once
// A Sana diffusers folder loaded once (SanaPipeline, SanaSprintPipeline, SanaControlNetPipeline):
// the Gemma tokenizer and Gemma-2 text encoder, the SanaTransformer2DModel, the AutoencoderDC,
// the scheduler config and the preview map fitted from the autoencoder; and the denoising loop
// as diffusers runs each of the three (tools/reference/sana_pipeline.py is its reference):
//   Sana:       guided [negative, positive] branches; the transformer's timestep is the
//               sampler's times timestep_scale (v0.33's SanaPipeline)
//   Sana-Sprint: one branch; the request's cfg goes to the guidance embedding times
//               guidance_embeds_scale; the scm sampler (TrigFlow) only
//   ControlNet: controls of type "edges" (Sana's ControlNet is trained on HED edges) through a
//               SanaControlNetModel: the folder's controlnet/ or an adapter_dir; the control
//               image through the autoencoder once; no timestep_scale (v0.34's pipeline).
// Inpainting runs in full and crop mode; lazy inpainting, regional prompts, step caching and
// grouped attention hook PixArt's transformer and are refused with a message saying so. Batches
// run item by item.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/models/autoencoder_dc/autoencoder_dc.h"
#include "engine/models/gemma2/gemma2_model.h"
#include "engine/models/gemma2/gemma_tokenizer.h"
#include "engine/models/latent_preview.h"
#include "engine/models/sana/sana_controlnet.h"
#include "engine/models/sana/sana_transformer.h"
#include "engine/pipeline/model_family.h"
#include "engine/pipeline/pipeline.h"
#include "engine/samplers/sampler.h"

namespace dit {

class SanaPipeline final : public Pipeline {
public:
    // Throws dit::Error naming the folder, component, file or key at fault.
    static std::unique_ptr<SanaPipeline> load(const std::filesystem::path& model_dir, kernels::Backend& ops,
                                              const ComponentFiles& files = {});

    std::vector<Result> run_batch(const Request& request, int count, Callbacks& callbacks,
                                  kernels::Backend& ops) const override;

    ModelFamily family() const { return family_; }
    static constexpr int kMaxSequenceLength = 300;  // the pipelines' max_sequence_length default

private:
    Result run_one(const Request& request, Callbacks& callbacks, kernels::Backend& ops) const;
    // A control's branch and its condition (the control image's latent), loaded and encoded once
    // per adapter folder and image.
    struct ControlBranch;
    std::shared_ptr<const SanaControlNetModel> adapter(const std::filesystem::path& dir, kernels::Backend& ops) const;
    Tensor control_latent(const ControlInput& control, kernels::Backend& ops,
                          const std::function<bool()>* cancelled) const;

    std::filesystem::path root_;
    ModelFamily family_ = ModelFamily::Sana;
    std::filesystem::path own_controlnet_;  // the folder's controlnet/ (SanaControlNetPipeline), else empty
    std::unique_ptr<GemmaTokenizer> tokenizer_;
    std::unique_ptr<Gemma2Model> text_encoder_;
    std::unique_ptr<SanaTransformer2DModel> transformer_;
    std::unique_ptr<AutoencoderDC> vae_;
    std::unique_ptr<LatentPreview> preview_;
    SchedulerConfig scheduler_;

    mutable std::mutex cache_mutex_;
    mutable std::map<std::string, std::shared_ptr<const SanaControlNetModel>> adapters_;
    mutable std::map<std::string, Tensor> conditions_;  // control latents by image size and bytes
};

}  // namespace dit
