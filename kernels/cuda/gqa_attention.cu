// Gemma-2's grouped-query self-attention on the CUDA cores in f32: one warp per (batch, head,
// query); the query row and the row's scores sit in shared memory. Scores are scaled, soft-capped
// by tanh, then masked (causal, sliding window, padding: a masked key gets no weight), softmaxed
// with warp reductions and applied to the values. Text-encoder lengths (Sana keeps ~300 tokens)
// make this plain kernel enough; rows longer than shared memory holds are refused.
#include <string>

#include "kernels/cuda/common.cuh"

namespace dit::kernels::cuda {
namespace {

__global__ void gqa_attention_kernel(GqaAttentionArgs a) {
    extern __shared__ float smem[];
    float* qs = smem;          // [D]
    float* p = smem + a.D;     // [L]
    const int64_t i = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    const int lane = threadIdx.x;
    const int64_t kh = h / (a.H / a.Hkv);
    const float* q = a.q + (b * a.L + i) * a.ldq + h * a.D;
    for (int64_t d = lane; d < a.D; d += 32) qs[d] = q[d];
    __syncwarp();
    float mx = -INFINITY;
    for (int64_t j = lane; j < a.L; j += 32) {
        const bool visible = !(a.causal && j > i) && !(a.window > 0 && i - j >= a.window) &&
                             !(a.key_mask && a.key_mask[b * a.L + j] == 0);
        float s = -INFINITY;
        if (visible) {
            const float* k = a.k + (b * a.L + j) * a.ldk + kh * a.D;
            float acc = 0.f;
            for (int64_t d = 0; d < a.D; ++d) acc += qs[d] * k[d];
            acc *= a.scale;
            if (a.softcap > 0.f) acc = a.softcap * tanhf(acc / a.softcap);
            s = acc;
            mx = fmaxf(mx, s);
        }
        p[j] = s;
    }
    mx = warp_max(mx);
    float* out = a.out + (b * a.L + i) * a.ldo + h * a.D;
    if (mx == -INFINITY) {  // no visible key: the mean of all values, as the reference gives
        for (int64_t d = lane; d < a.D; d += 32) {
            float acc = 0.f;
            for (int64_t j = 0; j < a.L; ++j) acc += a.v[(b * a.L + j) * a.ldv + kh * a.D + d];
            out[d] = acc / float(a.L);
        }
        return;
    }
    float sum = 0.f;
    for (int64_t j = lane; j < a.L; j += 32) {
        const float e = p[j] == -INFINITY ? 0.f : expf(p[j] - mx);
        p[j] = e;
        sum += e;
    }
    const float inv = 1.f / warp_sum(sum);
    __syncwarp();
    for (int64_t d = lane; d < a.D; d += 32) {
        float acc = 0.f;
        for (int64_t j = 0; j < a.L; ++j) {
            const float w = p[j];
            if (w != 0.f) acc += w * a.v[(b * a.L + j) * a.ldv + kh * a.D + d];
        }
        out[d] = acc * inv;
    }
}

}  // namespace

void gqa_attention(cudaStream_t s, const GqaAttentionArgs& a) {
    if (a.B == 0 || a.L == 0 || a.H == 0) return;
    const size_t shared = size_t(a.L + a.D) * sizeof(float);
    if (shared > 48 * 1024)
        throw CudaError("gqa_attention: " + std::to_string(a.L) + " tokens x head dim " + std::to_string(a.D) +
                        " need more shared memory than one block has (at most 12288 floats)");
    gqa_attention_kernel<<<dim3(unsigned(a.L), unsigned(a.H), unsigned(a.B)), 32, shared, s>>>(a);
    DIT_CUDA_LAUNCHED();
}

}  // namespace dit::kernels::cuda
