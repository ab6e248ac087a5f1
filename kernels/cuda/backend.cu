// The CUDA backend object: device discovery, the stream, device memory, the bf16 weight cache
// and the op dispatch (each op's kernels live in their family's .cu file).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/common.cuh"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/linear_attention.cuh"

namespace dit::kernels::cuda {

void fail(cudaError_t err, const char* call, const char* file, int line) {
    const std::string what = std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                             cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
    if (err == cudaErrorMemoryAllocation) throw DeviceOutOfMemory("CUDA out of memory: " + what);
    throw CudaError(what);
}

std::string unavailable_reason() {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        cudaGetLastError();  // clear it: asking again later must not report a stale error
        return std::string("no usable CUDA driver or device (cudaGetDeviceCount: ") + cudaGetErrorString(err) + ")";
    }
    if (count == 0) return "no CUDA device";
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "cannot read CUDA device 0's properties";
    if (prop.major < 8)
        return std::string(prop.name) + " has compute capability " + std::to_string(prop.major) + "." +
               std::to_string(prop.minor) + "; the kernels need 8.0 or newer (bf16 tensor cores)";
    return "";
}

DeviceInfo device_info() {
    if (const std::string why = unavailable_reason(); !why.empty()) throw CudaError(why);
    cudaDeviceProp prop{};
    DIT_CUDA(cudaGetDeviceProperties(&prop, 0));
    return {prop.name, prop.major, prop.minor, prop.multiProcessorCount, prop.totalGlobalMem};
}

namespace {

// Round-to-nearest-even f32 -> bf16 bits, the host side of the weight upload.
std::vector<uint16_t> weights_as_bf16(WeightRef w, int64_t n) {
    std::vector<uint16_t> out(static_cast<size_t>(n));
    if (w.dtype == DType::BF16 && w.scale == 1.0f) {
        std::memcpy(out.data(), w.data, size_t(n) * 2);
        return out;
    }
    std::vector<float> row(4096);
    for (int64_t i = 0; i < n; i += int64_t(row.size())) {
        const int64_t len = std::min<int64_t>(int64_t(row.size()), n - i);
        to_f32(w, i, len, row.data());
        for (int64_t j = 0; j < len; ++j) out[size_t(i + j)] = float_to_bf16(row[size_t(j)]);
    }
    return out;
}

class Impl final : public CudaBackend {
public:
    Impl() {
        DIT_CUDA(cudaSetDevice(0));
        DIT_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
        gemm_ = std::make_unique<Gemm>(stream_);
        const char* exact = std::getenv("DIT_CUDA_EXACT_ATTENTION");
        exact_attention_ = exact && std::string(exact) == "1";
        on_weights_unmapped([this](const void* begin, size_t bytes) { forget_weights(begin, bytes); });
    }
    ~Impl() override {
        drop_cached_weights();
        gemm_.reset();
        cudaStreamDestroy(stream_);
    }

    const char* name() const override { return "cuda"; }

