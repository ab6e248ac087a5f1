#pragma once
// The engine's one entry point. A Request says what to make; Callbacks report progress and a
// preview after every step, and are polled for cancellation between steps and between blocks.
// Loaded models are cached per model folder across requests.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/image.h"

namespace dit {

// One control adapter's input (ControlNet-Transformer).
struct ControlInput {
    std::string type;                    // "edges" | "pose": names the adapter
    std::filesystem::path adapter_dir;   // empty: the model folder's controlnet_<type>/
    Image image;                         // the control map at the request's size
    float weight = 1.0f;
    float start = 0.0f, end = 1.0f;      // the fraction of the schedule the control acts in
    bool enabled = true;                 // off: the branch does not run at all
    // RelaCtrl pruning: control blocks (0-based, in the adapter's order) not to run; the control
    // state passes them unchanged and they add no residual.
    std::vector<int> skip_blocks;
};

// A regional prompt: image tokens under the mask attend to this prompt (and the global one).
struct RegionPrompt {
    std::string prompt;
    Mask mask;                           // at the request's size; > 127 is inside
};

// Single files that replace one component's weights in the model folder (GGUF or safetensors;
// the component's config.json stays the folder's), as diffusers' from_single_file allows.
struct ComponentFiles {
    std::filesystem::path transformer, text_encoder;
    bool operator==(const ComponentFiles&) const = default;
};

struct Request {
    std::filesystem::path model_dir;      // a diffusers PixArt or Sana folder
    ComponentFiles component_files;       // empty paths: the folder's own weights
    std::string prompt;
    std::string negative_prompt;
    int width = 512, height = 512;        // pixels; multiples of 8 * patch size
    int steps = 20;
    std::string sampler = "dpm++2m";      // dpm++2m | ddim | euler | euler_a | lcm | flow_euler | scm (Sana-Sprint)
    float cfg = 4.5f;                     // classifier-free guidance; <= 1 runs one branch only
    uint64_t seed = 0;
    std::optional<std::filesystem::path> noise_file;  // .npy [1, C, H/8, W/8] initial latent
    std::optional<Image> init_image;      // img2img when set
    float strength = 0.8f;                // img2img: fraction of the schedule that is re-run
    std::string backend = "cpu";          // see backend_named(): cpu | cpu-reference | cuda | auto
    // A device backend keeps at most one T5 block's matrices at a time (each leaves once it ran),
    // so the prompt encoder never needs its whole size in GPU memory. Same image.
    bool low_vram = false;

    std::vector<ControlInput> controls;   // any number, composed by summing their residuals
    // Inpainting when set (needs init_image): regenerate where the mask is > 0.
    std::optional<Mask> mask;
    std::string inpaint_mode = "full";    // full | crop | lazy
    int lazy_refresh = 4;                 // lazy: refresh the known tokens' keys/values every k steps
    // Inpainting masks (docs/inpainting.md). The denoise mask is the mask dilated by mask_grow
    // then blurred by mask_blur (pixels) and max-pooled to the latent grid; the result is blended
    // back through the mask faded in over mask_feather pixels inside its edge (0 stays 0: pixels
    // outside the mask are the input's, bit for bit).
    int mask_grow = 6, mask_blur = 6, mask_feather = 6;
    int crop_margin = 32;                 // crop: pixels of context around the mask's bounding box
    // lazy: extra rings of tokens around those the denoise mask touches (its soft ramp is already
    // a ring of fresh tokens around the mask itself)
    int lazy_halo = 0;
    std::vector<RegionPrompt> regions;
    // Step caching (engine/models/step_cache.h): "off" | "teacache:THRESH". Batches then run one
    // image at a time, each as its single run; lazy inpainting is refused with it.
    std::string cache = "off";
    // Self-attention: full | grouped[:G] | auto (engine/pipeline/attention_choice.h, issue 21).
    std::string attention = "auto";
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
    // Set when the image was made differently from the request, and why: "cuda ran out of
    // memory (...); generated on the CPU instead". Empty otherwise.
    std::string notice;
    int skipped_steps = 0;  // step caching: steps whose block stack was replaced by the last residual
};

// The backend a Request names: "cpu" (OpenBLAS + OpenMP), "cpu-reference" (plain loops),
// "cuda" (kernels/cuda, when built with nvcc and a usable GPU is present), "auto" (cuda when it
// can run, else cpu), "cpu-isolated" (cpu behind a device's memory contract, for tests). Throws
// dit::Error naming the choices, or why cuda cannot run here.
kernels::Backend& backend_named(const std::string& name);
// The names backend_named() accepts on this machine, "auto" first.
std::vector<std::string> available_backends();

class Engine {
public:
    Engine();
    ~Engine();
    // Throws dit::Error for bad input (naming file, key or field), dit::Cancelled when cancelled.
    // A device backend that runs out of memory is not an error: the request is run again on the
    // CPU (progress restarts at step 1) and Result::notice says so.
    Result generate(const Request& request, Callbacks& callbacks);
    // `count` images (1..64) of seeds request.seed, + 1, ...; each equals generate() with its
    // seed. Progress counts all of them; see engine/pipeline/batch.h for how they are grouped.
    std::vector<Result> generate_batch(const Request& request, int count, Callbacks& callbacks);

    struct Impl;
private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace dit
