#pragma once
// A loaded model folder of any family, as the Engine drives it: the family's pipeline class
// (model_index.json's "_class_name", engine/pipeline/model_family.h) decides which one loads.
#include <filesystem>
#include <memory>
#include <vector>

#include "engine/pipeline/engine.h"

namespace dit {

class Pipeline {
public:
    virtual ~Pipeline() = default;
    // `count` images of seeds seed, seed + 1, ...: each the image a run of its seed makes.
    virtual std::vector<Result> run_batch(const Request& request, int count, Callbacks& callbacks,
                                          kernels::Backend& ops) const = 0;
    Result run(const Request& request, Callbacks& callbacks, kernels::Backend& ops) const {
        return std::move(run_batch(request, 1, callbacks, ops).front());
    }
};

// The folder's pipeline, loaded onto `ops`. Throws dit::Error naming the folder, component, file
// or key at fault, or the pipeline class when it is not one the engine runs.
std::unique_ptr<Pipeline> load_pipeline(const std::filesystem::path& model_dir, kernels::Backend& ops,
                                        const ComponentFiles& files = {});

}  // namespace dit
