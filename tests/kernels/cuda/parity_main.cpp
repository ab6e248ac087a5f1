// cuda_parity: the CUDA backend against the reference, op by op, without Qt (the GPU machine's
// build, DIT_DEVICE_ONLY). Prints one line per check and the device; exits 1 on any failure, 77
// (CTest's "skipped") when there is no usable GPU.
//
// Usage: cuda_parity [--seed N] [--repeat N]   (each repeat draws fresh inputs)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "tests/kernels/cuda/parity.h"

int main(int argc, char** argv) {
    using namespace dit::kernels::cuda;
    uint32_t seed = 1;
    int repeat = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--seed")) seed = uint32_t(std::strtoul(argv[i + 1], nullptr, 10));
        else if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
    }
    if (const std::string why = unavailable_reason(); !why.empty()) {
        std::printf("SKIP: %s\n", why.c_str());
        return 77;
    }
    try {
        const DeviceInfo d = device_info();
        std::printf("device: %s (sm_%d%d, %d SMs, %.1f GiB)\n", d.name.c_str(), d.major, d.minor, d.multiprocessors,
                    double(d.memory_bytes) / (1u << 30));
        int failed = 0, total = 0;
        for (int r = 0; r < repeat; ++r)
            for (const auto& res : parity::run_all(backend(), seed + uint32_t(r) * 1000u)) {
                std::printf("%s\n", parity::format(res).c_str());
                failed += !res.pass();
                ++total;
            }
        std::printf("cuda parity: %d of %d checks passed\n", total - failed, total);
        return failed ? 1 : 0;
    } catch (const std::exception& e) {
        std::printf("FAIL: %s\n", e.what());
        return 1;
    }
}
