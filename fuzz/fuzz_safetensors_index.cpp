// model.safetensors.index.json of a sharded checkpoint: weight_map, shard names (including
// paths that try to leave the folder), keys missing from their shard.
#include "engine/io/safetensors.h"
#include "engine/io/weights.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace fs = std::filesystem;
    static const fs::path dir = [] {
        const fs::path d = dit::fuzz::scratch_dir() / "sharded";
        fs::create_directories(d);
        // Two real shards the index may point at.
        dit::save_safetensors(d / "model-00001-of-00002.safetensors",
                              {{"a.weight", dit::Tensor::from({2, 2}, {1, 2, 3, 4})}});
        dit::save_safetensors(d / "model-00002-of-00002.safetensors",
                              {{"b.bias", dit::Tensor::from({3}, {5, 6, 7})}});
        return d;
    }();
    const auto index = dit::fuzz::write_input("sharded/model.safetensors.index.json", data, size);
    dit::fuzz::expect_clean([&] {
        auto store = dit::WeightStore::open(index);
        for (const auto& key : store.keys()) (void)store.load(key).to_f32();
    });
    (void)dir;
    return 0;
}
