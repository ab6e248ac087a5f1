#include "engine/io/config_fields.h"

#include "engine/error.h"

namespace dit::config_fields {

std::string where(const Config& c, const std::string& field) {
    return c.file().string() + ": field '" + field + "'";
}

int int_in(const Config& c, const std::string& field, int64_t fallback, int64_t lo, int64_t hi) {
    const int64_t v = c.get_int(field, fallback);
    if (v < lo || v > hi)
        throw Error(where(c, field) + " is " + std::to_string(v) + "; expected " + std::to_string(lo) + ".." +
                    std::to_string(hi));
    return static_cast<int>(v);
}

void require_string(const Config& c, const std::string& field, const std::string& supported) {
    if (!c.has(field)) return;
    const std::string v = c.get_string(field);
    if (v != supported)
        throw Error(where(c, field) + " is \"" + v + "\"; only \"" + supported + "\" is supported");
}

void require_bool(const Config& c, const std::string& field, bool supported) {
    if (c.has(field) && c.get_bool(field, supported) != supported)
        throw Error(where(c, field) + " is " + (supported ? "false" : "true") + "; only " +
                    (supported ? "true" : "false") + " is supported");
}

}  // namespace dit::config_fields
