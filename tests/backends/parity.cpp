#include "tests/backends/parity.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <tuple>

namespace dit::kernels::parity {
namespace {

// A device copy of a host vector, freed with the check.
template <class T>
struct DeviceArray {
    Backend& gpu;
    T* ptr = nullptr;
    size_t n = 0;
    DeviceArray(Backend& g, const std::vector<T>& host) : gpu(g), n(host.size()) {
        ptr = static_cast<T*>(gpu.allocate(n * sizeof(T)));
        gpu.upload(ptr, host.data(), n * sizeof(T));
    }
    DeviceArray(const DeviceArray&) = delete;
    ~DeviceArray() { gpu.release(ptr); }
    std::vector<T> read() const {
        std::vector<T> out(n);
        gpu.download(out.data(), ptr, n * sizeof(T));
        return out;
    }
};
using Floats = std::vector<float>;

class Checker {
public:
    Checker(Backend& g, uint32_t seed, Precision p) : gpu(g), precision(p), rng(seed) {}

    Floats random(size_t n, float lo = -1.f, float hi = 1.f) {
        std::uniform_real_distribution<float> d(lo, hi);
        Floats v(n);
        for (float& x : v) x = d(rng);
        return v;
    }
    static Floats poison(size_t n) { return Floats(n, NAN); }

    void record(const std::string& op, const std::string& shape, const Floats& got, const Floats& want, double tol) {
        Result r{op, shape, 0.0, tol, 0.0};
        double diff = 0.0, norm = 0.0;
        bool finite = got.size() == want.size();
        for (size_t i = 0; finite && i < got.size(); ++i) {
            finite = std::isfinite(got[i]);
            const double d = double(got[i]) - want[i];
            diff += d * d;
            norm += double(want[i]) * want[i];
            r.max_abs = std::max(r.max_abs, std::fabs(d));
        }
        r.error = !finite ? INFINITY : (norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff));
        results.push_back(r);
    }

