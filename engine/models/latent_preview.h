#pragma once
// The cheap per-step preview: a 3 x (C + 1) linear map from a scaled latent pixel to RGB in
// [-1, 1], fitted from the VAE itself by least squares when the model loads. fit() encodes a
// fixed set of small synthetic images (solid colours, two-colour splits, gradients) and regresses
// the colour each latent pixel covers (the mean of its f x f pixel block) on its latent vector
// plus a constant. Deterministic: the same VAE and backend give the same map.
#include <functional>
#include <vector>

#include "engine/image.h"
#include "engine/tensor.h"
#include "kernels/cpu/ops.h"

namespace dit {

class AutoencoderKL;
class AutoencoderDC;

class LatentPreview {
public:
    // Regression samples: latents [M, C] (scaled, as the diffusion model sees them) and the
    // colours they should map to, rgb [M, 3] in [-1, 1].
    struct Samples {
        Tensor latents, rgb;
    };

    static LatentPreview fit(const AutoencoderKL& vae, kernels::Backend& ops);
    static LatentPreview fit(const AutoencoderDC& vae, kernels::Backend& ops);
    // The least-squares map of `s` (what fit() computes from calibration_samples()).
    static LatentPreview from_samples(const Samples& s);
    // The synthetic calibration images, [N, 3, size, size] in [-1, 1].
    static Tensor calibration_images(int size);
    // Encodes calibration_images() with the VAE and pairs each latent pixel with its block's
    // mean colour.
    static Samples calibration_samples(const AutoencoderKL& vae, kernels::Backend& ops);
    // The same for any autoencoder: `encode` maps images [N, 3, S, S] to scaled latents
    // [N, C, S / downscale, S / downscale].
    using Encode = std::function<Tensor(const Tensor& images)>;
    static Samples calibration_samples(const Encode& encode, int downscale);

    // A map given directly: 3 rows of C weights then the bias, row-major.
    LatentPreview(std::vector<float> matrix, int channels);

    // latent [N, C, h, w] (scaled; item 0 is used) -> RGB [1, 3, h, w], unclamped.
    Tensor apply(const Tensor& latent) const;
    // latent [1, C, h, w] -> an h x w image, one pixel per latent pixel; callers scale it up.
    Image render(const Tensor& latent) const;

    const std::vector<float>& matrix() const { return matrix_; }  // 3 x (C + 1), row-major
    int channels() const { return channels_; }

private:
    std::vector<float> matrix_;
    int channels_ = 0;
};

}  // namespace dit