    // ---- memory ----
    bool host_memory() const override { return false; }
    // Activations come from a pool: cudaMalloc and cudaFree synchronise the device, so a step that
    // called them per tensor would stall on every one. A released block waits in the pool for the
    // next request of its rounded size; there is one stream, so its reuse is ordered after every
    // queued op that still reads it.
    void* allocate(size_t bytes) override {
        const size_t size = pool_size(bytes);
        std::lock_guard lock(pool_mutex_);
        if (limit_ && live_bytes_ + size > limit_)
            throw DeviceOutOfMemory("CUDA out of memory: " + std::to_string(size) + " bytes requested with " +
                                    std::to_string(live_bytes_) + " in use under the test limit of " +
                                    std::to_string(limit_));
        void* p = nullptr;
        if (auto it = pool_free_.find(size); it != pool_free_.end()) {
            p = it->second;
            pool_free_.erase(it);
        } else {
            p = device_malloc(size);
        }
        pool_live_[p] = size;
        live_bytes_ += size;
        return p;
    }
    void release(void* p) noexcept override {
        if (!p) return;
        std::lock_guard lock(pool_mutex_);
        auto it = pool_live_.find(p);
        if (it == pool_live_.end()) return;  // not ours: never happens for tensors of this backend
        pool_free_.emplace(it->second, p);
        live_bytes_ -= it->second;
        pool_live_.erase(it);
    }
    void set_memory_limit(size_t bytes) override {
        std::lock_guard lock(pool_mutex_);
        limit_ = bytes;
    }
    void upload(void* dst, const void* src, size_t bytes) override {
        DIT_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
        DIT_CUDA(cudaStreamSynchronize(stream_));  // src may be a temporary the caller frees next
    }
    void download(void* dst, const void* src, size_t bytes) override {
        DIT_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
        DIT_CUDA(cudaStreamSynchronize(stream_));
    }
    void copy(void* dst, const void* src, size_t bytes) override {
        DIT_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_));
    }
    void fill_zero(void* dst, size_t bytes) override { DIT_CUDA(cudaMemsetAsync(dst, 0, bytes, stream_)); }
    void synchronize() override { DIT_CUDA(cudaStreamSynchronize(stream_)); }
    void* stream() const override { return stream_; }
    size_t device_bytes_in_use() const override {
        size_t free = 0, total = 0;
        DIT_CUDA(cudaMemGetInfo(&free, &total));
        return total - free;
    }

    // cudaMalloc, and when the device is full: the pool's idle blocks back to CUDA, then again.
    // Called with pool_mutex_ held.
    void* device_malloc(size_t size) {
        void* p = nullptr;
        cudaError_t err = cudaMalloc(&p, size);
        if (err == cudaErrorMemoryAllocation && !pool_free_.empty()) {
            cudaGetLastError();
            cudaStreamSynchronize(stream_);
            for (auto& [n, q] : pool_free_) cudaFree(q);
            pool_free_.clear();
            err = cudaMalloc(&p, size);
        }
        if (err != cudaSuccess) {
            cudaGetLastError();
            fail(err, "cudaMalloc", __FILE__, __LINE__);
        }
        return p;
    }
    // Small blocks round to 512 bytes, large ones to 2 MiB: the same shapes every step find
    // their block again, and odd sizes do not fragment the pool into unusable pieces.
    static size_t pool_size(size_t bytes) {
        const size_t unit = bytes < (size_t(1) << 20) ? 512 : (size_t(2) << 20);
        return (std::max<size_t>(bytes, 1) + unit - 1) / unit * unit;
    }

    // ---- the bf16 weight cache ----
    void drop_cached_weights() override {
        std::lock_guard lock(mutex_);
        if (!weights_.empty()) cudaStreamSynchronize(stream_);  // no queued GEMM still reads one
        for (auto& [key, w] : weights_) cudaFree(w.ptr);
        weights_.clear();
        weight_bytes_ = 0;
        std::lock_guard pool_lock(pool_mutex_);  // and the pool's idle blocks
        for (auto& [n, q] : pool_free_) cudaFree(q);
        pool_free_.clear();
    }
    size_t cached_weight_bytes() const override { return weight_bytes_; }
    // A checkpoint mapping goes away: its addresses may come back holding other weights.
    void forget_weights(const void* begin, size_t bytes) override {
        std::lock_guard lock(mutex_);
        const auto* lo = static_cast<const char*>(begin);
        bool synced = false;
        for (auto it = weights_.begin(); it != weights_.end();) {
            const auto* p = static_cast<const char*>(it->first.data);
            if (p < lo || p >= lo + bytes) {
                ++it;
                continue;
            }
            if (!synced) cudaStreamSynchronize(stream_), synced = true;
            cudaFree(it->second.ptr);
            weight_bytes_ -= size_t(it->second.n) * 2;
            it = weights_.erase(it);
        }
    }

    // ---- ops ----
    void linear(const float* x, const float* w, const float* b, float* y, int64_t M, int64_t N, int64_t K) override {
        gemm_->linear_f32(x, w, b, y, M, N, K);
    }
    void linear(const float* x, WeightRef w, const float* b, float* y, int64_t M, int64_t N, int64_t K) override {
        gemm_->linear_bf16(x, device_weights(w, N * K), b, y, M, N, K);
    }
    void linear_gelu(const float* x, WeightRef w, const float* b, float* y, int64_t M, int64_t N,
                     int64_t K) override {
        gemm_->linear_bf16(x, device_weights(w, N * K), b, y, M, N, K, /*gelu=*/true);
    }
    void attention(const AttentionArgs& a) override {
        if (a.B == 0 || a.H == 0 || a.Lq == 0) return;
        if (a.B > 65535 || a.H > 65535)
            throw CudaError("CUDA attention: batch " + std::to_string(a.B) + " x heads " + std::to_string(a.H) +
                            " exceeds the grid (65535 each)");
        if (!exact_attention_ && attention_tc_supports(a))
            attention_tc(stream_, a);
        else
            attention_f32(stream_, a);
    }
    void set_exact_attention(bool exact) override { exact_attention_ = exact; }
    void layer_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma,
                    const float* beta) override {
        cuda::layer_norm(stream_, x, y, rows, cols, eps, gamma, beta);
    }
    void layer_norm_modulate(const float* x, float* y, int64_t B, int64_t L, int64_t C, float eps, const float* shift,
                             const float* scale) override {
        cuda::layer_norm_modulate(stream_, x, y, B, L, C, eps, shift, scale);
    }
    void rms_norm(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma) override {
        cuda::rms_norm(stream_, x, y, rows, cols, eps, gamma);
    }
    void modulate(float* x, const float* shift, const float* scale, int64_t B, int64_t L, int64_t C) override {
        cuda::modulate(stream_, x, shift, scale, B, L, C);
    }
    void add_gated(float* x, const float* y, const float* gate, int64_t B, int64_t L, int64_t C) override {
        cuda::add_gated(stream_, x, y, gate, B, L, C);
    }
    void gelu_tanh(float* x, int64_t n) override { cuda::gelu_tanh(stream_, x, n); }
    void silu(float* x, int64_t n) override { cuda::silu(stream_, x, n); }
    void mul(float* x, const float* y, int64_t n) override { cuda::mul(stream_, x, y, n); }
    void group_norm(const float* x, float* y, int64_t N, int64_t C, int64_t HW, int64_t groups, float eps,
                    const float* gamma, const float* beta) override {
        cuda::group_norm(stream_, x, y, N, C, HW, groups, eps, gamma, beta);
    }
    void conv2d(const Conv2dArgs& a) override;
    void upsample_nearest2x(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W) override {
        cuda::upsample_nearest2x(stream_, x, y, N, C, H, W);
    }
    void gather_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                       int64_t n, int64_t B, int64_t C) override {
        cuda::gather_tokens(stream_, src, src_rows, dst, dst_rows, index, n, B, C);
    }
    void scatter_tokens(const float* src, int64_t src_rows, float* dst, int64_t dst_rows, const int32_t* index,
                        int64_t n, int64_t B, int64_t C) override {
        cuda::scatter_tokens(stream_, src, src_rows, dst, dst_rows, index, n, B, C);
    }
    void affine(float* x, int64_t n, float a, float b) override { cuda::affine(stream_, x, n, a, b); }
    void transpose(const float* x, float* y, int64_t N, int64_t A, int64_t B) override {
        cuda::transpose(stream_, x, y, N, A, B);
    }
    void adaln_modulation(const float* table, const float* emb, float* out, int64_t J, int64_t B, int64_t D) override {
        cuda::adaln_modulation(stream_, table, emb, out, J, B, D);
    }
    void patchify(const float* x, float* patches, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p) override {
        cuda::patchify(stream_, x, patches, B, C, H, W, p);
    }
    void unpatchify(const float* tokens, float* out, int64_t B, int64_t C, int64_t H, int64_t W, int64_t p) override {
        cuda::unpatchify(stream_, tokens, out, B, C, H, W, p);
    }

    // ---- the Sana text encoder and autoencoder ops ----
    void pixel_unshuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) override {
        cuda::pixel_unshuffle(stream_, x, y, N, C, H, W, r);
    }
    void pixel_shuffle(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t r) override {
        cuda::pixel_shuffle(stream_, x, y, N, C, H, W, r);
    }
    void channel_mean(const float* x, float* y, int64_t N, int64_t C, int64_t G, int64_t P) override {
        cuda::channel_mean(stream_, x, y, N, C, G, P);
    }
    void channel_repeat(const float* x, float* y, int64_t N, int64_t C, int64_t R, int64_t P) override {
        cuda::channel_repeat(stream_, x, y, N, C, R, P);
    }
    void rms_norm_affine(const float* x, float* y, int64_t rows, int64_t cols, float eps, const float* gamma,
                         float gamma_offset, const float* beta) override {
        cuda::rms_norm_affine(stream_, x, y, rows, cols, eps, gamma, gamma_offset, beta);
    }
    void rotary_embedding(float* x, const float* cos, const float* sin, int64_t B, int64_t L, int64_t H, int64_t D,
                          int64_t ld) override {
        cuda::rotary_embedding(stream_, x, cos, sin, B, L, H, D, ld);
    }
    void gqa_attention(const GqaAttentionArgs& a) override { cuda::gqa_attention(stream_, a); }
    void relu(float* x, int64_t n) override { cuda::relu(stream_, x, n); }
    void relu_linear_attention_nchw(const float* qkv, float* out, int64_t B, int64_t heads, int64_t D, int64_t P,
                                    float eps) override {
        cuda::relu_linear_attention_nchw(stream_, qkv, out, B, heads, D, P, eps);
    }

    // ---- issue 21: kernels/cuda/grat_attention.cu ----
    void grat_attention(const GratAttentionArgs& a) override { cuda::grat_attention(stream_, a); }

    // ---- Sana (issue 18, part A): kernels/cuda/linear_attention.cu ----
    void linear_attention(const LinearAttentionArgs& a) override { cuda::linear_attention(stream_, a); }
    void depthwise_conv3x3(const float* x, const float* w, const float* bias, float* y, int64_t B, int64_t H,
                           int64_t W, int64_t C) override {
        cuda::depthwise_conv3x3(stream_, x, w, bias, y, B, H, W, C);
    }
    void glu_silu(const float* x, float* y, int64_t M, int64_t C) override { cuda::glu_silu(stream_, x, y, M, C); }

