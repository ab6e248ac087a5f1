// What every backend shares: the default (host) memory, the registry that tells device backends
// when a weight mapping goes away, and the layout ops as plain loops for both CPU backends (pure
// copies and one multiply-add: nothing for a faster version to gain but threads).
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "kernels/cpu/ops.h"

namespace dit::kernels {
namespace {

struct Listeners {
    std::mutex mutex;
    std::vector<std::function<void(const void*, size_t)>> list;
};
Listeners& listeners() {
    static Listeners l;
    return l;
}

}  // namespace

void on_weights_unmapped(std::function<void(const void* begin, size_t bytes)> listener) {
    std::lock_guard lock(listeners().mutex);
    listeners().list.push_back(std::move(listener));
}

void weights_unmapped(const void* begin, size_t bytes) {
    std::lock_guard lock(listeners().mutex);
    for (const auto& f : listeners().list) f(begin, bytes);
}

void* Backend::allocate(size_t bytes) {
    void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64 * (bytes == 0));
    if (!p) throw std::bad_alloc();
    return p;
}
void Backend::release(void* p) noexcept { std::free(p); }
void Backend::upload(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void Backend::download(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }
void Backend::copy(void* dst, const void* src, size_t bytes) { std::memmove(dst, src, bytes); }
void Backend::fill_zero(void* dst, size_t bytes) { std::memset(dst, 0, bytes); }

namespace host {

void affine(float* x, int64_t n, float a, float b) {
    for (int64_t i = 0; i < n; ++i) x[i] = x[i] * a + b;
}

// x: [N, A, B] -> y: [N, B, A]
void transpose(const float* x, float* y, int64_t N, int64_t A, int64_t B) {
    for (int64_t n = 0; n < N; ++n)
        for (int64_t a = 0; a < A; ++a)
            for (int64_t b = 0; b < B; ++b) y[(n * B + b) * A + a] = x[(n * A + a) * B + b];
}

// table: [J, D], emb: [B, J*D] -> out: [J, B, D]
void adaln_modulation(const float* table, const float* emb, float* out, int64_t J, int64_t B, int64_t D) {
    for (int64_t j = 0; j < J; ++j)
        for (int64_t b = 0; b < B; ++b)
            for (int64_t c = 0; c < D; ++c) out[(j * B + b) * D + c] = table[j * D + c] + emb[b * J * D + j * D + c];
}

// x: [B, C, H, W] -> patches: [B, gh*gw, C*p*p] in (c, ky, kx) order
void patchify(const float* x, float* patches, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p) {
    const int64_t gh = H / p, gw = W / p, K = C * p * p;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t ty = 0; ty < gh; ++ty)
            for (int64_t tx = 0; tx < gw; ++tx) {
                float* dst = patches + ((b * gh + ty) * gw + tx) * K;
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t ky = 0; ky < p; ++ky)
                        std::memcpy(dst + (c * p + ky) * p, x + ((b * C + c) * H + ty * p + ky) * W + tx * p,
                                    sizeof(float) * size_t(p));
            }
}

// tokens: [B, gh*gw, p*p*C] in (py, px, c) order -> out: [B, C, H, W]
void unpatchify(const float* tokens, float* out, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p) {
    const int64_t gh = H / p, gw = W / p, P = p * p * C;
    for (int64_t b = 0; b < B; ++b)
        for (int64_t ty = 0; ty < gh; ++ty)
            for (int64_t tx = 0; tx < gw; ++tx) {
                const float* src = tokens + ((b * gh + ty) * gw + tx) * P;
                for (int64_t py = 0; py < p; ++py)
                    for (int64_t px = 0; px < p; ++px)
                        for (int64_t c = 0; c < C; ++c)
                            out[((b * C + c) * H + ty * p + py) * W + tx * p + px] = src[(py * p + px) * C + c];
            }
}

}  // namespace host
}  // namespace dit::kernels
