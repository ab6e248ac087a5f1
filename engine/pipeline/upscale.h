#pragma once
// Upscale and refine: a picture already enlarged by a classical resize (the caller's: the studio
// uses OpenCV's Lanczos) is refined by img2img over overlapping tiles at the model's native size,
// and the tiles are blended with feathered weights that sum to one at every pixel, so no seam
// shows. Each tile's VAE encode and decode see only the tile, so memory beyond the picture's own
// buffers does not grow with its area. Regional prompts and controls are cropped to each tile.
#include <functional>
#include <vector>

#include "engine/image.h"
#include "engine/pipeline/engine.h"

namespace dit {

struct Tile {
    int x = 0, y = 0, w = 0, h = 0;
};

// Tiles of `tile` pixels (a multiple of `multiple`; smaller when the picture is) overlapping by at
// least `overlap`, evenly spaced so they cover every pixel of width x height exactly to its edges.
// Throws dit::Error naming the field for a tile below 2 x multiple, an overlap of half a tile or
// more, or a picture smaller than one `multiple`.
std::vector<Tile> tile_layout(int width, int height, int tile, int overlap, int multiple);

// The weight of each tile's pixels: 1 inside, rising linearly across the overlap on the sides that
// have a neighbour (a picture edge keeps weight 1 to the border). Row-major, the tile's size.
std::vector<float> tile_weights(const Tile& t, int width, int height, int overlap);

// The refinement's default img2img strength, the CLI's, the studio's and the worker's alike
// (docs/upscale.md: chosen from the fidelity and seam measured over strengths).
inline constexpr float kDefaultUpscaleStrength = 0.1f;

struct UpscaleRequest {
    Request base;        // prompt, steps, sampler, cfg, seed, backend, regions and controls at the
                         // picture's size; its size and init image are set per tile
    Image picture;       // the enlarged picture to refine
    int tile = 512;      // the model's native size, usually
    int overlap = 64;
    float strength = kDefaultUpscaleStrength;  // img2img strength of the refinement
};

// Runs base.steps x tiles img2img generations (tile i with seed base.seed + i). Progress counts
// tiles x steps; previews show the picture with the finished tiles and the forming one; cancel
// stops within a step (dit::Cancelled), leaving nothing half-written for the caller.
// `generate` runs one tile: a local Engine's generate, or any other generator (a remote queue).
using TileGenerator = std::function<Result(const Request&, Callbacks&)>;
Result upscale_refine(const TileGenerator& generate, const UpscaleRequest& u, Callbacks& cb);
// The same on a local engine.
inline Result upscale_refine(Engine& engine, const UpscaleRequest& u, Callbacks& cb) {
    return upscale_refine([&engine](const Request& r, Callbacks& c) { return engine.generate(r, c); }, u, cb);
}

}  // namespace dit