private:
    struct DeviceWeight {
        uint16_t* ptr = nullptr;
        int64_t n = 0;
    };
    // The checkpoint's matrix, as bf16 on the device, uploaded on first use. Keyed by where the
    // host elements are, their format and their count (a view into a larger matrix is its own
    // entry); the engine drops the cache when it unloads the mapping those addresses belong to.
    const uint16_t* device_weights(WeightRef w, int64_t n) {
        std::lock_guard lock(mutex_);
        const WeightKey key{w.data, int(w.dtype), n};
        if (auto it = weights_.find(key); it != weights_.end()) return it->second.ptr;
        const std::vector<uint16_t> host = weights_as_bf16(w, n);
        // Straight from CUDA, not the pool: a dropped matrix gives its memory back at once.
        void* raw = nullptr;
        {
            std::lock_guard pool_lock(pool_mutex_);
            raw = device_malloc(size_t(n) * 2);
        }
        DeviceWeight d{static_cast<uint16_t*>(raw), n};
        try {
            upload(d.ptr, host.data(), size_t(n) * 2);
        } catch (...) {
            cudaFree(d.ptr);
            throw;
        }
        weights_.emplace(key, d);
        weight_bytes_ += size_t(n) * 2;
        return d.ptr;
    }

    struct WeightKey {
        const void* data;
        int dtype;
        int64_t n;
        bool operator==(const WeightKey& o) const { return data == o.data && dtype == o.dtype && n == o.n; }
    };
    struct WeightKeyHash {
        size_t operator()(const WeightKey& k) const {
            return std::hash<const void*>()(k.data) ^ (std::hash<int64_t>()(k.n) * 31u) ^ size_t(k.dtype);
        }
    };

    cudaStream_t stream_ = nullptr;
    std::unique_ptr<Gemm> gemm_;
    bool exact_attention_ = false;
    Scratch im2col_;
    std::mutex mutex_;  // the weight cache
    std::mutex pool_mutex_;
    std::multimap<size_t, void*> pool_free_;  // idle blocks by rounded size
    std::unordered_map<void*, size_t> pool_live_;
    size_t live_bytes_ = 0, limit_ = 0;  // pool blocks in use; the test limit (set_memory_limit)
    std::unordered_map<WeightKey, DeviceWeight, WeightKeyHash> weights_;
    size_t weight_bytes_ = 0;
};

