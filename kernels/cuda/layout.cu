// The layout ops (ops.h): one thread per output element, the same index maps as the host loops in
// kernels/cpu/layout.cpp (exact copies, except affine's one multiply-add).
#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

__global__ void affine_kernel(float* x, int64_t n, float a, float b) {
    DIT_GRID_STRIDE(i, n) x[i] = x[i] * a + b;
}

// y[n, b, a] = x[n, a, b], indexed by the output so writes coalesce.
__global__ void transpose_kernel(const float* x, float* y, int64_t A, int64_t B, int64_t total) {
    DIT_GRID_STRIDE(t, total) {
        const int64_t a = t % A, b = (t / A) % B, n = t / (A * B);
        y[t] = x[(n * A + a) * B + b];
    }
}

// out[j, b, c] = table[j, c] + emb[b, j*D + c]
__global__ void adaln_kernel(const float* table, const float* emb, float* out, int64_t J, int64_t B, int64_t D,
                             int64_t total) {
    DIT_GRID_STRIDE(t, total) {
        const int64_t c = t % D, b = (t / D) % B, j = t / (D * B);
        out[t] = table[j * D + c] + emb[b * J * D + j * D + c];
    }
}

// patches[b, ty*gw + tx, (c*p + ky)*p + kx] = x[b, c, ty*p + ky, tx*p + kx]
__global__ void patchify_kernel(const float* x, float* patches, int64_t C, int64_t H, int64_t W, int64_t p,
                                int64_t total) {
    const int64_t gh = H / p, gw = W / p, K = C * p * p;
    DIT_GRID_STRIDE(t, total) {
        const int64_t k = t % K, tok = (t / K) % (gh * gw), b = t / (K * gh * gw);
        const int64_t kx = k % p, ky = (k / p) % p, c = k / (p * p), tx = tok % gw, ty = tok / gw;
        patches[t] = x[((b * C + c) * H + ty * p + ky) * W + tx * p + kx];
    }
}

// out[b, c, ty*p + py, tx*p + px] = tokens[b, ty*gw + tx, (py*p + px)*C + c], indexed by out
__global__ void unpatchify_kernel(const float* tokens, float* out, int64_t C, int64_t H, int64_t W, int64_t p,
                                  int64_t total) {
    const int64_t gw = W / p;
    DIT_GRID_STRIDE(t, total) {
        const int64_t xx = t % W, yy = (t / W) % H, c = (t / (W * H)) % C, b = t / (W * H * C);
        const int64_t tok = (yy / p) * gw + xx / p, py = yy % p, px = xx % p;
        out[t] = tokens[(b * (H / p) * gw + tok) * (p * p * C) + (py * p + px) * C + c];
    }
}

}  // namespace

void affine(cudaStream_t s, float* x, int64_t n, float a, float b) {
    if (n == 0) return;
    affine_kernel<<<elementwise_blocks(n), kThreads, 0, s>>>(x, n, a, b);
    DIT_CUDA_LAUNCHED();
}

void transpose(cudaStream_t s, const float* x, float* y, int64_t N, int64_t A, int64_t B) {
    const int64_t total = N * A * B;
    if (total == 0) return;
    transpose_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(x, y, A, B, total);
    DIT_CUDA_LAUNCHED();
}

void adaln_modulation(cudaStream_t s, const float* table, const float* emb, float* out, int64_t J, int64_t B, int64_t D) {
    const int64_t total = J * B * D;
    if (total == 0) return;
    adaln_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(table, emb, out, J, B, D, total);
    DIT_CUDA_LAUNCHED();
}

void patchify(cudaStream_t s, const float* x, float* patches, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p) {
    const int64_t total = B * (H / p) * (W / p) * C * p * p;
    if (total == 0) return;
    patchify_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(x, patches, C, H, W, p, total);
    DIT_CUDA_LAUNCHED();
}

void unpatchify(cudaStream_t s, const float* tokens, float* out, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p) {
    const int64_t total = B * C * H * W;
    if (total == 0) return;
    unpatchify_kernel<<<elementwise_blocks(total), kThreads, 0, s>>>(tokens, out, C, H, W, p, total);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
