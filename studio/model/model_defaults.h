#pragma once
// What a model folder recommends before the user has said anything: the size it was trained at,
// its steps, sampler and guidance, and an example prompt that works on it. A new document, a
// model the user picks, and File › New start from these, the way diffusers' pipelines take their
// defaults from the checkpoint's configs.
//
// Sources, later ones winning:
//   1. model_index.json's `_class_name` (PixArt-α reads 120 prompt tokens, Σ and Sana 300);
//   2. transformer/config.json's `sample_size` × the VAE's down-sampling (vae/config.json's
//      block_out_channels, or encoder_block_out_channels for Sana's DC-AE: 2^(n-1)) gives the
//      native size, as the pipelines compute it;
//   3. scheduler/scheduler_config.json's `_class_name`: an LCMScheduler model runs 4 steps of
//      lcm without guidance, an SCMScheduler (Sana-Sprint) 2 steps of scm at 4.5, everything
//      else 20 steps of dpm++2m at CFG 4.5 (the PixArt and Sana pipelines' defaults);
//   4. an optional studio.json beside model_index.json:
//        {"width": 128, "height": 128, "steps": 20, "sampler": "dpm++2m", "cfg": 4.5,
//         "example_prompt": "..."}   every field optional, each checked for type and range.
#include <QString>

#include "studio/document/generation_settings.h"

namespace dit::studio {

struct ModelDefaults {
    int width = 512, height = 512;
    int steps = 20;
    QString sampler = QStringLiteral("dpm++2m");
    double cfg = 4.5;
    int max_prompt_tokens = 120;
    QString family;  // "PixArt-Σ", "Sana-Sprint", ... from model_index.json; empty when unknown
    QString example_prompt;
    // Set when a file was unreadable or a field out of range: what was wrong, naming the file
    // and field. The other sources still apply, so the defaults are always usable.
    QString problem;
};

// Never throws: what cannot be read is reported in `problem`.
ModelDefaults model_defaults(const QString& model_dir);

// `s` with the model's size, steps, sampler and guidance.
GenerationSettings with_model_defaults(GenerationSettings s, const ModelDefaults& d);

// A size the engine takes (a multiple of 16: the VAE's 8 times the patch's 2), nearest to `px`,
// within [16, 2048].
int engine_size(double px);

}  // namespace dit::studio
