#pragma once
// Inpainting (docs/inpainting.md): the masks, the per-step re-imposition of the known region,
// lazy inpainting's token sets and the pixel-space composite. The denoising loop in
// PixArtPipeline::run calls these; crop mode wraps a whole run (inpaint_crop).
//
// Two masks, never one:
//  - the denoise mask (latent grid, soft): where the sampler's result is kept each step. The
//    pixel mask's support is dilated by mask_grow, then blurred by mask_blur, then max-pooled to
//    the latent grid, so every latent cell that touches a masked pixel is fully regenerated and
//    the soft ramp lies outside the mask;
//  - the blend mask (pixels, soft): how the decoded image is composited over the input. It is
//    the mask itself faded in over mask_feather pixels inside its edge, so it is exactly 0 where
//    the mask is 0 (those output pixels are the input's, bit for bit).
#include <functional>
#include <memory>
#include <vector>

#include "engine/image.h"
#include "engine/models/pixart/pixart_transformer.h"
#include "engine/pipeline/engine.h"
#include "engine/samplers/sampler.h"

namespace dit {

// Throws dit::Error with a message a user can act on: no init image, mask of the wrong size,
// empty mask, unknown mode, bad grow/blur/feather/margin/halo/refresh values.
void check_inpaint_request(const Request& r);

// Pixel-mask operations on [H, W] float planes in [0, 1].
namespace inpaint {
std::vector<float> support(const Mask& m);  // 1 where the mask is > 0, else 0
std::vector<float> dilate(const std::vector<float>& x, int w, int h, int radius);  // square max filter
std::vector<float> blur(const std::vector<float>& x, int w, int h, int radius);    // Gaussian, sigma radius / 2
// [h, w] -> [h / f, w / f], each cell the max of its f x f pixels.
std::vector<float> max_pool(const std::vector<float>& x, int w, int h, int f);
// The denoise mask at the latent grid [h / down, w / down].
std::vector<float> denoise_mask(const Mask& m, int grow, int blur_radius, int down);
// The blend mask [H, W]: value / 255 times a ramp from 0 at the mask's edge to 1 at `feather`
// pixels inside it (Euclidean distance to the nearest pixel whose mask is 0).
std::vector<float> blend_mask(const Mask& m, int feather);
// out = blend * generated + (1 - blend) * original, rounded; where blend is 0 the original's
// bytes are copied unchanged.
Image composite(const Image& original, const Image& generated, const std::vector<float>& blend);
// Lazy: tokens (row-major over the gw x gh patch grid of patch p) with any denoise-mask cell > 0,
// grown by `halo` rings (Chebyshev). Returns active (ascending) and cached (the rest, ascending).
void split_tokens(const std::vector<float>& latent_mask, int lw, int lh, int p, int halo,
                  std::vector<int32_t>& active, std::vector<int32_t>& cached);
}  // namespace inpaint

// One full or lazy inpainting run's state inside the denoising loop.
class LatentInpaint {
public:
    // known: the init image's latent [1, C, h, w]; noise: the run's initial noise (the known
    // region is re-noised with this same noise every step, as diffusers' inpaint pipelines do).
    LatentInpaint(const Request& r, Tensor known, Tensor noise, int down, int patch);

    // Before the first step: the known region at the level of step 0.
    void impose_initial(Tensor& x, const Sampler& s) const { impose(x, s, 0); }
    // After step i returned x: the known region at the level x is now at (step i + 1's input;
    // the result's level after the last step). Soft cells mix the two.
    void impose(Tensor& x, const Sampler& s, int level) const;
    // The preview's x0: the sampler's estimate inside, the known latent outside.
    Tensor preview_x0(const Tensor& predicted_x0) const;
    // The decoded result composited over the init image through the blend mask.
    Image composite(const Image& decoded) const;

    // Lazy mode: the token sets and cache for step i (a refresh every lazy_refresh steps,
    // starting at step 0); null in full mode.
    LazyTokens* lazy_step(int i);
    bool lazy() const { return lazy_ != nullptr; }
    const std::vector<float>& denoise() const { return mask_; }  // [h, w]

private:
    Image init_;
    std::vector<float> mask_, blend_;  // latent [h, w]; pixels [H, W]
    Tensor known_, noise_;
    int refresh_ = 1;
    std::unique_ptr<LazyTokens> lazy_;
};

// Crop mode's geometry: the box (x, y, w, h in the image) and the size it is generated at.
struct CropPlan {
    int x = 0, y = 0, w = 0, h = 0;
    int width = 0, height = 0;
};
CropPlan plan_crop(const Request& r, int model_pixels, int multiple);

// Crop mode: generates the mask's bounding box plus crop_margin, resized to about the model's
// native size `model_pixels` (sides multiples of `multiple`), by calling `run` on a full-mode
// request for that crop (controls and region masks cropped alike), and pastes the result back
// through the blend mask. Previews are pasted into the input picture the same way, so the crop
// forms in place while the rest of the picture stays visible.
Result inpaint_crop(const Request& r, int model_pixels, int multiple, const Callbacks& cb,
                    const std::function<Result(const Request&, Callbacks&)>& run);

}  // namespace dit
