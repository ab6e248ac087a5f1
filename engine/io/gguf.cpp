#include "engine/io/gguf.h"

#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <set>

#include "engine/error.h"
#include "engine/io/mapped_file.h"

static_assert(std::endian::native == std::endian::little, "GGUF is read as little-endian");

namespace dit {

namespace fs = std::filesystem;

namespace {

// ggml.h's enum ggml_type, for the types this engine reads and, by name, the ones it refuses.
struct GgmlType {
    uint32_t id;
    const char* name;
    std::optional<DType> dtype;
};
constexpr GgmlType kGgmlTypes[] = {
    {0, "F32", DType::F32},       {1, "F16", DType::F16},       {2, "Q4_0", DType::Q4_0},
    {3, "Q4_1", DType::Q4_1},     {6, "Q5_0", DType::Q5_0},     {7, "Q5_1", DType::Q5_1},
    {8, "Q8_0", DType::Q8_0},     {9, "Q8_1", std::nullopt},    {10, "Q2_K", std::nullopt},
    {11, "Q3_K", std::nullopt},   {12, "Q4_K", DType::Q4_K},    {13, "Q5_K", DType::Q5_K},
    {14, "Q6_K", DType::Q6_K},    {15, "Q8_K", std::nullopt},   {16, "IQ2_XXS", std::nullopt},
    {17, "IQ2_XS", std::nullopt}, {18, "IQ3_XXS", std::nullopt}, {19, "IQ1_S", std::nullopt},
    {20, "IQ4_NL", std::nullopt}, {21, "IQ3_S", std::nullopt},  {22, "IQ2_S", std::nullopt},
    {23, "IQ4_XS", std::nullopt}, {24, "I8", std::nullopt},     {25, "I16", std::nullopt},
    {26, "I32", std::nullopt},    {27, "I64", std::nullopt},    {28, "F64", std::nullopt},
    {29, "IQ1_M", std::nullopt},  {30, "BF16", DType::BF16},    {34, "TQ1_0", std::nullopt},
    {35, "TQ2_0", std::nullopt},  {39, "MXFP4", std::nullopt},
};

// GGUF's metadata value types.
enum ValueType : uint32_t {
    kU8 = 0, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64, kValueTypes
};
constexpr const char* kValueTypeNames[] = {"uint8", "int8",  "uint16", "int16",  "uint32", "int32", "float32",
                                           "bool",  "string", "array", "uint64", "int64",  "float64"};
constexpr uint8_t kScalarBytes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

// ggml's own limits: a longer name or more dimensions is not a file ggml wrote.
constexpr uint64_t kMaxNameBytes = 63;
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxKeyBytes = 65535;
constexpr int kMaxArrayDepth = 4;

std::string number(uint64_t v) { return std::to_string(v); }

template <typename T>
std::string float_text(T v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

}  // namespace

uint32_t ggml_type_id(DType dtype) {
    for (const GgmlType& t : kGgmlTypes)
        if (t.dtype == dtype) return t.id;
    throw Error(std::string("GGUF has no tensor type for ") + dtype_name(dtype));
}

std::optional<DType> dtype_of_ggml_type(uint32_t id) {
    for (const GgmlType& t : kGgmlTypes)
        if (t.id == id) return t.dtype;
    return std::nullopt;
}

struct GgufFile::Impl {
    fs::path path;
    std::shared_ptr<MappedFile> mapping;
    const uint8_t* data = nullptr;  // the data region
    uint64_t data_size = 0;
    uint32_t alignment = kGgufDefaultAlignment;
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, std::string> metadata;

    // The reading position and what is being read, for the messages.
    const uint8_t* bytes = nullptr;
    uint64_t size = 0, pos = 0;