    Backend& gpu;  // the backend under test
    Precision precision;
    Backend& ref = reference();
    std::mt19937 rng;
    std::vector<Result> results;
};

std::string dims(std::initializer_list<int64_t> d, const char* extra = "") {
    std::string s;
    for (int64_t v : d) {
        if (!s.empty()) s += 'x';
        s += std::to_string(v);
    }
    return s + extra;
}

uint16_t bits16(float v, DType t) { return t == DType::F16 ? float_to_half(v) : float_to_bf16(v); }

// Weights stored as `t`, as the checkpoint would hold them, and their exact f32 values.
struct StoredWeights {
    std::vector<unsigned char> bytes;
    Floats values;
};
StoredWeights store(const Floats& w, DType t) {
    StoredWeights s;
    s.bytes.resize(size_t(storage_bytes(t, int64_t(w.size()))));
    for (size_t i = 0; i < w.size(); ++i) {
        if (t == DType::F32) {
            std::memcpy(s.bytes.data() + 4 * i, &w[i], 4);
        } else {
            const uint16_t b = bits16(w[i], t);
            std::memcpy(s.bytes.data() + 2 * i, &b, 2);
        }
    }
    s.values.resize(w.size());
    to_f32(s.bytes.data(), t, s.values.data(), int64_t(w.size()));
    return s;
}

Floats round_bf16(Floats v) {
    for (float& x : v) x = bf16_to_float(float_to_bf16(x));
    return v;
}

void check_linear_f32(Checker& c, int64_t M, int64_t N, int64_t K, bool bias) {
    const Floats x = c.random(size_t(M * K)), w = c.random(size_t(N * K)), b = c.random(size_t(N));
    Floats want(size_t(M * N));
    c.ref.linear(x.data(), w.data(), bias ? b.data() : nullptr, want.data(), M, N, K);
    DeviceArray<float> dx(c.gpu, x), dw(c.gpu, w), db(c.gpu, b), dy(c.gpu, Checker::poison(size_t(M * N)));
    c.gpu.linear(dx.ptr, dw.ptr, bias ? db.ptr : nullptr, dy.ptr, M, N, K);
    c.record("linear f32", dims({M, N, K}, bias ? " +bias" : ""), dy.read(), want, 1e-5);
}

// The checkpoint-weight GEMM: bf16 operands, f32 sums. Against the reference on the same
// bf16-rounded operands (the sums alone, tight), and on the unrounded ones (the whole error).
// `offset` shifts y and the bias by that many floats to test unaligned outputs. gelu: the
// feed-forward's linear_gelu (GELU in the GEMM's epilogue on CUDA), against the reference's
// linear then gelu_tanh.
void check_linear_weights(Checker& c, int64_t M, int64_t N, int64_t K, DType t, int64_t offset, bool gelu = false) {
    const Floats x = c.random(size_t(M * K)), w = c.random(size_t(N * K)), b = c.random(size_t(N + offset));
    const StoredWeights sw = store(w, t);
    const WeightRef wref{sw.bytes.data(), t};
    DeviceArray<float> dx(c.gpu, x), db(c.gpu, b), dy(c.gpu, Checker::poison(size_t(M * N + offset)));
    if (gelu)
        c.gpu.linear_gelu(dx.ptr, wref, db.ptr + offset, dy.ptr + offset, M, N, K);
    else
        c.gpu.linear(dx.ptr, wref, db.ptr + offset, dy.ptr + offset, M, N, K);
    Floats got = dy.read();
    got.erase(got.begin(), got.begin() + offset);
    const std::string op = std::string(gelu ? "linear_gelu " : "linear ") + dtype_name(t);
    const std::string shape = dims({M, N, K}, offset ? " unaligned" : "");
    Floats want(size_t(M * N));
    c.ref.linear(x.data(), wref, b.data() + offset, want.data(), M, N, K);
    if (gelu) c.ref.gelu_tanh(want.data(), M * N);
    c.record(op, shape + " vs f32", got, want, 1e-2);
    if (c.precision.bf16_gemm && t != DType::F16) {  // f16 weights are re-rounded to bf16: only the whole error applies
        const Floats xr = round_bf16(x), wr = round_bf16(sw.values);
        c.ref.linear(xr.data(), wr.data(), b.data() + offset, want.data(), M, N, K);
        if (gelu) c.ref.gelu_tanh(want.data(), M * N);
        c.record(op, shape + " vs bf16 operands", got, want, 1e-5);
    }
    // The cache is keyed by host address: this matrix's memory is freed next and may come back.
    c.gpu.drop_cached_weights();
}

struct AttnCase {
    int64_t B, H, Lq, Lk, D, pad;  // pad: extra floats per row (a fused QKV buffer's stride)
    bool position_bias, key_bias, groups;
};

void check_attention(Checker& c, const AttnCase& k) {
    const int64_t ld = k.H * k.D + k.pad;
    const Floats q = c.random(size_t(k.B * k.Lq * ld), -2, 2), kk = c.random(size_t(k.B * k.Lk * ld), -2, 2),
                 v = c.random(size_t(k.B * k.Lk * ld)), pb = c.random(size_t(k.H * k.Lq * k.Lk), -3, 3);
    Floats kb = c.random(size_t(k.B * k.Lk), -2, 2);
    for (int64_t j = 0; j < k.Lk; ++j) {  // padding keys, and a last item whose keys are all dropped
        if (j % 3 == 2) kb[size_t(j)] = -1e9f;
        if (k.B > 1) kb[size_t((k.B - 1) * k.Lk + j)] = -FLT_MAX;
    }
    // Groups: keys of group 0 are global; queries of group 3 see no key at all (zeros).
    std::vector<int32_t> qg(size_t(k.B * k.Lq)), kg(size_t(k.B * k.Lk));
    for (size_t i = 0; i < qg.size(); ++i) qg[i] = int32_t(i % 4);
    for (size_t j = 0; j < kg.size(); ++j) kg[j] = int32_t(j % 3);
    // Batch item 1 has no global keys, so its group-3 queries see nothing (rows of zeros).
    if (k.groups)
        for (size_t j = size_t(k.Lk); j < size_t(std::min<int64_t>(k.B, 2) * k.Lk); ++j) kg[j] = kg[j] ? kg[j] : 1;
    AttentionArgs a;
    a.B = k.B, a.H = k.H, a.Lq = k.Lq, a.Lk = k.Lk, a.D = k.D;
    a.ldq = a.ldk = a.ldv = a.ldo = ld;
    a.scale = 1.f / std::sqrt(float(k.D));
    Floats want(size_t(k.B * k.Lq * ld), 0.f);
    AttentionArgs r = a;
    r.q = q.data(), r.k = kk.data(), r.v = v.data(), r.out = want.data();
    r.position_bias = k.position_bias ? pb.data() : nullptr;
    r.key_bias = k.key_bias ? kb.data() : nullptr;
    r.query_group = k.groups ? qg.data() : nullptr;
    r.key_group = k.groups ? kg.data() : nullptr;
    c.ref.attention(r);
    Floats init(want.size(), NAN);
    for (size_t i = 0; i < init.size(); ++i)
        if (int64_t(i % size_t(ld)) >= k.H * k.D) init[i] = want[i] = 0.f;  // the padding is not output
    DeviceArray<float> dq(c.gpu, q), dk(c.gpu, kk), dv(c.gpu, v), dpb(c.gpu, pb), dkb(c.gpu, kb), dout(c.gpu, init);
    DeviceArray<int32_t> dqg(c.gpu, qg), dkg(c.gpu, kg);
    a.q = dq.ptr, a.k = dk.ptr, a.v = dv.ptr, a.out = dout.ptr;
    a.position_bias = k.position_bias ? dpb.ptr : nullptr;
    a.key_bias = k.key_bias ? dkb.ptr : nullptr;
    a.query_group = k.groups ? dqg.ptr : nullptr;
    a.key_group = k.groups ? dkg.ptr : nullptr;
    c.gpu.attention(a);
    std::string extra = std::string(k.position_bias ? " +pos" : "") + (k.key_bias ? " +keybias" : "") +
                        (k.groups ? " +groups" : "") + (k.pad ? " strided" : "");
    char shape[96];
    std::snprintf(shape, sizeof shape, "B%lld H%lld Lq%lld Lk%lld D%lld%s", (long long)k.B, (long long)k.H,
                  (long long)k.Lq, (long long)k.Lk, (long long)k.D, extra.c_str());
    c.record(c.precision.bf16_attention ? "attention bf16" : "attention", shape, dout.read(), want,
             c.precision.bf16_attention ? 1e-2 : 1e-4);
}

void check_norms(Checker& c, int64_t rows, int64_t cols, bool affine) {
    const Floats x = c.random(size_t(rows * cols), -3, 5), g = c.random(size_t(cols)), b = c.random(size_t(cols));
    Floats want(x.size());
    DeviceArray<float> dx(c.gpu, x), dg(c.gpu, g), db(c.gpu, b), dy(c.gpu, Checker::poison(x.size()));
    c.ref.layer_norm(x.data(), want.data(), rows, cols, 1e-6f, affine ? g.data() : nullptr, affine ? b.data() : nullptr);
    c.gpu.layer_norm(dx.ptr, dy.ptr, rows, cols, 1e-6f, affine ? dg.ptr : nullptr, affine ? db.ptr : nullptr);
    c.record("layer_norm", dims({rows, cols}, affine ? " affine" : ""), dy.read(), want, 1e-5);
    c.ref.rms_norm(x.data(), want.data(), rows, cols, 1e-6f, affine ? g.data() : nullptr);
    c.gpu.rms_norm(dx.ptr, dy.ptr, rows, cols, 1e-6f, affine ? dg.ptr : nullptr);
    c.record("rms_norm", dims({rows, cols}, affine ? " gamma" : ""), dy.read(), want, 1e-5);
    // adaLN's fused norm: rows = B x L with one shift and scale per batch row.
    const int64_t B = rows % 2 ? 1 : 2, L = rows / B;
    const Floats shift = c.random(size_t(B * cols)), scale = c.random(size_t(B * cols));
    DeviceArray<float> dsh(c.gpu, shift), dsc(c.gpu, scale);
    c.gpu.layer_norm_modulate(dx.ptr, dy.ptr, B, L, cols, 1e-6f, dsh.ptr, dsc.ptr);
    c.ref.layer_norm(x.data(), want.data(), rows, cols, 1e-6f, nullptr, nullptr);
    c.ref.modulate(want.data(), shift.data(), scale.data(), B, L, cols);
    c.record("layer_norm_modulate", dims({B, L, cols}), dy.read(), want, 1e-5);
    c.gpu.layer_norm(dx.ptr, dx.ptr, rows, cols, 1e-6f, nullptr, nullptr);  // in place, as PixArt's blocks use it
    c.ref.layer_norm(x.data(), want.data(), rows, cols, 1e-6f, nullptr, nullptr);
    c.record("layer_norm", dims({rows, cols}, " in place"), dx.read(), want, 1e-5);
}

void check_group_norm(Checker& c, int64_t N, int64_t C, int64_t HW, int64_t groups) {
    const Floats x = c.random(size_t(N * C * HW), -2, 4), g = c.random(size_t(C)), b = c.random(size_t(C));
    Floats want(x.size());
    c.ref.group_norm(x.data(), want.data(), N, C, HW, groups, 1e-6f, g.data(), b.data());
    DeviceArray<float> dx(c.gpu, x), dg(c.gpu, g), db(c.gpu, b), dy(c.gpu, Checker::poison(x.size()));
    c.gpu.group_norm(dx.ptr, dy.ptr, N, C, HW, groups, 1e-6f, dg.ptr, db.ptr);
    c.record("group_norm", dims({N, C, HW}, (" groups " + std::to_string(groups)).c_str()), dy.read(), want, 1e-5);
}

void check_elementwise(Checker& c, int64_t B, int64_t L, int64_t C) {
    const size_t n = size_t(B * L * C);
    const Floats x = c.random(n, -4, 4), y = c.random(n), shift = c.random(size_t(B * C)), scale = c.random(size_t(B * C));
    const std::string shape = dims({B, L, C});
    auto run = [&](const char* op, double tol, auto&& ref_op, auto&& gpu_op) {
        Floats want = x;
        ref_op(want.data());
        DeviceArray<float> dx(c.gpu, x), dy(c.gpu, y), dsh(c.gpu, shift), dsc(c.gpu, scale);
        gpu_op(dx.ptr, dy.ptr, dsh.ptr, dsc.ptr);
        c.record(op, shape, dx.read(), want, tol);
    };
    run("modulate", 1e-6, [&](float* p) { c.ref.modulate(p, shift.data(), scale.data(), B, L, C); },
        [&](float* p, const float*, const float* sh, const float* sc) { c.gpu.modulate(p, sh, sc, B, L, C); });
    run("add_gated", 1e-6, [&](float* p) { c.ref.add_gated(p, y.data(), scale.data(), B, L, C); },
        [&](float* p, const float* q, const float*, const float* sc) { c.gpu.add_gated(p, q, sc, B, L, C); });
    run("add_gated 1", 1e-6, [&](float* p) { c.ref.add_gated(p, y.data(), nullptr, B, L, C); },
        [&](float* p, const float* q, const float*, const float*) { c.gpu.add_gated(p, q, nullptr, B, L, C); });
    run("gelu_tanh", 1e-5, [&](float* p) { c.ref.gelu_tanh(p, int64_t(n)); },
        [&](float* p, const float*, const float*, const float*) { c.gpu.gelu_tanh(p, int64_t(n)); });
    run("silu", 1e-5, [&](float* p) { c.ref.silu(p, int64_t(n)); },
        [&](float* p, const float*, const float*, const float*) { c.gpu.silu(p, int64_t(n)); });
    run("mul", 0.0, [&](float* p) { c.ref.mul(p, y.data(), int64_t(n)); },
        [&](float* p, const float* q, const float*, const float*) { c.gpu.mul(p, q, int64_t(n)); });
}

void check_conv(Checker& c, int64_t N, int64_t Cin, int64_t H, int64_t W, int64_t Cout, int64_t Kk, int64_t stride,
                int64_t pt, int64_t pb, int64_t pl, int64_t pr, bool bias) {
    Conv2dArgs a;
    a.N = N, a.Cin = Cin, a.H = H, a.W = W, a.Cout = Cout, a.KH = a.KW = Kk, a.stride = stride;
    a.pad_top = pt, a.pad_bottom = pb, a.pad_left = pl, a.pad_right = pr;
    const Floats x = c.random(size_t(N * Cin * H * W)), w = c.random(size_t(Cout * Cin * Kk * Kk)),
                 b = c.random(size_t(Cout));
    const size_t ny = size_t(N * Cout * a.out_h() * a.out_w());
    Floats want(ny);
    Conv2dArgs r = a;
    r.x = x.data(), r.w = w.data(), r.b = bias ? b.data() : nullptr, r.y = want.data();
    c.ref.conv2d(r);
    DeviceArray<float> dx(c.gpu, x), dw(c.gpu, w), db(c.gpu, b), dy(c.gpu, Checker::poison(ny));
    a.x = dx.ptr, a.w = dw.ptr, a.b = bias ? db.ptr : nullptr, a.y = dy.ptr;
    c.gpu.conv2d(a);
    char shape[96];
    std::snprintf(shape, sizeof shape, "%s -> %lld k%lld s%lld pad %lld%lld%lld%lld", dims({N, Cin, H, W}).c_str(),
                  (long long)Cout, (long long)Kk, (long long)stride, (long long)pt, (long long)pb, (long long)pl,
                  (long long)pr);
    c.record("conv2d", shape, dy.read(), want, 1e-5);
}

void check_copies(Checker& c) {
    // upsample [2, 3, 5, 7] -> [2, 3, 10, 14]
    const Floats x = c.random(2 * 3 * 5 * 7);
    Floats want(x.size() * 4);
    c.ref.upsample_nearest2x(x.data(), want.data(), 2, 3, 5, 7);
    DeviceArray<float> dx(c.gpu, x), dy(c.gpu, Checker::poison(want.size()));
    c.gpu.upsample_nearest2x(dx.ptr, dy.ptr, 2, 3, 5, 7);
    c.record("upsample2x", "2x3x5x7", dy.read(), want, 0.0);

    // gather 37 of 100 rows (batch 2, 1152 wide), then scatter them into a filled buffer
    const int64_t B = 2, rows = 100, n = 37, C = 1152;
    std::vector<int32_t> index;
    for (int32_t i = 0; i < rows && int64_t(index.size()) < n; ++i)
        if ((i * 7) % 11 < 4) index.push_back(i);
    while (int64_t(index.size()) < n) index.push_back(int32_t(rows - 1 - (n - int64_t(index.size()))));
    const Floats src = c.random(size_t(B * rows * C));
    Floats got(size_t(B * n * C));
    c.ref.gather_tokens(src.data(), rows, got.data(), n, index.data(), n, B, C);
    DeviceArray<float> dsrc(c.gpu, src), ddst(c.gpu, Checker::poison(got.size()));
    DeviceArray<int32_t> didx(c.gpu, index);
    c.gpu.gather_tokens(dsrc.ptr, rows, ddst.ptr, n, didx.ptr, n, B, C);
    c.record("gather_tokens", "37 of 2x100x1152", ddst.read(), got, 0.0);

    Floats base = c.random(size_t(B * rows * C)), want_s = base;
    c.ref.scatter_tokens(got.data(), n, want_s.data(), rows, index.data(), n, B, C);
    DeviceArray<float> dpart(c.gpu, got), dbase(c.gpu, base);
    c.gpu.scatter_tokens(dpart.ptr, n, dbase.ptr, rows, didx.ptr, n, B, C);
    c.record("scatter_tokens", "37 into 2x100x1152", dbase.read(), want_s, 0.0);
}

void check_layout(Checker& c) {
    {  // affine, in place
        const Floats x = c.random(1000);
        Floats want = x;
        c.ref.affine(want.data(), 1000, 0.18215f, -0.5f);
        DeviceArray<float> dx(c.gpu, x);
        c.gpu.affine(dx.ptr, 1000, 0.18215f, -0.5f);
        c.record("affine", "1000", dx.read(), want, 1e-6);
    }
    {  // transpose [3, 37, 129] -> [3, 129, 37]
        const Floats x = c.random(3 * 37 * 129);
        Floats want(x.size());
        c.ref.transpose(x.data(), want.data(), 3, 37, 129);
        DeviceArray<float> dx(c.gpu, x), dy(c.gpu, Checker::poison(x.size()));
        c.gpu.transpose(dx.ptr, dy.ptr, 3, 37, 129);
        c.record("transpose", "3x37x129", dy.read(), want, 0.0);
    }
    {  // adaLN-single: 6 vectors of 1152 for a batch of 2
        const int64_t J = 6, B = 2, D = 1152;
        const Floats table = c.random(size_t(J * D)), emb = c.random(size_t(B * J * D));
        Floats want(size_t(J * B * D));
        c.ref.adaln_modulation(table.data(), emb.data(), want.data(), J, B, D);
        DeviceArray<float> dt(c.gpu, table), de(c.gpu, emb), dout(c.gpu, Checker::poison(want.size()));
        c.gpu.adaln_modulation(dt.ptr, de.ptr, dout.ptr, J, B, D);
        c.record("adaln_modulation", "6x2x1152", dout.read(), want, 0.0);
    }
    for (int64_t p : {1, 2, 4}) {  // patchify / unpatchify of a [2, 4, 16, 24] latent
        const int64_t B = 2, C = 4, H = 16, W = 24, N = (H / p) * (W / p);
        const Floats x = c.random(size_t(B * C * H * W));
        Floats want(x.size());
        c.ref.patchify(x.data(), want.data(), B, C, H, W, p);
        DeviceArray<float> dx(c.gpu, x), dp(c.gpu, Checker::poison(x.size()));
        c.gpu.patchify(dx.ptr, dp.ptr, B, C, H, W, p);
        c.record("patchify", dims({B, C, H, W}, (" p" + std::to_string(p)).c_str()), dp.read(), want, 0.0);
        const Floats tokens = c.random(size_t(B * N * p * p * C));
        c.ref.unpatchify(tokens.data(), want.data(), B, C, H, W, p);
        DeviceArray<float> dt(c.gpu, tokens), dout(c.gpu, Checker::poison(x.size()));
        c.gpu.unpatchify(dt.ptr, dout.ptr, B, C, H, W, p);
        c.record("unpatchify", dims({B, N, p * p * C}, (" p" + std::to_string(p)).c_str()), dout.read(), want, 0.0);
    }
}

// ---- Sana (issue 18, part A): linear attention, the channel-last depthwise conv, the GLU ----
void check_sana_ops(Checker& c, int64_t B, int64_t H, int64_t W, int64_t heads, int64_t D) {
    const int64_t N = H * W, C = heads * D, ld = C + 3;  // rows padded: a fused buffer's strides
    const Floats q = c.random(size_t(B * N * ld), -1, 2), k = c.random(size_t(B * N * ld), -1, 2),
                 v = c.random(size_t(B * N * ld));
    Floats want(size_t(B * N * ld), 0.0f);
    LinearAttentionArgs a;
    a.B = B, a.N = N, a.H = heads, a.D = D, a.ldq = a.ldk = a.ldv = a.ldo = ld;
    a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = want.data();
    c.ref.linear_attention(a);
    DeviceArray<float> dq(c.gpu, q), dk(c.gpu, k), dv(c.gpu, v), dout(c.gpu, Floats(want.size(), 0.0f));
    a.q = dq.ptr, a.k = dk.ptr, a.v = dv.ptr, a.out = dout.ptr;
    c.gpu.linear_attention(a);
    c.record("linear_attn", dims({B, N, heads, D}), dout.read(), want, 1e-5);

    const Floats x = c.random(size_t(B * N * C)), w = c.random(size_t(C * 9)), bias = c.random(size_t(C));
    Floats y(x.size());
    DeviceArray<float> dx(c.gpu, x), dw(c.gpu, w), db(c.gpu, bias), dy(c.gpu, Checker::poison(x.size()));
    for (bool with_bias : {true, false}) {
        c.ref.depthwise_conv3x3(x.data(), w.data(), with_bias ? bias.data() : nullptr, y.data(), B, H, W, C);
        c.gpu.depthwise_conv3x3(dx.ptr, dw.ptr, with_bias ? db.ptr : nullptr, dy.ptr, B, H, W, C);
        c.record("dwconv3x3", dims({B, H, W, C}, with_bias ? " bias" : ""), dy.read(), y, 1e-5);
    }
    const int64_t M = B * N, half = C / 2;
    Floats g(size_t(M * half));
    c.ref.glu_silu(x.data(), g.data(), M, half);
    DeviceArray<float> dg(c.gpu, Checker::poison(g.size()));
    c.gpu.glu_silu(dx.ptr, dg.ptr, M, half);
    c.record("glu_silu", dims({M, C}), dg.read(), g, 1e-5);
}

}  // namespace

