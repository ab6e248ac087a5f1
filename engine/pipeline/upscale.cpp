#include "engine/pipeline/upscale.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "engine/error.h"
#include "engine/pipeline/parameters.h"

namespace dit {

namespace {

// Tile starts along one axis: n evenly spaced windows of `t` covering [0, size).
std::vector<int> starts(int size, int t, int overlap) {
    if (size <= t) return {0};
    const int n = int(std::ceil(double(size - overlap) / double(t - overlap)));
    std::vector<int> s(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) s[size_t(i)] = int(std::lround(double(i) * (size - t) / (n - 1)));
    return s;
}

Image crop(const Image& img, const Tile& t) {
    Image out{t.w, t.h, std::vector<uint8_t>(size_t(t.w) * t.h * 3)};
    for (int y = 0; y < t.h; ++y)
        std::copy_n(&img.rgb[(size_t(t.y + y) * img.width + t.x) * 3], size_t(t.w) * 3, &out.rgb[size_t(y) * t.w * 3]);
    return out;
}

Mask crop(const Mask& m, const Tile& t) {
    Mask out{t.w, t.h, std::vector<uint8_t>(size_t(t.w) * t.h)};
    for (int y = 0; y < t.h; ++y)
        std::copy_n(&m.value[size_t(t.y + y) * m.width + t.x], size_t(t.w), &out.value[size_t(y) * t.w]);
    return out;
}

}  // namespace

std::vector<Tile> tile_layout(int width, int height, int tile, int overlap, int multiple) {
    if (tile < 2 * multiple || tile % multiple)
        throw Error("upscale: field 'tile': " + std::to_string(tile) + " must be a multiple of " + std::to_string(multiple) +
                    " and at least " + std::to_string(2 * multiple));
    if (overlap < 0 || 2 * overlap >= tile)
        throw Error("upscale: field 'overlap': " + std::to_string(overlap) + " must lie in [0, tile/2) = [0, " +
                    std::to_string(tile / 2) + ")");
    if (width < multiple || height < multiple)
        throw Error("upscale: the picture (" + std::to_string(width) + "x" + std::to_string(height) +
                    ") is smaller than " + std::to_string(multiple) + " pixels a side");
    // A tile never exceeds the picture; on a short side it is the largest multiple that fits
    // (and the overlapping windows still reach the edge).
    const int tw = std::min(tile, width / multiple * multiple), th = std::min(tile, height / multiple * multiple);
    std::vector<Tile> out;
    for (int y : starts(height, th, std::min(overlap, th / 2 - 1)))
        for (int x : starts(width, tw, std::min(overlap, tw / 2 - 1))) out.push_back({x, y, tw, th});
    return out;
}

std::vector<float> tile_weights(const Tile& t, int width, int height, int overlap) {
    auto ramp = [overlap](int i, int n, bool near_edge_open, bool far_edge_open) {
        float w = 1;
        // Half a pixel in, so the outermost pixel of an overlap still counts a little.
        if (near_edge_open && i < overlap) w = std::min(w, (i + 0.5f) / float(overlap));
        if (far_edge_open && n - 1 - i < overlap) w = std::min(w, (n - 1 - i + 0.5f) / float(overlap));
        return w;
    };
    std::vector<float> w(size_t(t.w) * t.h);
    for (int y = 0; y < t.h; ++y) {
        const float wy = overlap > 0 ? ramp(y, t.h, t.y > 0, t.y + t.h < height) : 1.0f;
        for (int x = 0; x < t.w; ++x) {
            const float wx = overlap > 0 ? ramp(x, t.w, t.x > 0, t.x + t.w < width) : 1.0f;
            w[size_t(y) * t.w + x] = wx * wy;
        }
    }
    return w;
}

Result upscale_refine(const TileGenerator& generate, const UpscaleRequest& u, Callbacks& cb) {
    const auto t0 = std::chrono::steady_clock::now();
    const Image& pic = u.picture;
    if (pic.empty()) throw Error("upscale: there is no picture");
    if (!(u.strength > 0 && u.strength <= 1)) throw Error("upscale: field 'strength' must lie in (0, 1]");
    const std::vector<Tile> tiles = tile_layout(pic.width, pic.height, u.tile, u.overlap, 16);
    std::vector<float> sum(pic.rgb.size(), 0.0f), weight(size_t(pic.width) * pic.height, 0.0f);
    Image shown = pic;  // what previews show: finished tiles blended in, the rest the resize
    const int n = int(tiles.size());
    auto put = [&](const Image& tile_img, const Tile& t, const std::vector<float>& w, Image& into, bool accumulate) {
        for (int y = 0; y < t.h; ++y)
            for (int x = 0; x < t.w; ++x) {
                const size_t p = size_t(t.y + y) * pic.width + t.x + x;
                const float wt = w[size_t(y) * t.w + x];
                if (accumulate) weight[p] += wt;
                for (int c = 0; c < 3; ++c) {
                    const float v = tile_img.rgb[(size_t(y) * t.w + x) * 3 + c];
                    if (accumulate) sum[p * 3 + c] += wt * v;
                    into.rgb[p * 3 + c] = accumulate ? uint8_t(std::lround(sum[p * 3 + c] / weight[p])) : uint8_t(v);
                }
            }
    };
    for (size_t i = 0; i < tiles.size(); ++i) {
        const Tile& t = tiles[i];
        Request r = u.base;
        r.width = t.w;
        r.height = t.h;
        r.seed = u.base.seed + i;
        r.strength = u.strength;
        r.init_image = crop(pic, t);
        r.mask.reset();
        for (auto& c : r.controls) c.image = crop(c.image, t);
        r.regions.clear();
        for (const RegionPrompt& region : u.base.regions) {
            RegionPrompt cropped{region.prompt, crop(region.mask, t)};
            // A region with nothing in this tile has no say in it (and an empty mask is an error).
            if (std::any_of(cropped.mask.value.begin(), cropped.mask.value.end(), [](uint8_t v) { return v > 127; }))
                r.regions.push_back(std::move(cropped));
        }
        const std::vector<float> w = tile_weights(t, pic.width, pic.height, u.overlap);
        // Progress and previews count over the whole run: tile i's step k is step i x steps + k.
        Callbacks tile_cb = cb;
        auto overall = [i, n, t0](const Progress& p) {
            return Progress{int(i) * p.steps + p.step, n * p.steps,
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
        };
        if (cb.progress) tile_cb.progress = [&](const Progress& p) { cb.progress(overall(p)); };
        if (cb.preview)
            tile_cb.preview = [&](const Image& preview, const Progress& p) {
                // The engine's preview is at the latent's size: spread over the tile, nearest pixel.
                Image at_tile{t.w, t.h, std::vector<uint8_t>(size_t(t.w) * t.h * 3)};
                for (int y = 0; y < t.h; ++y)
                    for (int x = 0; x < t.w; ++x)
                        std::copy_n(&preview.rgb[(size_t(y * preview.height / t.h) * preview.width + x * preview.width / t.w) * 3],
                                    3, &at_tile.rgb[(size_t(y) * t.w + x) * 3]);
                Image frame = shown;
                put(at_tile, t, w, frame, false);
                cb.preview(frame, overall(p));
            };
        const Result tile_result = generate(r, tile_cb);
        put(tile_result.image, t, w, shown, true);
    }
    Result result;
    result.image = shown;
    Request record = u.base;
    record.width = pic.width;
    record.height = pic.height;
    record.strength = u.strength;
    result.parameters = parameters_json(record);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

}  // namespace dit
