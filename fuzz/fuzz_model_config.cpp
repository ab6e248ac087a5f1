// A component's config.json through every config reader: JSON syntax (with Python's Infinity and
// NaN), types, ranges and the relations between fields.
#include "engine/io/config.h"
#include "engine/models/autoencoder_dc/autoencoder_dc.h"
#include "engine/models/autoencoder_kl/autoencoder_kl.h"
#include "engine/models/gemma2/gemma2_model.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/models/sana/sana_transformer.h"
#include "engine/models/t5/t5_encoder.h"
#include "engine/samplers/sampler.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = dit::fuzz::write_input("config.json", data, size);
    dit::fuzz::expect_clean([&] {
        const dit::Config c = dit::Config::read(path);
        dit::fuzz::expect_clean([&] { (void)dit::PixArtConfig::from(c); });
        dit::fuzz::expect_clean([&] { (void)dit::SanaConfig::from(c); });
        dit::fuzz::expect_clean([&] { (void)dit::SanaConfig::from(c, "SanaControlNetModel"); });
        dit::fuzz::expect_clean([&] { (void)dit::AutoencoderKLConfig::from(c); });
        dit::fuzz::expect_clean([&] { (void)dit::T5EncoderConfig::from(c); });
        dit::fuzz::expect_clean([&] { (void)dit::AutoencoderDCConfig::from(c); });
        dit::fuzz::expect_clean([&] { (void)dit::Gemma2Config::from(c); });
        dit::fuzz::expect_clean([&] {
            const auto s = dit::SchedulerConfig::from(c);
            for (const char* name : {"dpm++2m", "ddim", "euler", "euler_a", "lcm", "flow_euler"})
                dit::fuzz::expect_clean([&] { dit::make_sampler(name, s)->set_timesteps(4, 1.0f); });
            dit::fuzz::expect_clean([&] { dit::make_scm(s)->set_timesteps(2, 1.0f); });
        });
    });
    return 0;
}
