#pragma once
// Private to the CPU backends: the layout ops, which both run as the plain loops of
// kernels/cpu/backend.cpp (pure copies and one multiply-add leave a faster version nothing to
// gain but threads).
#include "kernels/cpu/ops.h"

namespace dit::kernels {

class HostBackend : public Backend {
public:
    void affine(float* x, int64_t n, float a, float b) override { host::affine(x, n, a, b); }
    void transpose(const float* x, float* y, int64_t N, int64_t A, int64_t B) override {
        host::transpose(x, y, N, A, B);
    }
    void adaln_modulation(const float* table, const float* emb, float* out, int64_t J, int64_t B,
                          int64_t D) override {
        host::adaln_modulation(table, emb, out, J, B, D);
    }
    void patchify(const float* x, float* patches, int64_t B, int64_t C, int64_t H, int64_t W,
                  int64_t p) override {
        host::patchify(x, patches, B, C, H, W, p);
    }
    void unpatchify(const float* tokens, float* out, int64_t B, int64_t C, int64_t H, int64_t W,
                    int64_t p) override {
        host::unpatchify(tokens, out, B, C, H, W, p);
    }

    // ---- the Sana text encoder and autoencoder ops: the plain loops on both CPU backends ----
    void pixel_unshuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) override {
        host::pixel_unshuffle(x, y, N, C, H, W, r);
    }
    void pixel_shuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) override {
        host::pixel_shuffle(x, y, N, C, H, W, r);
    }
    void channel_mean(const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P) override {
        host::channel_mean(x, y, N, C, G, P);
    }
    void channel_repeat(const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P) override {
        host::channel_repeat(x, y, N, C, R, P);
    }
    void rms_norm_affine(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma,
                         float gamma_offset, const float* beta) override {
        host::rms_norm_affine(x, y, rows, cols, eps, gamma, gamma_offset, beta);
    }
    void rotary_embedding(float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H, int64_t D,
                          int64_t ld) override {
        host::rotary_embedding(x, cos, sin, B, L, H, D, ld);
    }
    void gqa_attention(const GqaAttentionArgs& a) override { host::gqa_attention(a); }
    void relu(float* x, int64_t n) override { host::relu(x, n); }
    void relu_linear_attention_nchw(const float* qkv, float* out, int64_t B, int64_t heads, int64_t D, int64_t P,
                                    float eps) override {
        host::relu_linear_attention_nchw(qkv, out, B, heads, D, P, eps);
    }
};

}  // namespace dit::kernels
