#pragma once
// A PixArt-α/Σ diffusers folder loaded once: tokenizer, T5 encoder, transformer, VAE, the
// scheduler config and the preview map fitted from the VAE; and the denoising loop over it.
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "engine/models/autoencoder_kl/autoencoder_kl.h"
#include "engine/models/latent_preview.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/models/t5/t5_encoder.h"
#include "engine/models/t5/t5_tokenizer.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/pipeline.h"
#include "engine/samplers/sampler.h"

namespace dit {

class PixArtPipeline final : public Pipeline {
public:
    // Throws dit::Error naming the folder, component, file or key at fault.
    static std::unique_ptr<PixArtPipeline> load(const std::filesystem::path& model_dir,
                                                kernels::Backend& ops, const ComponentFiles& files = {});

    // Items run in batched forwards of as many items as the activation budget allows
    // (engine/pipeline/batch.h).
    std::vector<Result> run_batch(const Request& request, int count, Callbacks& callbacks,
                                  kernels::Backend& ops) const override;

    // The prompt limit of this pipeline class: 120 tokens for PixArt-α, 300 for PixArt-Σ.
    int max_tokens() const { return max_tokens_; }
    const T5Tokenizer& tokenizer() const { return *tokenizer_; }
    const PixArtTransformer2DModel& transformer() const { return *transformer_; }
    const AutoencoderKL& vae() const { return *vae_; }

private:
    // G items of seeds request.seed ... + G - 1 through one batched forward per step.
    std::vector<Result> run_group(const Request& request, int G, Callbacks& callbacks, kernels::Backend& ops,
                                  const std::function<bool()>& cancelled) const;
    std::filesystem::path root_;
    int max_tokens_ = 120;
    std::unique_ptr<T5Tokenizer> tokenizer_;
    std::unique_ptr<T5EncoderModel> text_encoder_;
    std::unique_ptr<PixArtTransformer2DModel> transformer_;
    std::unique_ptr<AutoencoderKL> vae_;
    std::unique_ptr<LatentPreview> preview_;
    SchedulerConfig scheduler_;
};

}  // namespace dit
