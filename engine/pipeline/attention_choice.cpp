#include "engine/pipeline/attention_choice.h"

#include <charconv>

#include "engine/error.h"

namespace dit {
namespace {

// 0: full, -1: auto, G > 0: grouped in G x G tokens.
int64_t parse(const std::string& setting) {
    if (setting == "full") return 0;
    if (setting == "auto") return -1;
    if (setting == "grouped") return kDefaultGratGroup;
    const std::string prefix = "grouped:";
    if (setting.rfind(prefix, 0) == 0) {
        int64_t g = 0;
        const char* begin = setting.data() + prefix.size();
        const char* end = setting.data() + setting.size();
        const auto [ptr, ec] = std::from_chars(begin, end, g);
        if (ec == std::errc() && ptr == end && begin != end) {
            if (g < 1) throw Error("attention '" + setting + "': the group size must be at least 1 token");
            return g;
        }
    }
    throw Error("attention '" + setting + "': expected full, grouped, grouped:G (G tokens a side) or auto");
}

}  // namespace

void check_attention_setting(const std::string& setting) { (void)parse(setting); }

int64_t grat_group_for(const std::string& setting, int64_t grid_h, int64_t grid_w, int64_t pixels_per_token) {
    const int64_t g = parse(setting);
    if (g < 0)
        return grid_h * grid_w >= kAutoGratTokens && grid_h % kDefaultGratGroup == 0 && grid_w % kDefaultGratGroup == 0
                   ? kDefaultGratGroup
                   : 0;
    if (g > 0 && (grid_h % g != 0 || grid_w % g != 0))
        throw Error("attention '" + setting + "': the group size " + std::to_string(g) + " does not divide the " +
                    std::to_string(grid_w) + "x" + std::to_string(grid_h) + " token grid of a " +
                    std::to_string(grid_w * pixels_per_token) + "x" + std::to_string(grid_h * pixels_per_token) +
                    " image");
    return g;
}

}  // namespace dit