// ---- the Sana text encoder (Gemma-2) and autoencoder (AutoencoderDC) ops ----

// Space-to-channel and back, and the shortcuts' channel mean / repeat, at DC-AE-like shapes.
void check_dcae_layout(Checker& c) {
    const int64_t N = 2, C = 6, H = 8, W = 12, r = 2;
    const Floats x = c.random(size_t(N * C * H * W));
    DeviceArray<float> dx(c.gpu, x), dy(c.gpu, Checker::poison(x.size()));
    Floats want(x.size());
    c.ref.pixel_unshuffle(x.data(), want.data(), N, C, H, W, r);
    c.gpu.pixel_unshuffle(dx.ptr, dy.ptr, N, C, H, W, r);
    c.record("pixel_unshuffle", dims({N, C, H, W}, " r2"), dy.read(), want, 0.0);
    // x read as [N, 3*r*r = 12, 4, 12] -> [N, 3, 8, 24]
    c.ref.pixel_shuffle(x.data(), want.data(), N, 3, 4, 12, r);
    c.gpu.pixel_shuffle(dx.ptr, dy.ptr, N, 3, 4, 12, r);
    c.record("pixel_shuffle", dims({N, 12, 4, 12}, " r2"), dy.read(), want, 0.0);
    // x read as [N, 3*2, 96] -> [N, 3, 96] (the down blocks' shortcut) and as [N, 48, 12] ->
    // [N, 3, 12] (the encoder's out shortcut, runs of 16)
    for (const auto& [Cm, G, P] : {std::tuple<int64_t, int64_t, int64_t>{3, 2, H * W}, {3, 16, 12}}) {
        Floats mean(size_t(N * Cm * P));
        DeviceArray<float> dm(c.gpu, Checker::poison(mean.size()));
        c.ref.channel_mean(x.data(), mean.data(), N, Cm, G, P);
        c.gpu.channel_mean(dx.ptr, dm.ptr, N, Cm, G, P);
        c.record("channel_mean", dims({N, Cm * G, P}, G == 2 ? " G2" : " G16"), dm.read(), mean, 1e-6);
    }
    Floats rep(size_t(N * C * 3 * H * W));
    DeviceArray<float> dr(c.gpu, Checker::poison(rep.size()));
    c.ref.channel_repeat(x.data(), rep.data(), N, C, 3, H * W);
    c.gpu.channel_repeat(dx.ptr, dr.ptr, N, C, 3, H * W);
    c.record("channel_repeat", dims({N, C, H * W}, " R3"), dr.read(), rep, 0.0);
    Floats relu = x;
    DeviceArray<float> drelu(c.gpu, x);
    c.ref.relu(relu.data(), int64_t(relu.size()));
    c.gpu.relu(drelu.ptr, int64_t(x.size()));
    c.record("relu", dims({int64_t(x.size())}), drelu.read(), relu, 0.0);
}