    [[noreturn]] void fail(const std::string& msg) const { throw Error(path.string() + ": " + msg); }
    void need(uint64_t n, const std::string& what) const {
        if (n > size - pos)
            fail("truncated: " + what + " at byte " + number(pos) + " needs " + number(n) +
                 " bytes, but the file ends at byte " + number(size));
    }
    template <typename T>
    T read(const std::string& what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, bytes + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
    std::string read_string(const std::string& what, uint64_t max_bytes) {
        const uint64_t n = read<uint64_t>(what + "'s length");
        if (n > max_bytes) fail(what + " is " + number(n) + " bytes long (at most " + number(max_bytes) + ")");
        if (n > size - pos)
            fail("truncated: " + what + " claims " + number(n) + " bytes, more than the " + number(size - pos) +
                 " bytes left");
        std::string s(reinterpret_cast<const char*>(bytes + pos), size_t(n));
        pos += n;
        return s;
    }
    std::string read_value(uint32_t type, const std::string& key, int depth);
    void read_header();
    void read_tensor_info(std::set<std::string>& names);
};

// Reads one value of `type` and returns it as text (arrays as "[N x TYPE]").
std::string GgufFile::Impl::read_value(uint32_t type, const std::string& key, int depth) {
    const std::string what = "metadata '" + key + "'";
    switch (type) {
        case kU8: return number(read<uint8_t>(what));
        case kI8: return std::to_string(read<int8_t>(what));
        case kU16: return number(read<uint16_t>(what));
        case kI16: return std::to_string(read<int16_t>(what));
        case kU32: return number(read<uint32_t>(what));
        case kI32: return std::to_string(read<int32_t>(what));
        case kU64: return number(read<uint64_t>(what));
        case kI64: return std::to_string(read<int64_t>(what));
        case kF32: return float_text(read<float>(what));
        case kF64: return float_text(read<double>(what));
        case kBool: {
            const uint8_t b = read<uint8_t>(what);
            if (b > 1) fail(what + " is a bool holding " + number(b) + " (0 or 1)");
            return b ? "true" : "false";
        }
        case kString: return read_string(what, UINT64_MAX);
        case kArray: {
            if (depth >= kMaxArrayDepth) fail(what + ": arrays nested deeper than " + number(kMaxArrayDepth));
            const uint32_t elem = read<uint32_t>(what + "'s element type");
            if (elem >= kValueTypes) fail(what + ": unknown array element type " + number(elem));
            const uint64_t n = read<uint64_t>(what + "'s element count");
            // Every element takes at least a byte (strings and arrays more), so a count beyond
            // the bytes left is a lie; checking it first keeps a huge count from looping.
            const uint64_t least = elem == kString || elem == kArray ? 8 : kScalarBytes[elem];
            if (n > (size - pos) / least)
                fail("truncated: " + what + " claims " + number(n) + " " + kValueTypeNames[elem] +
                     " elements, more than the " + number(size - pos) + " bytes left hold");
            if (elem != kString && elem != kArray) {
                pos += n * least;
            } else {
                for (uint64_t i = 0; i < n; ++i) read_value(elem, key + "[" + number(i) + "]", depth + 1);
            }
            std::string text = "[";
            text += number(n);
            text += " x ";
            text += kValueTypeNames[elem];
            return text + "]";
        }
        default: fail(what + " has unknown value type " + number(type));
    }
}

void GgufFile::Impl::read_header() {
    if (std::memcmp(bytes, "GGUF", 4) != 0) {
        std::string seen;
        for (int i = 0; i < 4; ++i) {
            char c[8];
            std::snprintf(c, sizeof c, bytes[i] >= 32 && bytes[i] < 127 ? "%c" : "\\x%02x", bytes[i]);
            seen += c;
        }
        fail("bad magic '" + seen + "': not a GGUF file (it should start with 'GGUF')");
    }
    pos = 4;
    const uint32_t version = read<uint32_t>("version");
    if (version != 3) {
        if (version == 1 || version == 2)
            fail("GGUF version " + number(version) + " is not supported (only version 3); convert it again with a current llama.cpp");
        if (__builtin_bswap32(version) == 3) fail("big-endian GGUF is not supported");
        fail("unknown GGUF version " + number(version) + " (only version 3 is read)");
    }
    const uint64_t n_tensors = read<uint64_t>("tensor count");
    const uint64_t n_kv = read<uint64_t>("metadata count");
    // Each entry takes at least this many bytes, so larger counts cannot fit the file.
    if (n_kv > (size - pos) / 13)
        fail("truncated: the header claims " + number(n_kv) + " metadata entries, more than the file can hold");
    for (uint64_t i = 0; i < n_kv; ++i) {
        const std::string key = read_string("metadata key #" + number(i), kMaxKeyBytes);
        if (key.empty()) fail("metadata key #" + number(i) + " is empty");
        if (metadata.count(key)) fail("metadata key '" + key + "' appears twice");
        const uint32_t type = read<uint32_t>("metadata '" + key + "'s value type");
        if (type >= kValueTypes) fail("metadata '" + key + "' has unknown value type " + number(type));
        const uint64_t at = pos;
        metadata[key] = read_value(type, key, 0);
        if (key == "general.alignment") {
            if (type != kU32) fail(std::string("metadata 'general.alignment' should be a uint32, found ") + kValueTypeNames[type]);
            uint32_t a;
            std::memcpy(&a, bytes + at, 4);
            if (a == 0 || (a & (a - 1)) != 0)
                fail("metadata 'general.alignment' is " + number(a) + ", not a power of two");
            alignment = a;
        }
    }
    if (n_tensors > (size - pos) / 32)
        fail("truncated: the header claims " + number(n_tensors) + " tensors, more than the file can hold");
    std::set<std::string> names;
    for (uint64_t i = 0; i < n_tensors; ++i) read_tensor_info(names);
    const uint64_t data_start = (pos + alignment - 1) / alignment * alignment;
    if (data_start > size && n_tensors)
        fail("truncated: the data region would start at byte " + number(data_start) + ", past the end (" +
             number(size) + " bytes)");
    data = bytes + std::min(data_start, size);
    data_size = size - std::min(data_start, size);
    for (const auto& [name, info] : tensors)
        if (info.end > data_size)
            fail("tensor '" + name + "': bytes [" + number(info.begin) + ", " + number(info.end) +
                 ") of the data region run past the end of the file (the region holds " + number(data_size) +
                 " bytes)");
    if (const std::string overlap = find_overlap(tensors); !overlap.empty()) fail(overlap);
}

void GgufFile::Impl::read_tensor_info(std::set<std::string>& names) {
    const std::string name = read_string("tensor #" + number(tensors.size()) + "'s name", kMaxNameBytes);
    const std::string t = "tensor '" + name + "': ";
    if (name.empty()) fail("tensor #" + number(tensors.size()) + " has an empty name");
    if (!names.insert(name).second) fail(t + "the name appears twice in the tensor table");
    const uint32_t n_dims = read<uint32_t>(t + "dimension count");
    if (n_dims == 0 || n_dims > kMaxDims)
        fail(t + number(n_dims) + " dimensions (GGUF tensors have 1 to " + number(kMaxDims) + ")");
    TensorInfo info;
    uint64_t dims[kMaxDims] = {};
    uint64_t numel = 1;
    bool absurd = false;
    std::string dims_text;
    for (uint32_t d = 0; d < n_dims; ++d) {
        dims[d] = read<uint64_t>(t + "dimension " + number(d));
        dims_text += (d ? ", " : "") + number(dims[d]);
        absurd |= dims[d] > uint64_t(INT64_MAX) || __builtin_mul_overflow(numel, dims[d], &numel);
    }
    if (absurd || numel > (uint64_t(1) << 48))
        fail(t + "absurd dimensions [" + dims_text + "] (more than 2^48 values)");
    for (uint32_t d = n_dims; d-- > 0;) info.shape.push_back(int64_t(dims[d]));
    const uint32_t type = read<uint32_t>(t + "type");
    const GgmlType* known = nullptr;
    for (const GgmlType& g : kGgmlTypes)
        if (g.id == type) known = &g;
    if (!known) fail(t + "unknown ggml type " + number(type));
    if (!known->dtype)
        fail(t + "type " + known->name + " is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, "
                                          "Q5_K, Q6_K)");
    info.dtype = *known->dtype;
    const int64_t bs = kernels::block_size(info.dtype);
    if (dims[0] % uint64_t(bs) != 0)
        fail(t + "rows of " + number(dims[0]) + " values are not whole " + known->name + " blocks of " + number(bs));
    info.begin = read<uint64_t>(t + "offset");
    if (info.begin % alignment != 0)
        fail(t + "offset " + number(info.begin) + " is not a multiple of the alignment " + number(alignment));
    const uint64_t bytes_needed = uint64_t(kernels::storage_bytes(info.dtype, int64_t(numel)));
    if (info.begin > size || bytes_needed > size - info.begin)
        fail(t + "offset " + number(info.begin) + " + " + number(bytes_needed) + " bytes runs past the end of the file (" +
             number(size) + " bytes)");
    info.end = info.begin + bytes_needed;
    tensors[name] = std::move(info);
}

GgufFile::GgufFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GgufFile::~GgufFile() = default;

std::shared_ptr<GgufFile> GgufFile::open(const fs::path& path) {
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    impl->mapping = MappedFile::open(path, 24, "24-byte GGUF header (magic, version, tensor and metadata counts)");
    impl->bytes = impl->mapping->bytes();
    impl->size = impl->mapping->size();
    impl->read_header();
    return std::shared_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

const fs::path& GgufFile::path() const { return impl_->path; }
const std::map<std::string, TensorInfo>& GgufFile::tensors() const { return impl_->tensors; }
const std::map<std::string, std::string>& GgufFile::metadata() const { return impl_->metadata; }
uint32_t GgufFile::alignment() const { return impl_->alignment; }

Tensor GgufFile::load(const std::string& name) const {
    const auto it = impl_->tensors.find(name);
    if (it == impl_->tensors.end()) impl_->fail("no tensor named '" + name + "'");
    const TensorInfo& info = it->second;
    if (shape_numel(info.shape) == 0) return Tensor(info.shape);
    const uint8_t* src = impl_->data + info.begin;
    const Tensor view = Tensor::view(src, info.dtype, info.shape, impl_->mapping);
    // An alignment below 4 can leave an f32 tensor misaligned; a copy is aligned.
    return reinterpret_cast<uintptr_t>(src) % kernels::dtype_alignment(info.dtype) == 0 ? view : view.clone();
}

}  // namespace dit
