#include "engine/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/error.h"
#include "engine/io/atomic_file.h"
#include "engine/io/mapped_file.h"

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swapping");

namespace dit {

namespace fs = std::filesystem;
using nlohmann::json;

// A header longer than this is not a real checkpoint (the largest real headers are a few MB);
// refusing it early keeps a corrupt length from driving a huge JSON parse.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

namespace {

std::string lower_ext(const fs::path& p) {
    std::string e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    return e;
}

bool is_pickle_extension(const fs::path& p) {
    const std::string e = lower_ext(p);
    return e == ".ckpt" || e == ".bin" || e == ".pt" || e == ".pth" || e == ".pkl";
}

[[noreturn]] void refuse_pickle(const fs::path& p, const std::string& why) {
    throw Error(p.string() + ": is a pickle checkpoint (" + why +
                "); pickle files can run arbitrary code when loaded, so DiT Studio only reads "
                ".safetensors — convert it with a trusted tool");
}

std::string json_brief(const json& j) {
    std::string s = j.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

// Reads a non-negative JSON integer (accepting integral floats is not safetensors practice, so
// floats are refused).
bool as_u64(const json& j, uint64_t& out) {
    if (j.is_number_unsigned()) {
        out = j.get<uint64_t>();
        return true;
    }
    if (j.is_number_integer()) {
        const int64_t v = j.get<int64_t>();
        if (v < 0) return false;
        out = static_cast<uint64_t>(v);
        return true;
    }
    return false;
}

}  // namespace

struct SafetensorsFile::Impl {
    fs::path path;
    std::shared_ptr<MappedFile> mapping;
    const uint8_t* data = nullptr;  // start of the data region
    uint64_t data_size = 0;
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, std::string> metadata;

    std::string where() const { return path.string() + ": "; }
    [[noreturn]] void fail(const std::string& msg) const { throw Error(where() + msg); }
    void parse_header(const char* text, size_t n);
    void check_entry(const std::string& name, const json& e);
};

// nlohmann's message less its "[json.exception.<kind>.<id>] " preamble.
static std::string json_reason(const json::exception& e) {
    const std::string what = e.what();
    const size_t close = what.find("] ");
    return close == std::string::npos ? what : what.substr(close + 2);
}

void SafetensorsFile::Impl::parse_header(const char* text, size_t n) {
    json h;
    try {
        h = json::parse(text, text + n);
    } catch (const json::parse_error& e) {
        // Keep nlohmann's reason, drop its "[json.exception...] parse error at line 1, column C"
        // preamble: a header is one line, so the byte offset says it all.
        std::string reason = e.what();
        const size_t c = reason.find("column ");
        const size_t colon = c == std::string::npos ? c : reason.find(": ", c);
        if (colon != std::string::npos) reason = reason.substr(colon + 2);
        fail("header is not valid JSON (at byte " + std::to_string(std::min<size_t>(e.byte, n)) + " of the " +
             std::to_string(n) + "-byte header): " + reason);
    } catch (const json::exception& e) {
        // Valid syntax nlohmann still refuses, e.g. a number too large for a double.
        fail("header is not valid JSON: " + json_reason(e));
    }
    if (!h.is_object()) fail(std::string("header should be a JSON object, found ") + h.type_name());
    for (const auto& [name, entry] : h.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object())
                fail(std::string("__metadata__ should be an object, found ") + entry.type_name());
            // The format says values are strings; tolerate other JSON by keeping its text.
            for (const auto& [k, v] : entry.items()) metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
            continue;
        }
        check_entry(name, entry);
    }
    if (const std::string overlap = find_overlap(tensors); !overlap.empty()) fail(overlap);
}

void SafetensorsFile::Impl::check_entry(const std::string& name, const json& e) {
    const std::string t = "tensor '" + name + "': ";
    if (!e.is_object()) fail(t + "entry should be an object, found " + e.type_name());
    TensorInfo info;

    const auto dt = e.find("dtype");
    if (dt == e.end()) fail(t + "'dtype' is missing");
    if (!dt->is_string()) fail(t + "'dtype' should be a string, found " + json_brief(*dt));
    const std::string d = dt->get<std::string>();
    if (d == "F32") info.dtype = DType::F32;
    else if (d == "F16") info.dtype = DType::F16;
    else if (d == "BF16") info.dtype = DType::BF16;
    else if (d == "F8_E4M3") info.dtype = DType::F8_E4M3;
    else if (d == "F8_E5M2") info.dtype = DType::F8_E5M2;
    else fail(t + "dtype '" + d + "' is not supported (F32, F16, BF16, F8_E4M3, F8_E5M2)");

    const auto sh = e.find("shape");
    if (sh == e.end()) fail(t + "'shape' is missing");
    if (!sh->is_array()) fail(t + "'shape' should be a list of integers, found " + json_brief(*sh));
    uint64_t numel = 1;
    bool overflow = false;
    for (const json& dim : *sh) {
        if (!dim.is_number_integer())
            fail(t + "shape " + json_brief(*sh) + " should hold only integers");
        const int64_t v = dim.is_number_unsigned() && dim.get<uint64_t>() > uint64_t(INT64_MAX)
                              ? -1
                              : dim.get<int64_t>();
        if (v < 0) fail(t + "shape " + json_brief(*sh) + " has a negative or out-of-range dimension");
        info.shape.push_back(v);
        overflow |= __builtin_mul_overflow(numel, static_cast<uint64_t>(v), &numel);
    }
    uint64_t bytes = 0;
    overflow |= __builtin_mul_overflow(numel, uint64_t(kernels::block_bytes(info.dtype)), &bytes);
    if (overflow || numel > uint64_t(INT64_MAX))
        fail(t + "shape " + shape_str(info.shape) + " is too large");

    const auto off = e.find("data_offsets");
    if (off == e.end()) fail(t + "'data_offsets' is missing");
    if (!off->is_array() || off->size() != 2 || !as_u64((*off)[0], info.begin) ||
        !as_u64((*off)[1], info.end) || info.begin > info.end)
        fail(t + "data_offsets should be two ascending non-negative integers [begin, end], found " +
             json_brief(*off));
    if (info.end > data_size)
        fail(t + "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
             "] run past the end of the data region (" + std::to_string(data_size) + " bytes)");
    if (info.end - info.begin != bytes)
        fail(t + "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) + "] hold " +
             std::to_string(info.end - info.begin) + " bytes, but shape " + shape_str(info.shape) + " of " +
             d + " needs " + std::to_string(bytes));
    tensors[name] = std::move(info);
}