// Gemma's (1 + w) norm (hidden 2304) and DC-AE's weight-and-bias norm across channels.
void check_rms_norm_affine(Checker& c, int64_t rows, int64_t cols, float offset, bool bias) {
    const Floats x = c.random(size_t(rows * cols), -3, 5), g = c.random(size_t(cols)), b = c.random(size_t(cols));
    Floats want(x.size());
    DeviceArray<float> dx(c.gpu, x), dg(c.gpu, g), db(c.gpu, b), dy(c.gpu, Checker::poison(x.size()));
    c.ref.rms_norm_affine(x.data(), want.data(), rows, cols, 1e-6f, g.data(), offset, bias ? b.data() : nullptr);
    c.gpu.rms_norm_affine(dx.ptr, dy.ptr, rows, cols, 1e-6f, dg.ptr, offset, bias ? db.ptr : nullptr);
    c.record("rms_norm_affine", dims({rows, cols}, bias ? " +bias" : " 1+w"), dy.read(), want, 1e-5);
}

// RoPE on q [B, L, H*D] and Gemma-2's attention: GQA, soft-cap 50, a sliding window, padding.
void check_gqa_attention(Checker& c, int64_t B, int64_t L, int64_t H, int64_t Hkv, int64_t D, int64_t window) {
    const Floats q = c.random(size_t(B * L * H * D)), k = c.random(size_t(B * L * Hkv * D), -2, 2),
                 v = c.random(size_t(B * L * Hkv * D));
    Floats cos = c.random(size_t(L * D)), sin = c.random(size_t(L * D));
    Floats want = q;
    DeviceArray<float> dq(c.gpu, q), dcos(c.gpu, cos), dsin(c.gpu, sin);
    c.ref.rotary_embedding(want.data(), cos.data(), sin.data(), B, L, H, D, H * D);
    c.gpu.rotary_embedding(dq.ptr, dcos.ptr, dsin.ptr, B, L, H, D, H * D);
    c.record("rotary_embedding", dims({B, L, H, D}), dq.read(), want, 1e-6);

    std::vector<int32_t> mask(size_t(B * L), 1);
    for (int64_t j = L - L / 3; j < L; ++j) mask[size_t((B - 1) * L + j)] = 0;  // the last item padded
    DeviceArray<float> dk(c.gpu, k), dv(c.gpu, v), dout(c.gpu, Checker::poison(q.size()));
    DeviceArray<int32_t> dmask(c.gpu, mask);
    GqaAttentionArgs a;
    a.B = B, a.L = L, a.H = H, a.Hkv = Hkv, a.D = D;
    a.ldq = a.ldo = H * D;
    a.ldk = a.ldv = Hkv * D;
    a.scale = 1.0f / std::sqrt(float(D));
    a.softcap = 50.0f;
    a.window = window;
    Floats out(q.size());
    a.q = want.data(), a.k = k.data(), a.v = v.data(), a.out = out.data(), a.key_mask = mask.data();
    c.ref.gqa_attention(a);
    a.q = dq.ptr, a.k = dk.ptr, a.v = dv.ptr, a.out = dout.ptr, a.key_mask = dmask.ptr;
    c.gpu.gqa_attention(a);
    c.record("gqa_attention", dims({B, L, H, Hkv, D}, window ? " window" : ""), dout.read(), out, 1e-5);
}

