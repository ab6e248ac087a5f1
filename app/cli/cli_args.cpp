#include "app/cli/cli_args.h"

#include <charconv>
#include <stdexcept>

#include "engine/error.h"
#include "engine/models/step_cache.h"
#include "engine/pipeline/attention_choice.h"

namespace dit::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& flags,
           const std::set<std::string>& switches) {
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + a + "'");
        std::string value;
        bool inline_value = false;
        if (auto eq = a.find('='); eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
            inline_value = true;
        }
        const std::string name = a.substr(2);
        if (switches.count(name)) {
            if (inline_value) throw UsageError("--" + name + " takes no value");
            switches_.insert(name);
        } else if (flags.count(name)) {
            if (!inline_value) {
                if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value");
                value = argv[++i];
            }
            if (values_.count(name)) throw UsageError("--" + name + " given twice");
            values_[name] = value;
        } else {
            throw UsageError("unknown option --" + name);
        }
    }
}

std::string Args::str(const std::string& flag, const std::string& fallback) const {
    auto it = values_.find(flag);
    return it == values_.end() ? fallback : it->second;
}

std::optional<std::string> Args::opt(const std::string& flag) const {
    auto it = values_.find(flag);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

template <typename T>
static T parse(const std::string& flag, const std::string& text, const char* what) {
    T v{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        throw UsageError("--" + flag + ": expected " + what + ", got '" + text + "'");
    return v;
}

int Args::integer(const std::string& flag, int fallback) const {
    auto v = opt(flag);
    return v ? parse<int>(flag, *v, "an integer") : fallback;
}

float Args::number(const std::string& flag, float fallback) const {
    auto v = opt(flag);
    return v ? parse<float>(flag, *v, "a number") : fallback;
}

uint64_t Args::u64(const std::string& flag, uint64_t fallback) const {
    auto v = opt(flag);
    return v ? parse<uint64_t>(flag, *v, "a non-negative integer") : fallback;
}

std::string backend_arg(const Args& args, const std::string& fallback) {
    if (args.has("backend") && args.has("device"))
        throw UsageError("--backend and --device are the same flag; give one of them");
    return args.has("device") ? args.str("device") : args.str("backend", fallback);
}

std::string cache_arg(const Args& args) {
    const std::string value = args.str("cache", "off");
    try {
        StepCacheSetting::parse(value);
    } catch (const Error& e) {
        throw UsageError(std::string("--cache: ") + e.what());
    }
    return value;
}

std::string attention_arg(const Args& args) {
    const std::string setting = args.str("attention", "auto");
    try {
        check_attention_setting(setting);
    } catch (const Error& e) {
        throw UsageError(std::string("--") + e.what());
    }
    return setting;
}

}  // namespace dit::cli
