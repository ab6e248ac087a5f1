#pragma once
// The engine's one entry point. A Request says what to make; Callbacks report progress and a
// preview after every step, and are polled for cancellation between steps and between blocks.
// Loaded models are cached per model folder across requests.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/image.h"

namespace dit {

struct Request {
    std::filesystem::path model_dir;      // a diffusers PixArt folder
    std::string prompt;
    std::string negative_prompt;
    int width = 512, height = 512;        // pixels; multiples of 8 * patch size
    int steps = 20;
    std::string sampler = "dpm++2m";      // dpm++2m | ddim | euler | euler_a | lcm | flow_euler
    float cfg = 4.5f;                     // classifier-free guidance; <= 1 runs one branch only
    uint64_t seed = 0;
    std::optional<std::filesystem::path> noise_file;  // .npy [1, C, H/8, W/8] initial latent
    std::optional<Image> init_image;      // img2img when set
    float strength = 0.8f;                // img2img: fraction of the schedule that is re-run
    std::string backend = "cpu";          // cpu (fast path) | cpu-reference (plain loops)
};

struct Progress {
    int step = 0, steps = 0;
    double seconds = 0;  // since generate() began
};

struct Callbacks {
    std::function<void(const Progress&)> progress;
    // The predicted x0 after a step, through the latent->RGB preview map (cheap: no VAE).
    std::function<void(const Image& preview, const Progress&)> preview;
    std::function<bool()> cancelled;      // polled between steps and between blocks
};

struct Result {
    Image image;
    std::string parameters;  // the generation parameters as one line, for the PNG text chunk
    double seconds = 0;
};

class Engine {
public:
    Engine();
    ~Engine();
    // Throws dit::Error for bad input (naming file, key or field), dit::Cancelled when cancelled.
    Result generate(const Request& request, Callbacks& callbacks);

    struct Impl;
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace dit
