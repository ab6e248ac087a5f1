#include "engine/pipeline/engine.h"

#include <map>
#include <mutex>

#include "engine/error.h"
#include "engine/pipeline/pipeline.h"
#ifdef DIT_HAVE_CUDA
#include "kernels/cuda/cuda.h"
#endif

namespace dit {

struct Engine::Impl {
    std::mutex mutex;  // one generation at a time per Engine; the worker owns one Engine
    // The last pipeline used stays resident, keyed by canonical folder and the backend whose
    // memory holds its weights.
    std::filesystem::path loaded_path;
    ComponentFiles loaded_files;
    const kernels::Backend* loaded_ops = nullptr;
    std::unique_ptr<Pipeline> loaded;
};

Engine::Engine() : impl_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;

namespace {

std::string cuda_unavailable() {
#ifdef DIT_HAVE_CUDA
    return kernels::cuda::unavailable_reason();
#else
    return "this build has no CUDA backend (nvcc was not found when it was configured)";
#endif
}

// The fast CPU backend, or why this build has none (the GPU machine's build has no OpenBLAS).
kernels::Backend& fast_cpu(const std::string& name) {
#ifdef DIT_NO_FAST_CPU
    throw Error("backend '" + name + "' is not in this build (DIT_DEVICE_ONLY: cpu-reference and cuda only)");
#else
    return name == "cpu-isolated" ? kernels::isolated() : kernels::fast();
#endif
}

// Where a device that ran out of memory sends the request: the fast CPU backend, or the reference
// in the GPU machine's build, which has no other.
kernels::Backend& cpu_fallback() {
#ifdef DIT_NO_FAST_CPU
    return kernels::reference();
#else
    return kernels::fast();
#endif
}

}  // namespace

kernels::Backend& backend_named(const std::string& name) {
    if (name == "cpu" || name == "cpu-isolated") return fast_cpu(name);
    if (name == "cpu-reference") return kernels::reference();
    if (name == "cuda" || name == "auto") {
        const std::string why = cuda_unavailable();
#ifdef DIT_HAVE_CUDA
        if (why.empty()) return kernels::cuda::backend();
#endif
        if (name == "auto") return fast_cpu("cpu");
        throw Error("backend 'cuda' cannot run here: " + why);
    }
    std::string names;
    for (const auto& n : available_backends()) names += (names.empty() ? "" : ", ") + n;
    throw Error("backend '" + name + "' is not available (" + names + ")");
}

std::vector<std::string> available_backends() {
    std::vector<std::string> names{"auto", "cpu", "cpu-reference"};
    if (cuda_unavailable().empty()) names.push_back("cuda");
    return names;
}

Result Engine::generate(const Request& request, Callbacks& callbacks) {
    return std::move(generate_batch(request, 1, callbacks).front());
}

std::vector<Result> Engine::generate_batch(const Request& request, int count, Callbacks& callbacks) {
    std::lock_guard lock(impl_->mutex);
    kernels::Backend& ops = backend_named(request.backend);
    std::error_code ec;
    auto path = std::filesystem::weakly_canonical(request.model_dir, ec);
    if (ec || !std::filesystem::is_directory(path))
        throw Error(request.model_dir.string() + ": model folder does not exist");
    auto run_on = [&](kernels::Backend& backend) {
        if (!impl_->loaded || impl_->loaded_path != path || impl_->loaded_ops != &backend ||
            !(impl_->loaded_files == request.component_files)) {
            impl_->loaded.reset();  // free the old model before loading the new one
            impl_->loaded = load_pipeline(path, backend, request.component_files);
            impl_->loaded_path = path;
            impl_->loaded_files = request.component_files;
            impl_->loaded_ops = &backend;
        }
        return impl_->loaded->run_batch(request, count, callbacks, backend);
    };
    try {
        return run_on(ops);
    } catch (const kernels::OutOfMemory& e) {
        if (ops.host_memory()) throw;
        // The device is full (a model too large for it, a huge image): free what this engine
        // holds there and make the image on the CPU rather than fail.
        impl_->loaded.reset();
        impl_->loaded_ops = nullptr;
        ops.drop_cached_weights();
        std::vector<Result> results = run_on(cpu_fallback());
        for (Result& r : results)
            r.notice = std::string(ops.name()) + " ran out of memory (" + e.what() + "); generated on the CPU instead";
        return results;
    }
}

}  // namespace dit
