#include "tests/backends/pipeline_parity.h"

#include <cmath>
#include <filesystem>

#include "engine/models/autoencoder_kl/autoencoder_kl.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/models/t5/t5_encoder.h"
#include "engine/pipeline/engine.h"
#include "engine/random.h"

namespace dit::kernels::parity {
namespace {

namespace fs = std::filesystem;

// ‖got − want‖ / ‖want‖ of two host tensors, as a Result.
Result compare(const std::string& op, const std::string& shape, const Tensor& got, const Tensor& want, double tol) {
    Result r{op, shape, 0.0, tol, 0.0};
    if (got.shape() != want.shape()) {
        r.error = INFINITY;
        return r;
    }
    double diff = 0, norm = 0;
    for (int64_t i = 0; i < got.numel(); ++i) {
        const double d = double(got[i]) - want[i];
        if (!std::isfinite(got[i])) diff = INFINITY;
        diff += d * d;
        norm += double(want[i]) * want[i];
        r.max_abs = std::max(r.max_abs, std::fabs(d));
    }
    r.error = std::sqrt(diff / std::max(norm, 1e-30));
    return r;
}

// Images by PSNR, reported as its inverse so that Result::pass() (error <= tolerance) reads
// "at least min_psnr dB": error = 1 / PSNR, tolerance = 1 / min_psnr.
Result compare_images(const std::string& name, const Image& got, const Image& want, double min_psnr) {
    Result r{"generate", name, INFINITY, 1.0 / min_psnr, 0.0};
    if (got.rgb.size() != want.rgb.size() || want.rgb.empty()) return r;
    for (size_t i = 0; i < got.rgb.size(); ++i)
        r.max_abs = std::max(r.max_abs, std::fabs(double(got.rgb[i]) - want.rgb[i]));
    const double db = psnr(got, want);
    r.error = 1.0 / db;  // 0 when identical
    r.shape = name + " (PSNR " + (std::isinf(db) ? std::string("inf") : std::to_string(db).substr(0, 5)) + " dB)";
    return r;
}

}  // namespace

Mask right_half(int w, int h) {
    Mask m{w, h, std::vector<uint8_t>(size_t(w) * h, 0)};
    for (int y = 0; y < h; ++y)
        for (int x = w / 2; x < w; ++x) m.value[size_t(y) * w + x] = 255;
    return m;
}

Image edge_strokes(int w, int h) {
    Image img{w, h, std::vector<uint8_t>(size_t(w) * h * 3, 0)};
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (x == w / 4 || y == 2 * h / 3 || x == y + w / 3) std::fill_n(&img.rgb[(size_t(y) * w + x) * 3], 3, uint8_t(255));
    return img;
}

Request tiny_request(const std::string& fixtures, const std::string& variant) {
    Request r;
    r.model_dir = std::filesystem::path(fixtures) / ("tiny-pixart-" + variant);
    r.prompt = "a red circle at the top left";
    r.negative_prompt = "blurry";
    r.width = 96;
    r.height = 64;
    r.steps = 4;
    r.seed = 3;
    return r;
}

std::vector<Result> run_pipelines(const std::string& fixtures_dir, const std::string& candidate) {
    const fs::path fixtures = fixtures_dir;
    const fs::path model = fixtures / "tiny-pixart-alpha";
    Backend& ref = reference();
    Backend& gpu = backend_named(candidate);
    std::vector<Result> out;

    // ---- each model on its own ----
    {
        const auto a = T5EncoderModel::load(model / "text_encoder", ref);
        const auto b = T5EncoderModel::load(model / "text_encoder", gpu);
        const std::vector<int32_t> ids{5, 9, 1, 0, 7, 3, 1, 0}, mask{1, 1, 1, 0, 1, 1, 1, 0};
        const Tensor want = a->forward(ids, mask, 2, 4, ref);
        out.push_back(compare("T5 encoder", "2x4 tokens", b->forward(ids, mask, 2, 4, gpu), want, 2e-2));
        // Low-VRAM: the same output, and no T5 matrix left in the device's memory afterwards.
        gpu.drop_cached_weights();
        Result low = compare("T5 low-VRAM", "", b->forward(ids, mask, 2, 4, gpu, nullptr, true), want, 2e-2);
        low.shape = std::to_string(gpu.cached_weight_bytes()) + " weight bytes left on the device";
        if (gpu.cached_weight_bytes() != 0) low.error = INFINITY;
        out.push_back(low);
    }
    {
        const auto a = PixArtTransformer2DModel::load(model / "transformer", ref);
        const auto b = PixArtTransformer2DModel::load(model / "transformer", gpu);
        const auto& c = a->config();
        const Tensor latent = randn({2, c.in_channels, 8, 12}, 7);
        const Tensor embeds = randn({2, 6, c.caption_channels}, 8);
        const std::vector<int32_t> mask{1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0};
        const auto pa = a->encode_prompt(embeds, mask, ref);
        const auto pb = b->encode_prompt(embeds, mask, gpu);
        const std::vector<float> t{500.f, 500.f};
        out.push_back(compare("PixArt forward", "2x4x8x12", b->forward(latent, t, pb, 64, 96, gpu),
                              a->forward(latent, t, pa, 64, 96, ref), 2e-2));
        // Lazy: a refresh, then a forward of a third of the tokens against the cache.
        const int64_t N = (8 / c.patch_size) * (12 / c.patch_size);
        LazyTokens la, lb;
        for (int32_t i = 0; i < N; ++i) (i % 3 == 0 ? la.active : la.cached).push_back(i);
        lb.active = la.active, lb.cached = la.cached;
        ForwardExtras ea, eb;
        ea.lazy = &la, eb.lazy = &lb;
        a->forward(latent, t, pa, 64, 96, ref, nullptr, &ea);
        b->forward(latent, t, pb, 64, 96, gpu, nullptr, &eb);
        la.refresh = lb.refresh = false;
        out.push_back(compare("PixArt lazy", "1/3 of the tokens", b->forward(latent, t, pb, 64, 96, gpu, nullptr, &eb),
                              a->forward(latent, t, pa, 64, 96, ref, nullptr, &ea), 2e-2));
    }
    {
        const auto a = AutoencoderKL::load(model / "vae", ref);
        const auto b = AutoencoderKL::load(model / "vae", gpu);
        const int f = a->config().downscale();
        const Tensor image = randn({1, 3, 4 * f, 6 * f}, 9);
        const Tensor z = a->encode(image, ref);
        out.push_back(compare("VAE encode", "1x3x" + std::to_string(4 * f) + "x" + std::to_string(6 * f),
                              b->encode(image, gpu), z, 1e-4));
        out.push_back(compare("VAE decode", "1x4x4x6", b->decode(z, gpu), a->decode(z, ref), 1e-4));
    }

    // ---- whole generations ----
    const Request base = tiny_request(fixtures_dir);
    auto generate = [](Request r, const char* backend) {
        Engine engine;
        Callbacks cb;
        r.backend = backend;
        return engine.generate(r, cb).image;
    };
    const Image init = generate(base, "cpu-reference");
    for (const char* name :
         {"txt2img", "low-vram", "img2img", "inpaint full", "inpaint crop", "inpaint lazy", "regions", "control"}) {
        Request r = base;
        const std::string n = name;
        r.low_vram = n == "low-vram";
        if (n != "txt2img" && n != "low-vram" && n != "regions" && n != "control") {
            r.init_image = init;
            r.strength = 0.7f;
        }
        if (n.rfind("inpaint", 0) == 0) {
            r.mask = right_half(96, 64);
            r.inpaint_mode = n.substr(8);
        }
        if (n == "regions") r.regions = {{"a blue square", right_half(96, 64)}};
        if (n == "control") {
            ControlInput c;
            c.type = "edges";
            c.adapter_dir = fixtures / "controlnet" / "alpha_edges";
            c.image = edge_strokes(96, 64);
            r.controls = {c};
        }
        out.push_back(compare_images(name, generate(r, candidate.c_str()), generate(r, "cpu-reference"), 30.0));
    }

    // Out of device memory: the engine makes the same image on the CPU and says so. The limit
    // lets the backend load nothing, which is the path a real cudaMalloc failure takes.
    {
        Engine engine;
        Callbacks cb;
        Request r = base;
        r.backend = candidate;
        gpu.set_memory_limit(64 * 1024);
        dit::Result got;
        std::string error;
        try {
            got = engine.generate(r, cb);
        } catch (const std::exception& e) {
            error = e.what();
        }
        gpu.set_memory_limit(0);
        Result res = error.empty() ? compare_images("out of memory", got.image, generate(r, "cpu-reference"), 30.0)
                                   : Result{"generate", "out of memory: " + error, INFINITY, 1.0 / 30, 0.0};
        if (got.notice.find("ran out of memory") == std::string::npos) res.error = INFINITY;
        res.shape += got.notice.empty() ? " (no notice)" : "";
        out.push_back(res);
    }
    gpu.drop_cached_weights();
    return out;
}

}  // namespace dit::kernels::parity
