#include "engine/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/error.h"

namespace dit {

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
    // Unique per process and call, in the destination's folder so the rename cannot cross file
    // systems.
    static std::atomic<unsigned> counter{0};
    tmp_ = path_.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(path_.string() + ": cannot write: " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) std::remove(tmp_.c_str());
}

void AtomicFile::fail(int err) {
    throw Error(path_.string() + ": cannot write: " + std::strerror(err ? err : EIO));
}

void AtomicFile::write(const void* data, size_t bytes) {
    const char* c = static_cast<const char*>(data);
    while (bytes) {
        const ssize_t w = ::write(fd_, c, bytes);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fail(errno);
        c += w;
        bytes -= static_cast<size_t>(w);
    }
}

void AtomicFile::commit() {
    const int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0 || std::rename(tmp_.c_str(), path_.c_str()) != 0) fail(errno);
    committed_ = true;
}

}  // namespace dit
