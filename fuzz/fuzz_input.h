#pragma once
// The loaders under test read files, as they do for users; each fuzz input is written to a file in
// a per-process scratch folder (tmpfs when there is one) and the loader opens it. Every dit::Error
// is an accepted outcome; a crash, a sanitizer report, a hang or any other exception is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "engine/error.h"

namespace dit::fuzz {

inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
        auto d = base / ("dit-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
        return d;
    }();
    return dir;
}

inline std::filesystem::path write_input(const std::string& name, const uint8_t* data, size_t size) {
    const auto path = scratch_dir() / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                   static_cast<std::streamsize>(size));
    return path;
}

// Runs a loader; dit::Error is the clean refusal we want. Anything else aborts so libFuzzer
// records the input.
inline void expect_clean(const std::function<void()>& load) {
    try {
        load();
    } catch (const dit::Error&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "not a dit::Error: %s\n", e.what());
        std::abort();
    }
}

}  // namespace dit::fuzz
