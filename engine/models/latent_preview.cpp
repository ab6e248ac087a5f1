#include "engine/models/latent_preview.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/error.h"
#include "engine/models/autoencoder_dc/autoencoder_dc.h"
#include "engine/models/autoencoder_kl/autoencoder_kl.h"

namespace dit {
namespace {

struct Rgb {
    float r, g, b;
};

// Colours at +-0.8 rather than +-1: the VAE's training images rarely sit at the clip limits.
constexpr float kHi = 0.8f, kLo = -0.8f;
constexpr Rgb kRed{kHi, kLo, kLo}, kGreen{kLo, kHi, kLo}, kBlue{kLo, kLo, kHi}, kWhite{kHi, kHi, kHi},
    kBlack{kLo, kLo, kLo}, kYellow{kHi, kHi, kLo}, kCyan{kLo, kHi, kHi}, kMagenta{kHi, kLo, kHi};

// Each pattern maps a pixel position (u, v in [0, 1), across and down) to a colour. Solids and
// splits put the eight corners of the colour cube in; the gradients fill its inside.
using Pattern = Rgb (*)(float u, float v);
constexpr Pattern kPatterns[] = {
    [](float, float) { return kRed; },
    [](float, float) { return kGreen; },
    [](float, float) { return kBlue; },
    [](float, float) { return kWhite; },
    [](float u, float) { return u < 0.5f ? kYellow : kBlack; },
    [](float, float v) { return v < 0.5f ? kCyan : kMagenta; },
    [](float u, float v) { return Rgb{2 * u - 1, 0.6f * (1 - 2 * v), 0.5f - u}; },
    [](float u, float v) { return Rgb{0.3f - 0.6f * v, 2 * v - 1, u + v - 1}; },
};
constexpr int kImages = sizeof(kPatterns) / sizeof(kPatterns[0]);

// Solves the symmetric positive-definite system A x = b (A: n x n, b: n x k, both row-major, in
// place) by Gauss-Jordan elimination with partial pivoting; the solution replaces b.
void solve(std::vector<double>& A, std::vector<double>& b, int n, int k) {
    for (int col = 0; col < n; ++col) {
        int pivot = col;
        for (int r = col + 1; r < n; ++r)
            if (std::abs(A[r * n + col]) > std::abs(A[pivot * n + col])) pivot = r;
        if (A[pivot * n + col] == 0.0)
            throw Error("latent preview: the VAE's calibration latents are degenerate (singular fit)");
        if (pivot != col) {
            for (int c = 0; c < n; ++c) std::swap(A[col * n + c], A[pivot * n + c]);
            for (int c = 0; c < k; ++c) std::swap(b[col * k + c], b[pivot * k + c]);
        }
        const double d = A[col * n + col];
        for (int r = 0; r < n; ++r) {
            if (r == col) continue;
            const double f = A[r * n + col] / d;
            if (f == 0.0) continue;
            for (int c = col; c < n; ++c) A[r * n + c] -= f * A[col * n + c];
            for (int c = 0; c < k; ++c) b[r * k + c] -= f * b[col * k + c];
        }
    }
    for (int r = 0; r < n; ++r)
        for (int c = 0; c < k; ++c) b[r * k + c] /= A[r * n + r];
}

}  // namespace

LatentPreview::LatentPreview(std::vector<float> matrix, int channels)
    : matrix_(std::move(matrix)), channels_(channels) {
    if (channels < 1 || matrix_.size() != static_cast<size_t>(3 * (channels + 1)))
        throw Error("latent preview: a map for " + std::to_string(channels) + " channels needs " +
                    std::to_string(3 * (channels + 1)) + " numbers, got " + std::to_string(matrix_.size()));
}

Tensor LatentPreview::calibration_images(int size) {
    Tensor images({kImages, 3, size, size});
    const int64_t plane = int64_t{size} * size;
    for (int n = 0; n < kImages; ++n) {
        float* img = images.data() + n * 3 * plane;
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                // Pixel centres, so a split at 0.5 falls exactly on a block boundary.
                const Rgb c = kPatterns[n]((x + 0.5f) / size, (y + 0.5f) / size);
                img[0 * plane + y * size + x] = std::clamp(c.r, -1.0f, 1.0f);
                img[1 * plane + y * size + x] = std::clamp(c.g, -1.0f, 1.0f);
                img[2 * plane + y * size + x] = std::clamp(c.b, -1.0f, 1.0f);
            }
    }
    return images;
}

LatentPreview::Samples LatentPreview::calibration_samples(const AutoencoderKL& vae, kernels::Backend& ops) {
    return calibration_samples([&](const Tensor& images) { return vae.encode(images, ops); }, vae.config().downscale());
}