SafetensorsFile::SafetensorsFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SafetensorsFile::~SafetensorsFile() = default;

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const fs::path& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    const std::string where = path.string() + ": ";

    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(where + "file not found");
    if (fs::is_directory(path, ec))
        throw Error(where + "is a folder; expected a .safetensors file (open the folder as a weight store)");
    if (is_pickle_extension(path)) refuse_pickle(path, lower_ext(path));

    impl->mapping = MappedFile::open(path, 8, "8-byte header length a safetensors file starts with");
    const uint64_t size = impl->mapping->size();
    const uint8_t* bytes = impl->mapping->bytes();

    uint64_t n = 0;
    std::memcpy(&n, bytes, 8);
    const bool looks_safetensors = n <= size - 8 && n >= 2 && bytes[8] == '{';
    if (!looks_safetensors) {
        // Protocol 2+ pickles start with PROTO (0x80) and the protocol number; torch.save's zip
        // container starts with a local file header.
        if (bytes[0] == 0x80 && bytes[1] >= 2 && bytes[1] <= 5) refuse_pickle(path, "pickle header bytes");
        if (std::memcmp(bytes, "PK\x03\x04", 4) == 0) refuse_pickle(path, "zip archive of pickles");
    }
    if (n > size - 8)
        throw Error(where + "header length " + std::to_string(n) + " runs past the end of the file (size " +
                    std::to_string(size) + "); the file is truncated or not safetensors");
    if (n > kMaxHeaderBytes)
        throw Error(where + "header length " + std::to_string(n) + " is implausibly large (over 100 MB)");
    impl->data = bytes + 8 + n;
    impl->data_size = size - 8 - n;
    impl->parse_header(reinterpret_cast<const char*>(bytes + 8), static_cast<size_t>(n));
    return std::shared_ptr<SafetensorsFile>(new SafetensorsFile(std::move(impl)));
}

const fs::path& SafetensorsFile::path() const { return impl_->path; }
const std::map<std::string, TensorInfo>& SafetensorsFile::tensors() const { return impl_->tensors; }
const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return impl_->metadata; }

Tensor SafetensorsFile::load(const std::string& name) const {
    const auto it = impl_->tensors.find(name);
    if (it == impl_->tensors.end()) impl_->fail("no tensor named '" + name + "'");
    const TensorInfo& info = it->second;
    const uint8_t* src = impl_->data + info.begin;
    const int64_t n = shape_numel(info.shape);
    if (n == 0) return Tensor(info.shape);
    const Tensor view = Tensor::view(src, info.dtype, info.shape, impl_->mapping);
    return reinterpret_cast<uintptr_t>(src) % kernels::dtype_alignment(info.dtype) == 0 ? view : view.clone();
}

void save_safetensors(const fs::path& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    const std::string where = path.string() + ": ";
    json header = json::object();
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        if (name == "__metadata__") throw Error(where + "'__metadata__' is reserved and cannot name a tensor");
        if (t.empty() && t.numel() != 0) throw Error(where + "tensor '" + name + "' is empty");
        if (kernels::is_block_format(t.dtype()) || t.scale() != 1.0f)
            throw Error(where + "tensor '" + name + "' is " + dtype_name(t.dtype()) +
                        (t.scale() != 1.0f ? " with a scale" : "") +
                        ", which safetensors cannot hold (block formats go to GGUF, scales to a scale_weight tensor)");
        const uint64_t bytes = static_cast<uint64_t>(storage_bytes(t.dtype(), t.numel()));
        header[name] = {{"dtype", dtype_name(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::string text;
    try {
        text = header.dump();
    } catch (const json::type_error& e) {  // a tensor name or metadata that is not UTF-8
        throw Error(where + "cannot write the header: " + e.what());
    }
    text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data region 8-byte aligned

    AtomicFile out(path);
    const uint64_t n = text.size();
    out.write(&n, 8);
    out.write(text.data(), text.size());
    for (const auto& [name, t] : tensors)
        if (t.numel()) out.write(t.raw(), static_cast<size_t>(storage_bytes(t.dtype(), t.numel())));
    out.commit();
}

}  // namespace dit
