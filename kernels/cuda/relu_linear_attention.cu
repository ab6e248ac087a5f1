// DC-AE's ReLU linear attention over channel-major heads: first kv = (v | 1) relu(k)ᵀ per head
// ([D + 1, D], one block per head, each thread a few entries summed over the positions), then one
// thread per (head, position) multiplies kv by relu(q) and divides by the last row.
#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

// qkv [BH, 3*D, P] -> kv [BH, D + 1, D]
__global__ void linear_attention_kv_kernel(const float* qkv, float* kv, int64_t D, int64_t P) {
    const int64_t bh = blockIdx.x;
    const float* k = qkv + bh * 3 * D * P + D * P;
    const float* v = k + D * P;
    for (int64_t t = threadIdx.x; t < (D + 1) * D; t += blockDim.x) {
        const int64_t d = t / D, e = t % D;
        float acc = 0.f;
        for (int64_t j = 0; j < P; ++j) {
            const float ke = fmaxf(k[e * P + j], 0.f);
            acc += (d < D ? v[d * P + j] : 1.f) * ke;
        }
        kv[bh * (D + 1) * D + t] = acc;
    }
}

// out [BH, D, P] = (kv relu(q))[:D] / ((kv relu(q))[D] + eps)
__global__ void linear_attention_out_kernel(const float* qkv, const float* kv, float* out, int64_t BH, int64_t D,
                                            int64_t P, float eps) {
    DIT_GRID_STRIDE(t, BH * P) {
        const int64_t bh = t / P, i = t % P;
        const float* q = qkv + bh * 3 * D * P;
        const float* m = kv + bh * (D + 1) * D;
        float den = 0.f;
        for (int64_t e = 0; e < D; ++e) den += m[D * D + e] * fmaxf(q[e * P + i], 0.f);
        den += eps;
        for (int64_t d = 0; d < D; ++d) {
            float num = 0.f;
            for (int64_t e = 0; e < D; ++e) num += m[d * D + e] * fmaxf(q[e * P + i], 0.f);
            out[(bh * D + d) * P + i] = num / den;
        }
    }
}

}  // namespace

void relu_linear_attention_nchw(cudaStream_t s, const float* qkv, float* out, int64_t B, int64_t heads, int64_t D,
                                int64_t P, float eps) {
    const int64_t BH = B * heads;
    if (BH == 0 || D == 0 || P == 0) return;
    float* kv = nullptr;
    DIT_CUDA(cudaMallocAsync(reinterpret_cast<void**>(&kv), size_t(BH * (D + 1) * D) * sizeof(float), s));
    linear_attention_kv_kernel<<<unsigned(BH), 256, 0, s>>>(qkv, kv, D, P);
    DIT_CUDA_LAUNCHED();
    linear_attention_out_kernel<<<elementwise_blocks(BH * P), kThreads, 0, s>>>(qkv, kv, out, BH, D, P, eps);
    DIT_CUDA_LAUNCHED();
    DIT_CUDA(cudaFreeAsync(kv, s));
}

}  // namespace dit::kernels::cuda
