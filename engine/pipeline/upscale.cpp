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
    // The request every tile starts from, without the picture-sized maps: each tile gets its
    // crops, and no tile copies a whole control map or region mask.
    Request plain = u.base;
    plain.controls.clear();
    plain.regions.clear();
    plain.init_image.reset();
    plain.mask.reset();
    Image shown = pic;  // what previews show and the result: finished tiles blended in, the rest the resize
    // The weighted sums live only for the current row of tiles: the rows above its top are final
    // (later tiles start lower), and what the previous row left in it lies within its height. So
    // beyond the 8-bit input and output, memory is one band (width x tile x 16 bytes), whatever
    // the picture's height.
    const int band_h = tiles.front().h;
    int band_y = 0;
    std::vector<float> sum(size_t(pic.width) * band_h * 3, 0.0f), weight(size_t(pic.width) * band_h, 0.0f);
    auto move_band_to = [&](int y) {
        // Rows [band_y, y) are final; the band's later rows move up and the freed rows start empty.
        const size_t drop = std::min(size_t(y - band_y) * pic.width, weight.size());
        std::copy(sum.begin() + long(drop * 3), sum.end(), sum.begin());
        std::fill(sum.end() - long(drop * 3), sum.end(), 0.0f);
        std::copy(weight.begin() + long(drop), weight.end(), weight.begin());
        std::fill(weight.end() - long(drop), weight.end(), 0.0f);
        band_y = y;
    };
    const int n = int(tiles.size());
    auto put = [&](const Image& tile_img, const Tile& t, const std::vector<float>& w, Image& into, bool accumulate) {
        for (int y = 0; y < t.h; ++y)
            for (int x = 0; x < t.w; ++x) {
                const size_t p = size_t(t.y + y) * pic.width + t.x + x;
                const size_t b = size_t(t.y + y - band_y) * pic.width + t.x + x;
                const float wt = w[size_t(y) * t.w + x];
                if (accumulate) weight[b] += wt;
                for (int c = 0; c < 3; ++c) {
                    const float v = tile_img.rgb[(size_t(y) * t.w + x) * 3 + c];
                    if (accumulate) sum[b * 3 + c] += wt * v;
                    into.rgb[p * 3 + c] = accumulate ? uint8_t(std::lround(sum[b * 3 + c] / weight[b])) : uint8_t(v);
                }
            }
    };
    for (size_t i = 0; i < tiles.size(); ++i) {
        const Tile& t = tiles[i];
        move_band_to(t.y);
        Request r = plain;
        r.width = t.w;
        r.height = t.h;
        r.seed = u.base.seed + i;
        r.strength = u.strength;
        r.init_image = crop(pic, t);
        for (const ControlInput& c : u.base.controls) {
            ControlInput cropped{c.type, c.adapter_dir, crop(c.image, t), c.weight, c.start, c.end, c.enabled, c.skip_blocks};
            r.controls.push_back(std::move(cropped));
        }
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
    result.image = std::move(shown);
    Request record = u.base;
    record.width = pic.width;
    record.height = pic.height;
    record.strength = u.strength;
    result.parameters = parameters_json(record);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

}  // namespace dit
