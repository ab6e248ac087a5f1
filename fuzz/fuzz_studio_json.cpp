// A model folder's studio.json (its recommended size, steps, sampler, CFG and example prompt):
// model_defaults never throws, so every input must come back as defaults with, at most, a
// problem that names the file.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "studio/model/model_defaults.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = dit::fuzz::write_input("model/studio.json", data, size);
    const QString dir = QString::fromStdString(path.parent_path().string());
    dit::fuzz::expect_clean([&] {
        const auto d = dit::studio::model_defaults(dir);
        // What it returns is always a size the engine takes.
        if (d.width % 16 || d.height % 16 || d.width < 16 || d.height < 16 || d.steps < 1) std::abort();
        if (!d.problem.isEmpty() && !d.problem.contains(QStringLiteral("studio.json"))) std::abort();
    });
    return 0;
}
