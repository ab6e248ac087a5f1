#pragma once
// A whole file mapped read-only: the checkpoints' tensors are views into it, kept alive by a
// shared_ptr to the mapping, and device backends forget their copies when it goes away.
#include <cstdint>
#include <filesystem>
#include <memory>

namespace dit {

class MappedFile {
public:
    // Throws dit::Error naming the file: missing, a folder, unreadable, or shorter than
    // `min_bytes` (then `what` says what the first bytes should have been).
    static std::shared_ptr<MappedFile> open(const std::filesystem::path& path, uint64_t min_bytes, const char* what);
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    const uint8_t* bytes() const { return static_cast<const uint8_t*>(base_); }
    uint64_t size() const { return size_; }

    // Hands the pages of [p, p + bytes) back to the kernel when they lie in a live mapping: the
    // process's resident memory drops, and a later read faults them in again from the file (or
    // the page cache). Memory outside every mapping is left alone (an owned copy would lose its
    // contents). The low-VRAM mode's T5 calls this after each block on the CPU.
    static void release_pages(const void* p, uint64_t bytes) noexcept;

private:
    MappedFile(void* base, uint64_t size) : base_(base), size_(size) {}
    void* base_ = nullptr;
    uint64_t size_ = 0;
};

}  // namespace dit
