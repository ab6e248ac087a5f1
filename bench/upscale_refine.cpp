// Upscale and refine on the default model: a procedural-world scene enlarged 4x (to 1024 px by
// default), refined by tiles at the model's 128 px, against the plain Lanczos resize measured in the
// same run as the peer. Prints the time, the peak RSS, the seam score (gradient energy on the tile
// borders' pixel columns and rows against all columns and rows: 1 means no seam) of both, and each
// output's fidelity to the input (the output reduced by area averaging back to the input's size,
// PSNR). The figure on the last line: the refined picture's seam score.
//
// Usage: bench_upscale_refine [--size PX] [--scale F] [--strength S] [--steps N] [--tile PX] [--overlap PX]
//                             [--model DIR]
// --model: another diffusers folder (the tiny fixture model reaches 4096² in minutes: memory and
// time of the tiled path without the default model's hours).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <QImage>
#include <thread>

#include "bench/bench_machine.h"
#include "engine/pipeline/upscale.h"
#include "studio/install_paths.h"
#include "studio/model/model_defaults.h"
#include "studio/result_png.h"
#include "studio/upscale.h"
#include "studio/world/world_renderer.h"
#include "studio/world/world_scene.h"

namespace {

// Mean absolute difference between neighbouring pixels across column x | x+1 (vertical = false)
// or row y | y+1.
double edge_energy(const dit::Image& img, int at, bool rows) {
    const int n = rows ? img.width : img.height;
    double e = 0;
    for (int i = 0; i < n; ++i) {
        const int x0 = rows ? i : at, y0 = rows ? at : i, x1 = rows ? i : at + 1, y1 = rows ? at + 1 : i;
        for (int c = 0; c < 3; ++c)
            e += std::abs(int(img.rgb[(size_t(y0) * img.width + x0) * 3 + c]) - int(img.rgb[(size_t(y1) * img.width + x1) * 3 + c]));
    }
    return e / n;
}

double seam_score(const dit::Image& img, const std::vector<dit::Tile>& tiles) {
    double border = 0, all = 0;
    int nb = 0, na = 0;
    for (const auto& t : tiles) {
        // Where a tile's weight starts or stops: the first and last pixel pairs inside a neighbour.
        for (int x : {t.x - 1, t.x + t.w - 1})
            if (x >= 0 && x + 1 < img.width) border += edge_energy(img, x, false), ++nb;
        for (int y : {t.y - 1, t.y + t.h - 1})
            if (y >= 0 && y + 1 < img.height) border += edge_energy(img, y, true), ++nb;
    }
    for (int x = 0; x + 1 < img.width; ++x) all += edge_energy(img, x, false), ++na;
    for (int y = 0; y + 1 < img.height; ++y) all += edge_energy(img, y, true), ++na;
    return nb ? (border / nb) / (all / na) : 1.0;
}

double fidelity(const dit::Image& out, const dit::Image& in) {
    return dit::psnr(in, dit::studio::area_resize(out, in.width, in.height));
}

}  // namespace

int main(int argc, char** argv) {
    int size = 256, steps = 20, tile = 0, overlap = -1;
    double scale = 4, strength = 0.2;
    std::string model_arg;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--size") size = std::atoi(argv[i + 1]);
        else if (a == "--scale") scale = std::atof(argv[i + 1]);
        else if (a == "--strength") strength = std::atof(argv[i + 1]);
        else if (a == "--steps") steps = std::atoi(argv[i + 1]);
        else if (a == "--tile") tile = std::atoi(argv[i + 1]);
        else if (a == "--overlap") overlap = std::atoi(argv[i + 1]);
        else if (a == "--model") model_arg = argv[i + 1];
        else return std::fprintf(stderr, "unknown option %s\n", argv[i]), 2;
    }
    const std::filesystem::path model = model_arg.empty() ? dit::studio::default_model_dir() : std::filesystem::path(model_arg);
    const auto d = dit::studio::model_defaults(QString::fromStdString(model.string()));
    dit::studio::WorldOptions wo;
    wo.size = size;
    const auto scene = dit::studio::make_world_scene(3, wo);
    const dit::Image input = dit::studio::from_qimage(dit::studio::render_world_image(scene));
    const int W = int(size * scale), H = W;

    auto t0 = std::chrono::steady_clock::now();
    const dit::Image lanczos = dit::studio::lanczos_resize(input, W, H);
    const double lanczos_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    dit::UpscaleRequest u;
    u.base.model_dir = model;
    u.base.prompt = scene.caption();
    u.base.steps = steps;
    u.base.sampler = d.sampler.toStdString();
    u.base.cfg = float(d.cfg);
    u.base.seed = 1;
    u.picture = lanczos;
    u.tile = tile > 0 ? tile : std::min(d.width, d.height);
    u.overlap = overlap >= 0 ? overlap : u.tile / 8;
    u.strength = float(strength);
    const auto tiles = dit::tile_layout(W, H, u.tile, u.overlap, 16);
    dit::Engine engine;
    dit::Callbacks cb;
    t0 = std::chrono::steady_clock::now();
    const dit::Result refined = dit::upscale_refine(engine, u, cb);
    const double refine_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::printf("machine: %s, %u threads\n", dit::bench::cpu_model().c_str(), std::thread::hardware_concurrency());
    std::printf("input %dx%d world scene (seed 3) -> %dx%d, %zu tiles of %d px, overlap %d, strength %.2f, %d steps\n",
                size, size, W, H, tiles.size(), u.tile, u.overlap, strength, steps);
    std::printf("%-18s %10s %10s %12s\n", "", "time s", "seam", "PSNR vs in");
    std::printf("%-18s %10.2f %10.3f %12.2f\n", "lanczos (peer)", lanczos_s, seam_score(lanczos, tiles), fidelity(lanczos, input));
    std::printf("%-18s %10.2f %10.3f %12.2f\n", "refined by tiles", refine_s, seam_score(refined.image, tiles),
                fidelity(refined.image, input));
    // The buffers that grow with the picture: the Lanczos result (the refinement's input), the
    // refined output, the blending band (width x tile x 16 bytes).
    std::printf("model %s\npeak RSS %.0f MiB (the picture's buffers at %dx%d: %.0f MiB)\n", model.string().c_str(),
                dit::bench::peak_rss_mib(), W, H, (W * double(H) * 6 + W * double(u.tile) * 16) / 1048576.0);
    std::printf("seam score of the refined picture (1 = no seam; Lanczos %.3f): %.3f\n", seam_score(lanczos, tiles),
                seam_score(refined.image, tiles));
    return 0;
}
