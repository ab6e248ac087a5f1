#include "engine/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "engine/error.h"
#include "kernels/cpu/ops.h"

namespace dit {

namespace fs = std::filesystem;

namespace {

// Live mappings by base address, for release_pages().
std::mutex mappings_mutex;
std::map<uintptr_t, uint64_t> mappings;

}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const fs::path& path, uint64_t min_bytes, const char* what) {
    const std::string where = path.string() + ": ";
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(where + "file not found");
    if (fs::is_directory(path, ec)) throw Error(where + "is a folder, not a weight file");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(where + "cannot open: " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw Error(where + "cannot stat: " + std::strerror(err));
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size < min_bytes) {
        ::close(fd);
        throw Error(where + "truncated: the file is " + std::to_string(size) + " bytes, shorter than the " + what);
    }
    void* base = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int map_err = errno;
    ::close(fd);  // the mapping stays valid without the descriptor
    if (base == MAP_FAILED) throw Error(where + "cannot map the file: " + std::strerror(map_err));
    {
        std::lock_guard lock(mappings_mutex);
        mappings[reinterpret_cast<uintptr_t>(base)] = size;
    }
    return std::shared_ptr<MappedFile>(new MappedFile(base, size));
}

MappedFile::~MappedFile() {
    kernels::weights_unmapped(base_, size_);  // device copies of these weights go too
    {
        std::lock_guard lock(mappings_mutex);
        mappings.erase(reinterpret_cast<uintptr_t>(base_));
    }
    munmap(base_, size_);
}

void MappedFile::release_pages(const void* p, uint64_t bytes) noexcept {
    const auto begin = reinterpret_cast<uintptr_t>(p), end = begin + bytes;
    std::lock_guard lock(mappings_mutex);
    auto it = mappings.upper_bound(begin);
    if (it == mappings.begin()) return;
    --it;
    if (end > it->first + it->second) return;  // not wholly inside one mapping
    // Only whole pages inside the range: a neighbour's bytes on a shared page stay resident.
    const auto page = uintptr_t(sysconf(_SC_PAGESIZE));
    const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace dit
