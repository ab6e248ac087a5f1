// GGUF file: header, metadata of every value type (nested arrays too), alignment, tensor table,
// then every tensor dequantized, through the weight store as the models read it (llama.cpp T5
// names renamed on the way).
#include "engine/io/gguf.h"
#include "engine/io/weights.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto path = dit::fuzz::write_input("model.gguf", data, size);
    dit::fuzz::expect_clean([&] {
        const dit::WeightStore store = dit::WeightStore::open(path);
        double sum = 0;
        for (const std::string& key : store.keys()) {
            const dit::Tensor t = store.load(key).to_f32();
            for (int64_t i = 0; i < t.numel(); ++i) sum += t[i];  // touches every block the table claims
        }
        (void)sum;
    });
    return 0;
}
