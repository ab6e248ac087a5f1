// A generation preset file, then the preset applied onto default settings.
#include "fuzz/fuzz_input.h"
#include "studio/project/presets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = dit::fuzz::write_input("preset.json", data, size);
    dit::fuzz::expect_clean([&] {
        const auto preset = dit::studio::load_preset(QString::fromStdString(path.string()));
        (void)dit::studio::apply_preset(preset, dit::studio::GenerationSettings{});
    });
    return 0;
}
