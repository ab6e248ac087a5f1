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
};

}  // namespace dit::kernels
