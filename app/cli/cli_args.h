#pragma once
// A small, strict argument reader for dit-cli's subcommands: every unknown flag or malformed
// value is an error naming the flag, so a typo never silently runs with a default.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace dit::cli {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args {
public:
    // `flags` take a value (--steps 20 or --steps=20); `switches` take none (--quiet).
    Args(const std::vector<std::string>& argv, const std::set<std::string>& flags,
         const std::set<std::string>& switches);

    bool has(const std::string& flag) const { return values_.count(flag) > 0; }
    bool on(const std::string& sw) const { return switches_.count(sw) > 0; }
    std::string str(const std::string& flag, const std::string& fallback = "") const;
    std::optional<std::string> opt(const std::string& flag) const;
    int integer(const std::string& flag, int fallback) const;
    float number(const std::string& flag, float fallback) const;
    uint64_t u64(const std::string& flag, uint64_t fallback) const;

private:
    std::map<std::string, std::string> values_;
    std::set<std::string> switches_;
};

// --backend NAME, or its synonym --device NAME (not both): cpu | cpu-reference | cuda | auto.
// Commands that take it list both flags.
std::string backend_arg(const Args& args, const std::string& fallback = "cpu");
// Its line in each command's usage text (a literal, so it joins the usage's literals).
#define DIT_CLI_BACKEND_HELP                                                                       \
    "  --backend NAME       cpu | cpu-reference | cuda | auto (cuda when a GPU can run it;\n"      \
    "                       default cpu); --device NAME is the same flag\n"

// --cache off|teacache:THRESH (step caching, engine/models/step_cache.h), checked here so a bad
// value is a usage error naming the flag before any model loads.
std::string cache_arg(const Args& args);
#define DIT_CLI_CACHE_HELP                                                                         \
    "  --cache SETTING      step caching: off | teacache:THRESH (THRESH >= 0; 0 never skips; default\n" \
    "                       off). Skips the block stack on steps whose modulated input changed less\n" \
    "                       than THRESH since it last ran (docs/benchmarks.md #21); no lazy inpainting\n"
// --attention full|grouped[:G]|auto (issue 21, engine/pipeline/attention_choice.h), checked.
std::string attention_arg(const Args& args);
#define DIT_CLI_ATTENTION_HELP                                                                     \
    "  --attention MODE     self-attention: full | grouped[:G] (GRAT in G x G token groups, G\n"   \
    "                       dividing width/16 and height/16; default 8) | auto (default: grouped\n"\
    "                       from 256x256 tokens, a 4096 px image, full below)\n"

}  // namespace dit::cli
