#pragma once
// Byte-level helpers for the loader and file-format suites: write exact bytes, build raw
// safetensors files, and compare tensors bit for bit.
#include <QtTest>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

#include "engine/tensor.h"

namespace dit::testing {

namespace fs = std::filesystem;

inline std::string fixture(const char* name) { return std::string(DIT_FIXTURES) + "/loaders/" + name; }

inline void write_bytes(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string u64le(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }

// A safetensors file from a header text and a data region, exactly as given (no padding).
inline std::string st_bytes(const std::string& header, const std::string& data) { return u64le(header.size()) + header + data; }

inline std::string floats(std::initializer_list<float> v) {
    return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * 4);
}

inline std::string halves(std::initializer_list<uint16_t> v) {
    return std::string(reinterpret_cast<const char*>(std::data(v)), v.size() * 2);
}

inline bool same_bits(float a, float b) {
    if (std::isnan(a) && std::isnan(b)) return true;
    uint32_t x, y;
    std::memcpy(&x, &a, 4);
    std::memcpy(&y, &b, 4);
    return x == y;
}

// Empty when `got` equals `want` bit for bit (NaN matching NaN); otherwise the count of
// differing elements and the max abs error over the finite ones, for the failure message.
inline std::string exact_mismatch(const Tensor& got, const Tensor& want) {
    if (got.shape() != want.shape()) return "shape " + shape_str(got.shape()) + " != " + shape_str(want.shape());
    int64_t bad = 0;
    double max_err = 0;
    for (int64_t i = 0; i < got.numel(); ++i) {
        if (!same_bits(got[i], want[i])) ++bad;
        if (std::isfinite(want[i]) && std::isfinite(got[i])) max_err = std::max(max_err, double(std::fabs(got[i] - want[i])));
    }
    return bad ? std::to_string(bad) + " mismatches, max abs err " + std::to_string(max_err) : "";
}

}  // namespace dit::testing

// `stmt` must throw (any std::exception) with `want` in its message.
#define EXPECT_ERROR_TEXT(stmt, want)                                                              \
    do {                                                                                          \
        std::string msg_ = "<no error>";                                                          \
        try {                                                                                     \
            (void)(stmt);                                                                         \
        } catch (const std::exception& e) {                                                       \
            msg_ = e.what();                                                                      \
        }                                                                                         \
        QVERIFY2(msg_.find(want) != std::string::npos, msg_.c_str());                             \
    } while (0)

#define EXPECT_EXACT(got, want)                                            \
    do {                                                                   \
        const std::string mm_ = exact_mismatch(got, want);                 \
        QVERIFY2(mm_.empty(), mm_.c_str());                                \
    } while (0)

// ---- edited copies of fixture components (the loaders' broken-input tests) ----
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/io/safetensors.h"
#include "engine/io/weights.h"

namespace dit::testing {

// A copy of the component folder `src` as `dst`: its config.json edited by `edit_config`, its
// tensors (all of them, loaded through WeightStore) edited by `edit_tensors` and saved as
// `dst` / `weights_name`.
inline fs::path edited_component(const fs::path& src, const fs::path& dst, const std::string& weights_name,
                                 const std::function<void(nlohmann::json&)>& edit_config,
                                 const std::function<void(std::map<std::string, Tensor>&)>& edit_tensors = {}) {
    fs::create_directories(dst);
    std::ifstream in(src / "config.json");
    nlohmann::json cfg = nlohmann::json::parse(in);
    if (edit_config) edit_config(cfg);
    std::ofstream(dst / "config.json") << cfg.dump(2);
    const WeightStore store = WeightStore::open(src);
    std::map<std::string, Tensor> tensors;
    for (const auto& key : store.keys()) tensors[key] = store.load(key);
    if (edit_tensors) edit_tensors(tensors);
    save_safetensors(dst / weights_name, tensors);
    return dst;
}

}  // namespace dit::testing