// x: [N, Cin, H, W], w: [Cout, Cin, KH, KW] -> y: [N, Cout, OH, OW], per image a GEMM of the
// weight with im2col's patch matrix, in bands of output rows so the matrix stays under 64 MB.
void Impl::conv2d(const Conv2dArgs& a) {
    const int64_t OH = a.out_h(), OW = a.out_w(), K = a.Cin * a.KH * a.KW, P = OH * OW;
    if (a.N == 0 || a.Cout == 0 || P <= 0) return;
    const bool pointwise = a.KH == 1 && a.KW == 1 && a.stride == 1 && !a.pad_top && !a.pad_bottom && !a.pad_left &&
                           !a.pad_right;
    const int64_t band = std::max<int64_t>(1, std::min<int64_t>(OH, (int64_t(16) << 20) / std::max<int64_t>(K * OW, 1)));
    for (int64_t n = 0; n < a.N; ++n) {
        float* y = a.y + n * a.Cout * P;
        if (pointwise) {
            // Yᶜ[P, Cout] = Xᶜ[P, Cin] · Wᶜ[Cin, Cout]: the input is already the patch matrix.
            gemm_->sgemm_nn(P, a.Cout, K, a.x + n * a.Cin * P, P, a.w, K, y, P);
        } else {
            auto* col = static_cast<float*>(im2col_.get(size_t(K * band * OW) * sizeof(float)));
            for (int64_t oy0 = 0; oy0 < OH; oy0 += band) {
                const int64_t rows = std::min(band, OH - oy0);
                cuda::im2col(stream_, a, n, oy0, rows, col);
                // Yᶜ[rows*OW, Cout] (ld P) = colᶜ[rows*OW, K] · Wᶜ[K, Cout]
                gemm_->sgemm_nn(rows * OW, a.Cout, K, col, rows * OW, a.w, K, y + oy0 * OW, P);
            }
        }
    }
    if (a.b) add_channel_bias(stream_, a.y, a.b, a.N, a.Cout, P);
}

}  // namespace

CudaBackend& backend() {
    // Never destroyed: weight mappings released during static destruction still call its
    // listener, and the CUDA runtime may be torn down before a static destructor would run.
    static std::once_flag once;
    static Impl* instance = nullptr;
    static std::string why;
    std::call_once(once, [] {
        why = unavailable_reason();
        if (why.empty()) instance = new Impl();
    });
    if (!instance) throw CudaError("the CUDA backend is unavailable: " + why);
    return *instance;
}

}  // namespace dit::kernels::cuda