// DC-AE's linear attention: more positions than head channels (the linear order diffusers
// uses) and fewer (where it switches to the quadratic order).
void check_relu_linear_attention(Checker& c, int64_t B, int64_t heads, int64_t D, int64_t P) {
    const Floats qkv = c.random(size_t(B * heads * 3 * D * P));
    Floats want(size_t(B * heads * D * P));
    DeviceArray<float> dqkv(c.gpu, qkv), dout(c.gpu, Checker::poison(want.size()));
    c.ref.relu_linear_attention_nchw(qkv.data(), want.data(), B, heads, D, P, 1e-15f);
    c.gpu.relu_linear_attention_nchw(dqkv.ptr, dout.ptr, B, heads, D, P, 1e-15f);
    c.record("relu_linear_attn", dims({B, heads, D, P}), dout.read(), want, 1e-5);
}

void check_sana_text_and_autoencoder_ops(Checker& c) {
    check_dcae_layout(c);
    check_rms_norm_affine(c, 77, 2304, 1.0f, false);
    check_rms_norm_affine(c, 33, 7, 0.0f, true);
    check_gqa_attention(c, 2, 77, 8, 4, 256, 0);   // Gemma-2-2B's heads, a global layer
    check_gqa_attention(c, 2, 40, 4, 2, 64, 16);   // a sliding layer
    check_relu_linear_attention(c, 1, 4, 32, 256);
    check_relu_linear_attention(c, 2, 3, 32, 20);
}

