// DC-AE's space-to-channel moves (pixel_unshuffle / pixel_shuffle) and its shortcuts' channel
// mean and repeat: one thread per output element, grid-stride.
#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

// y [N, C*r*r, H/r, W/r] from x [N, C, H, W]
__global__ void pixel_unshuffle_kernel(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W,
                                       int64_t r) {
    const int64_t oh = H / r, ow = W / r, n_out = N * C * r * r * oh * ow;
    DIT_GRID_STRIDE(o, n_out) {
        const int64_t w = o % ow, h = (o / ow) % oh, oc = (o / (ow * oh)) % (C * r * r), n = o / (ow * oh * C * r * r);
        const int64_t c = oc / (r * r), i = (oc / r) % r, j = oc % r;
        y[o] = x[((n * C + c) * H + h * r + i) * W + w * r + j];
    }
}

// y [N, C, H*r, W*r] from x [N, C*r*r, H, W]
__global__ void pixel_shuffle_kernel(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W,
                                     int64_t r) {
    const int64_t oh = H * r, ow = W * r, n_out = N * C * oh * ow;
    DIT_GRID_STRIDE(o, n_out) {
        const int64_t ox = o % ow, oy = (o / ow) % oh, c = (o / (ow * oh)) % C, n = o / (ow * oh * C);
        const int64_t i = oy % r, j = ox % r;
        y[o] = x[(((n * C + c) * r * r + i * r + j) * H + oy / r) * W + ox / r];
    }
}

// y [N, C, P] = mean of each run of G channels of x [N, C*G, P], summed in channel order
__global__ void channel_mean_kernel(const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P) {
    DIT_GRID_STRIDE(o, N * C * P) {
        const int64_t p = o % P, nc = o / P;
        const float* src = x + nc * G * P + p;
        float s = 0.f;
        for (int64_t g = 0; g < G; ++g) s += src[g * P];
        y[o] = s / float(G);
    }
}

// y [N, C*R, P] with y[n, c*R + r] = x[n, c]
__global__ void channel_repeat_kernel(const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P) {
    DIT_GRID_STRIDE(o, N * C * R * P) {
        const int64_t p = o % P, ncr = o / P;
        y[o] = x[(ncr / R) * P + p];
    }
}

}  // namespace

void pixel_unshuffle(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) {
    const int64_t n = N * C * H * W;
    if (n == 0) return;
    pixel_unshuffle_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, y, N, C, H, W, r);
    DIT_CUDA_LAUNCHED();
}

void pixel_shuffle(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) {
    const int64_t n = N * C * H * W * r * r;
    if (n == 0) return;
    pixel_shuffle_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, y, N, C, H, W, r);
    DIT_CUDA_LAUNCHED();
}

void channel_mean(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P) {
    const int64_t n = N * C * P;
    if (n == 0) return;
    channel_mean_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, y, N, C, G, P);
    DIT_CUDA_LAUNCHED();
}

void channel_repeat(cudaStream_t s, const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P) {
    const int64_t n = N * C * R * P;
    if (n == 0) return;
    channel_repeat_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, y, N, C, R, P);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
