#include "engine/io/gguf_writer.h"

#include <cstring>

#include "engine/error.h"
#include "engine/io/atomic_file.h"
#include "engine/io/gguf.h"

namespace dit {

namespace {

constexpr uint32_t kString = 8;

void put_u32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
void put_u64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
void put_string(std::string& out, const std::string& s) {
    put_u64(out, s.size());
    out += s;
}

}  // namespace

void save_gguf(const std::filesystem::path& path, const std::map<std::string, Tensor>& tensors,
               const std::map<std::string, std::string>& metadata) {
    const std::string where = path.string() + ": ";
    const uint64_t align = kGgufDefaultAlignment;
    std::string head = "GGUF";
    put_u32(head, 3);
    put_u64(head, tensors.size());
    put_u64(head, metadata.size());
    for (const auto& [key, value] : metadata) {
        put_string(head, key);
        put_u32(head, kString);
        put_string(head, value);
    }
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        const std::string at = where + "tensor '" + name + "': ";
        if (name.empty() || name.size() > 63) throw Error(at + "GGUF names are 1 to 63 bytes long");
        if (t.scale() != 1.0f) throw Error(at + "a scaled tensor has no GGUF type");
        if (t.device()) throw Error(at + "is in device memory");
        uint32_t type;
        try {
            type = ggml_type_id(t.dtype());
        } catch (const Error& e) {
            throw Error(at + e.what());
        }
        if (t.ndim() < 1 || t.ndim() > 4) throw Error(at + "GGUF tensors have 1 to 4 dimensions, not " + std::to_string(t.ndim()));
        if (t.dim(-1) % block_size(t.dtype()) != 0)
            throw Error(at + "rows of " + std::to_string(t.dim(-1)) + " values are not whole " + dtype_name(t.dtype()) + " blocks");
        put_string(head, name);
        put_u32(head, uint32_t(t.ndim()));
        for (int d = t.ndim() - 1; d >= 0; --d) put_u64(head, uint64_t(t.dim(d)));  // innermost first
        put_u32(head, type);
        put_u64(head, offset);
        offset += (uint64_t(storage_bytes(t.dtype(), t.numel())) + align - 1) / align * align;
    }
    head.append((align - head.size() % align) % align, '\0');

    AtomicFile out(path);
    out.write(head.data(), head.size());
    const std::string zeros(align, '\0');
    uint64_t written = 0;
    for (const auto& [name, t] : tensors) {
        const uint64_t bytes = uint64_t(storage_bytes(t.dtype(), t.numel()));
        if (bytes) out.write(t.raw(), bytes);
        written += bytes;
        out.write(zeros.data(), (align - written % align) % align);
        written += (align - written % align) % align;
    }
    out.commit();
}

}  // namespace dit