// GRAT's grouped sparse attention (issue 21): PixArt's heads on a grid with several blocks each
// way, the criss-cross band on and off, strided rows; always f32 (no tensor-core variant).
void check_grat_attention(Checker& c, int64_t B, int64_t H, int64_t D, int64_t gh, int64_t gw, int64_t group,
                          int64_t radius, bool criss_cross, int64_t pad) {
    const int64_t L = gh * gw, ld = H * D + pad;
    const Floats q = c.random(size_t(B * L * ld), -2, 2), k = c.random(size_t(B * L * ld), -2, 2),
                 v = c.random(size_t(B * L * ld));
    Floats want(q.size(), 0.0f);  // zeros, not NaN: the padding columns are not the op's to write
    DeviceArray<float> dq(c.gpu, q), dk(c.gpu, k), dv(c.gpu, v), dout(c.gpu, want);
    GratAttentionArgs a;
    a.B = B, a.H = H, a.D = D, a.grid_h = gh, a.grid_w = gw, a.group = group, a.radius = radius;
    a.criss_cross = criss_cross;
    a.ldq = a.ldk = a.ldv = a.ldo = ld;
    a.scale = 1.0f / std::sqrt(float(D));
    a.q = q.data(), a.k = k.data(), a.v = v.data(), a.out = want.data();
    c.ref.grat_attention(a);
    a.q = dq.ptr, a.k = dk.ptr, a.v = dv.ptr, a.out = dout.ptr;
    c.gpu.grat_attention(a);
    c.record("grat_attention", dims({B, H, D, gh, gw, group}, criss_cross ? " r1+band" : " r0"), dout.read(), want,
             1e-5);
}

