#pragma once
// What every model's config reader and forward pass share: errors that name the config file and
// the field, the range check on integer fields, and the poll of the caller's cancel flag.
#include <cstdint>
#include <functional>
#include <string>

#include "engine/error.h"
#include "engine/io/config.h"

namespace dit {

// "<config file>: <field>", the start of every config error.
inline std::string config_where(const Config& c, const std::string& field) { return c.file().string() + ": " + field; }

// v as an int when 1 <= v <= limit; otherwise an error naming the file and the field.
inline int config_in_range(const Config& c, const char* field, int64_t v, int64_t limit) {
    if (v < 1 || v > limit)
        throw Error(config_where(c, field) + " is " + std::to_string(v) + "; it must be between 1 and " +
                    std::to_string(limit));
    return static_cast<int>(v);
}

// Throws dit::Cancelled when the caller's flag says stop (checked between blocks or layers).
inline void poll_cancelled(const std::function<bool()>* cancelled) {
    if (cancelled && *cancelled && (*cancelled)()) throw Cancelled();
}

}  // namespace dit
