#include "app/cli/status_line.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace dit::cli {
namespace {

std::mutex mutex;
bool open = false;

}  // namespace

void status_line(const char* format, ...) {
    std::lock_guard lock(mutex);
    std::fputc('\r', stderr);
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fflush(stderr);
    open = true;
}

void end_status_line() {
    std::lock_guard lock(mutex);
    if (!open) return;
    std::fputc('\n', stderr);
    std::fflush(stderr);
    open = false;
}

}  // namespace dit::cli