std::vector<Result> run_all(Backend& gpu, uint32_t seed, Precision precision) {
    Checker c(gpu, seed, precision);
    check_linear_f32(c, 37, 29, 53, false);
    check_linear_f32(c, 256, 1152, 1152, true);
    for (DType t : {DType::BF16, DType::F16, DType::F32}) check_linear_weights(c, 256, 1152, 1152, t, 0);
    check_linear_weights(c, 37, 29, 53, DType::BF16, 0);   // odd K: no tensor-core layout
    check_linear_weights(c, 64, 96, 128, DType::BF16, 1);  // y and bias one float off alignment
    check_linear_weights(c, 256, 4608, 1152, DType::BF16, 0, true);  // PixArt's FF up-projection
    check_linear_weights(c, 37, 29, 53, DType::BF16, 0, true);       // no cuBLASLt plan: GELU apart
    check_linear_weights(c, 64, 96, 128, DType::BF16, 1, true);      // unaligned bias: bias and GELU apart
    check_attention(c, {2, 3, 77, 45, 72, 5, true, true, false});
    check_attention(c, {2, 16, 256, 120, 72, 0, false, true, false});   // PixArt cross-attention
    check_attention(c, {1, 16, 256, 256, 72, 0, false, false, false});  // PixArt self-attention
    check_attention(c, {2, 4, 50, 33, 64, 0, false, true, true});       // regional groups
    check_attention(c, {1, 16, 40, 200, 72, 0, false, false, false});   // lazy: a subset of queries
    check_attention(c, {1, 1, 64, 64, 512, 0, false, false, false});    // the VAE's mid attention
    check_attention(c, {2, 8, 19, 19, 64, 0, true, true, false});       // T5: relative position bias
    check_norms(c, 300, 1152, false);
    check_norms(c, 17, 7, true);
    check_group_norm(c, 2, 64, 33, 32);
    check_group_norm(c, 1, 128, 64 * 64, 32);
    check_elementwise(c, 2, 77, 1152);
    check_conv(c, 2, 5, 9, 11, 7, 3, 1, 1, 1, 1, 1, true);
    check_conv(c, 1, 8, 16, 16, 8, 3, 2, 0, 1, 0, 1, false);  // the VAE encoder's downsample
    check_conv(c, 2, 16, 12, 10, 24, 1, 1, 0, 0, 0, 0, true);  // 1x1: no im2col
    check_conv(c, 1, 64, 32, 32, 64, 3, 1, 1, 1, 1, 1, true);
    check_copies(c);
    check_layout(c);
    check_sana_text_and_autoencoder_ops(c);
    check_sana_ops(c, 2, 5, 7, 3, 8);     // odd grid, several heads
    check_sana_ops(c, 1, 32, 32, 4, 32);  // Sana's head dim, 1024 tokens
    check_grat_attention(c, 2, 16, 72, 32, 24, 8, 1, true, 0);  // PixArt's heads, 4x3 blocks
    check_grat_attention(c, 1, 3, 40, 12, 20, 4, 0, false, 7);  // block-diagonal, strided rows
    return c.results;
}

std::string format(const Result& r) {
    char line[256];
    std::snprintf(line, sizeof line, "%-15s %-46s err %9.2e  tol %7.0e  max|d| %9.2e  %s", r.op.c_str(),
                  r.shape.c_str(), r.error, r.tolerance, r.max_abs, r.pass() ? "PASS" : "FAIL");
    return line;
}

}  // namespace dit::kernels::parity
