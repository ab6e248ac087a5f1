#pragma once
// Checked reads of a component's config.json fields, shared by the model configs (PixArt, Sana):
// every refusal names the file and the field.
#include <cstdint>
#include <string>

#include "engine/io/config.h"

namespace dit::config_fields {

// "<file>: field '<field>'"
std::string where(const Config& c, const std::string& field);
// An integer in [lo, hi]; `fallback` when absent or null.
int int_in(const Config& c, const std::string& field, int64_t fallback, int64_t lo, int64_t hi);
// A field the model does not implement alternatives for: absent/null is fine, anything else
// than the supported value is refused rather than silently computed differently.
void require_string(const Config& c, const std::string& field, const std::string& supported);
void require_bool(const Config& c, const std::string& field, bool supported);

}  // namespace dit::config_fields
