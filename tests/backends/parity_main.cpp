// cuda_parity: the CUDA backend against the reference without Qt (the GPU machine's build,
// DIT_DEVICE_ONLY): op by op (--ops) and the tiny models and pipelines (--pipeline); both when
// neither is given. Prints one line per check and the device; exits 1 on any failure, 77 (CTest's
// "skipped") when there is no usable GPU.
//
// Usage: cuda_parity [--ops] [--pipeline] [--seed N] [--repeat N] [--fixtures DIR]
//   --repeat N draws fresh op inputs N times (a moving error is a race).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "tests/backends/parity.h"
#include "tests/backends/pipeline_parity.h"
#include "kernels/cuda/cuda.h"

int main(int argc, char** argv) {
    using namespace dit::kernels::cuda;
    namespace parity = dit::kernels::parity;
    uint32_t seed = 1;
    int repeat = 1;
    bool ops = false, pipeline = false;
    std::string fixtures = DIT_FIXTURES;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool value = i + 1 < argc;
        if (a == "--ops") ops = true;
        else if (a == "--pipeline") pipeline = true;
        else if (a == "--seed" && value) seed = uint32_t(std::strtoul(argv[++i], nullptr, 10));
        else if (a == "--repeat" && value) repeat = std::atoi(argv[++i]);
        else if (a == "--fixtures" && value) fixtures = argv[++i];
        else {
            std::fprintf(stderr, "cuda_parity: unknown argument %s\n", a.c_str());
            return 2;
        }
    }
    if (!ops && !pipeline) ops = pipeline = true;
    if (const std::string why = unavailable_reason(); !why.empty()) {
        std::printf("SKIP: %s\n", why.c_str());
        return 77;
    }
    int failed = 0, total = 0;
    auto report = [&](const std::vector<parity::Result>& results) {
        for (const auto& res : results) {
            std::printf("%s\n", parity::format(res).c_str());
            failed += !res.pass();
            ++total;
        }
        std::fflush(stdout);
    };
    try {
        const DeviceInfo d = device_info();
        std::printf("device: %s (sm_%d%d, %d SMs, %.1f GiB)\n", d.name.c_str(), d.major, d.minor, d.multiprocessors,
                    double(d.memory_bytes) / (1u << 30));
        // Each repeat twice: attention on the tensor cores (the default), then exact in f32.
        if (ops)
            for (int r = 0; r < repeat; ++r)
                for (bool exact : {false, true}) {
                    backend().set_exact_attention(exact);
                    report(parity::run_all(backend(), seed + uint32_t(r) * 1000u, {true, !exact}));
                }
        backend().set_exact_attention(false);
        if (pipeline) report(parity::run_pipelines(fixtures, "cuda"));
    } catch (const std::exception& e) {
        std::printf("FAIL: %s\n", e.what());
        return 1;
    }
    std::printf("cuda parity: %d of %d checks passed\n", total - failed, total);
    return failed ? 1 : 0;
}
