#include "engine/pipeline/engine.h"

#include <map>
#include <mutex>

#include "engine/error.h"
#include "engine/pipeline/pixart_pipeline.h"

namespace dit {

struct Engine::Impl {
    std::mutex mutex;  // one generation at a time per Engine; the worker owns one Engine
    // Loaded pipelines by canonical folder; the last one used stays resident.
    std::filesystem::path loaded_path;
    std::unique_ptr<PixArtPipeline> loaded;
};

Engine::Engine() : impl_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;

static kernels::Backend& backend_named(const std::string& name) {
    if (name == "cpu") return kernels::fast();
    if (name == "cpu-reference") return kernels::reference();
    throw Error("backend '" + name + "' is not available (cpu, cpu-reference)");
}

Result Engine::generate(const Request& request, Callbacks& callbacks) {
    std::lock_guard lock(impl_->mutex);
    kernels::Backend& ops = backend_named(request.backend);
    std::error_code ec;
    auto path = std::filesystem::weakly_canonical(request.model_dir, ec);
    if (ec || !std::filesystem::is_directory(path))
        throw Error(request.model_dir.string() + ": model folder does not exist");
    if (!impl_->loaded || impl_->loaded_path != path) {
        impl_->loaded.reset();  // free the old model before loading the new one
        impl_->loaded = PixArtPipeline::load(path, ops);
        impl_->loaded_path = path;
    }
    return impl_->loaded->run(request, callbacks, ops);
}

}  // namespace dit
