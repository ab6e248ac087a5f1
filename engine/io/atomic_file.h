#pragma once
// A file written beside its destination under a unique temporary name and renamed over it only
// when complete, so a reader never sees half a checkpoint and a failed write leaves the old file.
#include <cstddef>
#include <filesystem>

namespace dit {

class AtomicFile {
public:
    // Throws dit::Error "<path>: cannot write: <reason>".
    explicit AtomicFile(std::filesystem::path path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();  // removes the temporary file unless commit() succeeded

    void write(const void* data, size_t bytes);
    void commit();  // closes and renames; throws dit::Error naming the destination

private:
    [[noreturn]] void fail(int err);
    std::filesystem::path path_, tmp_;
    int fd_ = -1;
    bool committed_ = false;
};

}  // namespace dit
