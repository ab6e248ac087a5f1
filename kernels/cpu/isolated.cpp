// isolated(): fast()'s ops behind the memory contract of a device backend. Its memory is host
// memory, but it says it is not (host_memory() is false), so engine::Tensor treats it as a
// device's: data() refuses it and it moves only through upload / download. The engine's tests run
// their pipelines on it, so a host loop over an op's operand fails here, on a CPU, with a message,
// rather than faulting on a GPU.
#include <mutex>
#include <string>
#include <unordered_map>

#include "kernels/cpu/ops.h"

namespace dit::kernels {
namespace {


class IsolatedBackend final : public Backend {
public:
    const char* name() const override { return "cpu-isolated"; }
    bool host_memory() const override { return false; }

    // Counted, so a test can make it run out the way a GPU does.
    void* allocate(size_t bytes) override {
        std::lock_guard lock(mutex_);
        if (limit_ && in_use_ + bytes > limit_)
            throw OutOfMemory("cpu-isolated: " + std::to_string(bytes) + " bytes requested with " +
                              std::to_string(in_use_) + " of the " + std::to_string(limit_) + "-byte limit in use");
        void* p = Backend::allocate(bytes);
        sizes_[p] = bytes;
        in_use_ += bytes;
        return p;
    }
    void set_memory_limit(size_t bytes) override {
        std::lock_guard lock(mutex_);
        limit_ = bytes;
    }
    void release(void* p) noexcept override {
        if (!p) return;
        {
            std::lock_guard lock(mutex_);
            if (auto it = sizes_.find(p); it != sizes_.end()) {
                in_use_ -= it->second;
                sizes_.erase(it);
            }
        }
        Backend::release(p);
    }

    void linear(const float* x, const float* w, const float* b, float* y, int64_t M, int64_t N, int64_t K) override {
        inner.linear(x, w, b, y, M, N, K);
    }
    void linear(const float* x, WeightRef w, const float* b, float* y, int64_t M, int64_t N, int64_t K) override {
        inner.linear(x, w, b, y, M, N, K);
    }
    void attention(const AttentionArgs& a) override { inner.attention(a); }
    void layer_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma,
                    const float* beta) override {
        inner.layer_norm(x, y, rows, cols, eps, gamma, beta);
    }
    void rms_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma) override {
        inner.rms_norm(x, y, rows, cols, eps, gamma);
    }
    void modulate(float* x, const float* shift, const float* scale, int64_t B, int64_t L, int64_t C) override {
        inner.modulate(x, shift, scale, B, L, C);
    }
    void add_gated(float* x, const float* y, const float* gate, int64_t B, int64_t L, int64_t C) override {
        inner.add_gated(x, y, gate, B, L, C);
    }
    void gelu_tanh(float* x, int64_t n) override { inner.gelu_tanh(x, n); }
    void silu(float* x, int64_t n) override { inner.silu(x, n); }
    void mul(float* x, const float* y, int64_t n) override { inner.mul(x, y, n); }
    void group_norm(const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t groups, float eps,
                    const float* gamma, const float* beta) override {
        inner.group_norm(x, y, N, C, HW, groups, eps, gamma, beta);
    }
    void conv2d(const Conv2dArgs& a) override { inner.conv2d(a); }
    void upsample_nearest2x(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W) override {
        inner.upsample_nearest2x(x, y, N, C, H, W);
    }
    void gather_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                       int64_t n, int64_t B, int64_t C) override {
        inner.gather_tokens(src, src_rows, dst, dst_rows, index, n, B, C);
    }
    void scatter_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                        int64_t n, int64_t B, int64_t C) override {
        inner.scatter_tokens(src, src_rows, dst, dst_rows, index, n, B, C);
    }
    void affine(float* x, int64_t n, float a, float b) override { inner.affine(x, n, a, b); }
    void transpose(const float* x, float* y, int64_t N, int64_t A, int64_t B) override { inner.transpose(x, y, N, A, B); }
    void adaln_modulation(const float* table, const float* emb, float* out, int64_t J, int64_t B, int64_t D) override {
        inner.adaln_modulation(table, emb, out, J, B, D);
    }
    void patchify(const float* x, float* patches, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p) override {
        inner.patchify(x, patches, B, C, H, W, p);
    }
    void unpatchify(const float* tokens, float* out, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p) override {
        inner.unpatchify(tokens, out, B, C, H, W, p);
    }

    // ---- the Sana text encoder and autoencoder ops ----
    void pixel_unshuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) override {
        inner.pixel_unshuffle(x, y, N, C, H, W, r);
    }
    void pixel_shuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) override {
        inner.pixel_shuffle(x, y, N, C, H, W, r);
    }
    void channel_mean(const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P) override {
        inner.channel_mean(x, y, N, C, G, P);
    }
    void channel_repeat(const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P) override {
        inner.channel_repeat(x, y, N, C, R, P);
    }
    void rms_norm_affine(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma,
                         float gamma_offset, const float* beta) override {
        inner.rms_norm_affine(x, y, rows, cols, eps, gamma, gamma_offset, beta);
    }
    void rotary_embedding(float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H, int64_t D,
                          int64_t ld) override {
        inner.rotary_embedding(x, cos, sin, B, L, H, D, ld);
    }
    void gqa_attention(const GqaAttentionArgs& a) override { inner.gqa_attention(a); }
    void relu(float* x, int64_t n) override { inner.relu(x, n); }
    void relu_linear_attention_nchw(const float* qkv, float* out, int64_t B, int64_t heads, int64_t D, int64_t P,
                                    float eps) override {
        inner.relu_linear_attention_nchw(qkv, out, B, heads, D, P, eps);
    }

    // ---- Sana (issue 18, part A) ----
    void grat_attention(const GratAttentionArgs& a) override { inner.grat_attention(a); }
    void linear_attention(const LinearAttentionArgs& a) override { inner.linear_attention(a); }
    void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t H,
                           int64_t W, int64_t C) override {
        inner.depthwise_conv3x3(x, w, bias, y, B, H, W, C);
    }
    void glu_silu(const float* x, float* y, int64_t M, int64_t C) override { inner.glu_silu(x, y, M, C); }

private:
    Backend& inner = fast();
    std::mutex mutex_;
    std::unordered_map<void*, size_t> sizes_;
    size_t in_use_ = 0, limit_ = 0;
};

}  // namespace

Backend& isolated() {
    static IsolatedBackend backend;
    return backend;
}

}  // namespace dit::kernels
