// The judgement behind kernels/cpu/q8_gemm (docs/quantization.md): oneDNN's int8 matmul (Debian's
// libdnnl-dev) on this machine, against its own f32 matmul, OpenBLAS f32 (fast().linear) and our
// Q8_0 int8 linear, on PixArt-alpha's matrix shapes. oneDNN 2.6 scales whole output channels, so
// its int8 here is per-channel int8, not Q8_0: a speed bound, not a drop-in. Run by hand:
//   g++ -std=c++20 -O3 -march=native -fopenmp -I. tools/judge/onednn_int8.cpp \
//       build/kernels/libdit_kernels_cpu.a -ldnnl -lopenblas -o /tmp/onednn_int8 && /tmp/onednn_int8
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <tuple>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/q8_gemm.h"
#include "kernels/cpu/quant.h"

using namespace dnnl;
using dit::kernels::DType;

namespace {

double best_ms(const std::function<void()>& f) {
    f();
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e3);
    }
    return best;
}

// y[M, N] = x[M, K] . w[K, N] in oneDNN with the given source and weight types, f32 out.
double onednn_ms(engine& eng, stream& s, memory::data_type src_t, memory::data_type wei_t, int64_t M, int64_t N, int64_t K) {
    const memory::desc a({M, K}, src_t, memory::format_tag::ab), b({K, N}, wei_t, memory::format_tag::any),
        c({M, N}, memory::data_type::f32, memory::format_tag::ab);
    primitive_attr attr;
    if (wei_t == memory::data_type::s8) attr.set_output_scales(1 << 1, std::vector<float>(size_t(N), 0.01f));
    const auto pd = matmul::primitive_desc(matmul::desc(a, b, c), attr, eng);
    memory am(a, eng), bm(pd.weights_desc(), eng), cm(c, eng);
    std::memset(am.get_data_handle(), 1, a.get_size());
    std::memset(bm.get_data_handle(), 1, pd.weights_desc().get_size());
    matmul mm(pd);
    return best_ms([&] {
        mm.execute(s, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
        s.wait();
    });
}

}  // namespace

int main() {
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{512, 1152, 1152}, {512, 4608, 1152}, {512, 1152, 4608}}) {
        std::mt19937 rng(1);
        std::normal_distribution<float> d;
        std::vector<float> x(size_t(M * K)), w(size_t(N * K)), y(size_t(M * N));
        for (float& v : x) v = d(rng);
        for (float& v : w) v = d(rng);
        std::vector<uint8_t> q(size_t(dit::kernels::storage_bytes(DType::Q8_0, N * K)));
        dit::kernels::quantize(DType::Q8_0, w.data(), q.data(), N * K);
        const double blas = best_ms([&] { dit::kernels::fast().linear(x.data(), w.data(), nullptr, y.data(), M, N, K); });
        const double ours = best_ms([&] {
            dit::kernels::q8_0_linear(x.data(), q.data(), nullptr, y.data(), M, N, K);
        });
        const double f32 = onednn_ms(eng, s, memory::data_type::f32, memory::data_type::f32, M, N, K);
        const double s8 = onednn_ms(eng, s, memory::data_type::s8, memory::data_type::s8, M, N, K);
        const double u8 = onednn_ms(eng, s, memory::data_type::u8, memory::data_type::s8, M, N, K);
        std::printf("M %ld N %ld K %ld: OpenBLAS f32 %.2f ms | ours Q8_0 int8 %.2f ms (%.2fx) | oneDNN f32 %.2f ms, "
                    "s8s8 %.2f ms (%.2fx of OpenBLAS), u8s8 %.2f ms (%.2fx)\n",
                    long(M), long(N), long(K), blas, ours, blas / ours, f32, s8, blas / s8, u8, blas / u8);
    }
    return 0;
}