LatentPreview::Samples LatentPreview::calibration_samples(const Encode& encode, int f) {
    // 32 px keeps fitting cheap (a 4x4 latent per image on an f8 VAE); never fewer than 4x4.
    const int size = std::max(32, 4 * f);
    const Tensor images = calibration_images(size);
    const Tensor z = encode(images);  // [N, C, size/f, size/f]
    const int64_t N = z.dim(0), C = z.dim(1), h = z.dim(2), w = z.dim(3);
    const int64_t plane = int64_t{size} * size;

    Samples s{Tensor({N * h * w, C}), Tensor({N * h * w, 3})};
    int64_t m = 0;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t i = 0; i < h; ++i)
            for (int64_t j = 0; j < w; ++j, ++m) {
                for (int64_t c = 0; c < C; ++c) s.latents[m * C + c] = z[((n * C + c) * h + i) * w + j];
                for (int64_t c = 0; c < 3; ++c) {
                    const float* img = images.data() + (n * 3 + c) * plane;
                    double sum = 0;
                    for (int64_t y = i * f; y < (i + 1) * f; ++y)
                        for (int64_t x = j * f; x < (j + 1) * f; ++x) sum += img[y * size + x];
                    s.rgb[m * 3 + c] = static_cast<float>(sum / (f * f));
                }
            }
    return s;
}

LatentPreview LatentPreview::from_samples(const Samples& s) {
    if (s.latents.ndim() != 2 || s.rgb.ndim() != 2 || s.rgb.dim(1) != 3 || s.latents.dim(0) != s.rgb.dim(0))
        throw Error("latent preview: samples must be latents [M, C] and rgb [M, 3], got " +
                    shape_str(s.latents.shape()) + " and " + shape_str(s.rgb.shape()));
    const int64_t M = s.latents.dim(0);
    const int C = static_cast<int>(s.latents.dim(1)), n = C + 1;
    if (M < n)
        throw Error("latent preview: " + std::to_string(M) + " samples cannot fit " + std::to_string(n) +
                    " unknowns per colour");

    // Normal equations in double: (X^T X) B = X^T Y with X = [latents, 1], B: (C+1) x 3.
    std::vector<double> A(n * n, 0.0), b(n * 3, 0.0), x(n);
    for (int64_t m = 0; m < M; ++m) {
        for (int c = 0; c < C; ++c) x[c] = s.latents[m * C + c];
        x[C] = 1.0;
        for (int r = 0; r < n; ++r) {
            for (int c = 0; c < n; ++c) A[r * n + c] += x[r] * x[c];
            for (int k = 0; k < 3; ++k) b[r * 3 + k] += x[r] * s.rgb[m * 3 + k];
        }
    }
    // A ridge far below the data's scale only guards against an exactly singular system (e.g. a
    // latent channel that never varies); it does not move a well-posed solution measurably.
    double trace = 0;
    for (int r = 0; r < n; ++r) trace += A[r * n + r];
    for (int r = 0; r < n; ++r) A[r * n + r] += 1e-10 * trace / n;
    solve(A, b, n, 3);

    std::vector<float> matrix(3 * n);
    for (int k = 0; k < 3; ++k)
        for (int r = 0; r < n; ++r) matrix[k * n + r] = static_cast<float>(b[r * 3 + k]);
    return LatentPreview(std::move(matrix), C);
}

LatentPreview LatentPreview::fit(const AutoencoderKL& vae, kernels::Backend& ops) {
    return from_samples(calibration_samples(vae, ops));
}

LatentPreview LatentPreview::fit(const AutoencoderDC& vae, kernels::Backend& ops) {
    return from_samples(calibration_samples([&](const Tensor& images) { return vae.encode(images, ops); },
                                            vae.config().downscale()));
}

Tensor LatentPreview::apply(const Tensor& latent) const {
    if (latent.ndim() != 4 || latent.dim(0) < 1 || latent.dim(1) != channels_)
        throw Error("latent preview: expected a latent [1, " + std::to_string(channels_) + ", h, w], got " +
                    shape_str(latent.shape()));
    const int64_t hw = latent.dim(2) * latent.dim(3), n = channels_ + 1;
    Tensor rgb({1, 3, latent.dim(2), latent.dim(3)});
    for (int k = 0; k < 3; ++k) {
        const float* row = matrix_.data() + k * n;
        float* out = rgb.data() + k * hw;
        for (int64_t p = 0; p < hw; ++p) out[p] = row[channels_];
        for (int c = 0; c < channels_; ++c) {
            const float* in = latent.data() + c * hw;
            for (int64_t p = 0; p < hw; ++p) out[p] += row[c] * in[p];
        }
    }
    return rgb;
}

Image LatentPreview::render(const Tensor& latent) const {
    return image_from_tensor(apply(latent));
}

}  // namespace dit
