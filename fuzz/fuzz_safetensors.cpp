// safetensors file: header length, header JSON, dtypes, shapes and offsets, then every tensor read.
#include "engine/io/safetensors.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = dit::fuzz::write_input("model.safetensors", data, size);
    dit::fuzz::expect_clean([&] {
        auto file = dit::SafetensorsFile::open(path);
        double sum = 0;
        for (const auto& [name, info] : file->tensors()) {
            const dit::Tensor t = file->load(name).to_f32();
            for (int64_t i = 0; i < t.numel(); ++i) sum += t[i];  // touches every byte the offsets claim
        }
        (void)sum;
    });
    return 0;
}
