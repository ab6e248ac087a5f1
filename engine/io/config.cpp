#include "engine/io/config.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <fstream>
#include <sstream>

#include "engine/error.h"

namespace dit {

namespace fs = std::filesystem;
using Json = nlohmann::json;  // not `json`: Config::json() would hide it in member functions

namespace {

// "string \"abc\"", "number 8.5", "array" ... : what a wrongly typed field actually holds.
std::string describe(const Json& v) {
    if (v.is_string() || v.is_number() || v.is_boolean()) {
        std::string s = v.dump();
        if (s.size() > 40) s = s.substr(0, 37) + "...";
        return std::string(v.is_string() ? "string " : v.is_boolean() ? "boolean " : "number ") + s;
    }
    return v.type_name();
}

// Integers written as integral floats (8.0) are accepted: some exporters write every number
// as a float.
bool to_int(const Json& v, int64_t& out) {
    if (v.is_number_integer()) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) return false;
        out = v.get<int64_t>();
        return true;
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e18) {
            out = static_cast<int64_t>(d);
            return true;
        }
    }
    return false;
}

// Line and column (1-based) of the byte nlohmann stopped at; it reports the count of bytes
// read, so the offending byte is the one before that count.
std::pair<size_t, size_t> line_col(const std::string& text, size_t bytes_read) {
    const size_t pos = bytes_read ? std::min(bytes_read - 1, text.size()) : 0;
    size_t line = 1, line_start = 0;
    for (size_t i = 0; i < pos; ++i)
        if (text[i] == '\n') ++line, line_start = i + 1;
    return {line, pos - line_start + 1};
}

}  // namespace

Config::Config(Json j, fs::path file) : j_(std::move(j)), file_(std::move(file)) {}

namespace {

// Python's json module writes the non-standard literals Infinity, -Infinity and NaN (PixArt's
// scheduler_config.json has "lambda_min_clipped": -Infinity), which strict JSON parsers refuse.
// Outside strings they become marker strings here and numbers again after parsing.
const char* const kNonFinite[] = {"-Infinity", "Infinity", "NaN"};
constexpr const char* kMarker = "\\u0001nonfinite:";  // JSON escape; parses to "\x01nonfinite:"

std::string quote_non_finite(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < text.size()) out += text[++i];
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') in_string = true;
        bool replaced = false;
        for (const char* lit : kNonFinite) {
            const size_t n = std::strlen(lit);
            if (text.compare(i, n, lit) == 0) {
                out += std::string("\"") + kMarker + lit + "\"";
                i += n - 1;
                replaced = true;
                break;
            }
        }
        if (!replaced) out += c;
    }
    return out;
}

void restore_non_finite(Json& j) {
    if (j.is_string()) {
        const std::string& s = j.get_ref<const std::string&>();
        if (s.rfind("\x01nonfinite:", 0) != 0) return;
        const std::string lit = s.substr(11);
        const double inf = std::numeric_limits<double>::infinity();
        j = lit == "NaN" ? std::numeric_limits<double>::quiet_NaN() : lit == "-Infinity" ? -inf : inf;
    } else if (j.is_structured()) {
        for (auto& v : j) restore_non_finite(v);
    }
}

}  // namespace

Config Config::read(const fs::path& file) {
    const std::string where = file.string() + ": ";
    std::error_code ec;
    if (!fs::exists(file, ec)) throw Error(where + "file is missing");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(where + "cannot open the file");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = quote_non_finite(ss.str());
    Json j;
    try {
        j = Json::parse(text);
        restore_non_finite(j);
    } catch (const Json::parse_error& e) {
        const auto [line, col] = line_col(text, e.byte);
        // nlohmann's text reads "[json.exception...] parse error at line L, column C: <reason>";
        // keep only the reason, the position is ours.
        std::string reason = e.what();
        const size_t c = reason.find("column ");
        const size_t colon = c == std::string::npos ? c : reason.find(": ", c);
        if (colon != std::string::npos) reason = reason.substr(colon + 2);
        throw Error(where + "invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(col) +
                    ": " + reason);
    } catch (const Json::exception& e) {
        // Valid syntax nlohmann still refuses, e.g. a number too large for a double.
        const std::string what = e.what();
        const size_t close = what.find("] ");
        throw Error(where + "invalid JSON: " + (close == std::string::npos ? what : what.substr(close + 2)));
    }
    if (!j.is_object()) throw Error(where + "should hold a JSON object, found " + describe(j));
    return Config(std::move(j), file);
}

bool Config::has(const std::string& key) const {
    const auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
}

namespace {

const Json& require(const Json& j, const fs::path& file, const std::string& key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) throw Error(file.string() + ": field '" + key + "' is missing");
    return *it;
}

[[noreturn]] void wrong_type(const fs::path& file, const std::string& key, const char* want, const Json& v) {
    throw Error(file.string() + ": field '" + key + "' should be " + want + ", found " + describe(v));
}

}  // namespace

int64_t Config::get_int(const std::string& key) const {
    const Json& v = require(j_, file_, key);
    int64_t out;
    if (!to_int(v, out)) wrong_type(file_, key, "an integer", v);
    return out;
}

int64_t Config::get_int(const std::string& key, int64_t fallback) const {
    return has(key) ? get_int(key) : fallback;
}

double Config::get_float(const std::string& key) const {
    const Json& v = require(j_, file_, key);
    if (!v.is_number()) wrong_type(file_, key, "a number", v);
    return v.get<double>();
}

double Config::get_float(const std::string& key, double fallback) const {
    return has(key) ? get_float(key) : fallback;
}

bool Config::get_bool(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const Json& v = j_.at(key);
    if (!v.is_boolean()) wrong_type(file_, key, "true or false", v);
    return v.get<bool>();
}

std::string Config::get_string(const std::string& key) const {
    const Json& v = require(j_, file_, key);
    if (!v.is_string()) wrong_type(file_, key, "a string", v);
    return v.get<std::string>();
}

std::string Config::get_string(const std::string& key, const std::string& fallback) const {
    return has(key) ? get_string(key) : fallback;
}

std::vector<int64_t> Config::get_ints(const std::string& key) const {
    const Json& v = require(j_, file_, key);
    if (!v.is_array()) wrong_type(file_, key, "a list of integers", v);
    std::vector<int64_t> out;
    for (size_t i = 0; i < v.size(); ++i) {
        int64_t x;
        if (!to_int(v[i], x))
            throw Error(file_.string() + ": field '" + key + "' should be a list of integers, found " +
                        describe(v[i]) + " at index " + std::to_string(i));
        out.push_back(x);
    }
    return out;
}

std::vector<std::string> Config::get_strings(const std::string& key) const {
    const Json& v = require(j_, file_, key);
    if (!v.is_array()) wrong_type(file_, key, "a list of strings", v);
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string())
            throw Error(file_.string() + ": field '" + key + "' should be a list of strings, found " +
                        describe(v[i]) + " at index " + std::to_string(i));
        out.push_back(v[i].get<std::string>());
    }
    return out;
}

DiffusersFolder::DiffusersFolder(fs::path root, Config index) : root_(std::move(root)), index_(std::move(index)) {}

DiffusersFolder DiffusersFolder::open(const fs::path& root) {
    std::error_code ec;
    if (!fs::exists(root, ec)) throw Error(root.string() + ": folder not found");
    if (!fs::is_directory(root, ec)) throw Error(root.string() + ": not a folder; expected a diffusers model folder");
    if (!fs::is_regular_file(root / "model_index.json", ec))
        throw Error(root.string() + ": not a diffusers model folder: model_index.json is missing");
    return DiffusersFolder(root, Config::read(root / "model_index.json"));
}

namespace {

// Components are the keys not starting with "_" ("_class_name", "_diffusers_version" are
// metadata); an entry is [library, class], with [null, null] for a component left out.
const Json* component_entry(const Config& index, const std::string& name) {
    if (name.empty() || name[0] == '_') return nullptr;
    const auto it = index.json().find(name);
    if (it == index.json().end()) return nullptr;
    return &*it;
}

std::string listed_components(const Config& index) {
    std::string out;
    for (const auto& [k, v] : index.json().items())
        if (!k.empty() && k[0] != '_') out += (out.empty() ? "" : ", ") + k;
    return out.empty() ? "none" : out;
}

}  // namespace

fs::path DiffusersFolder::component(const std::string& name) const {
    const Json* e = component_entry(index_, name);
    if (!e)
        throw Error(index_.file().string() + ": no component '" + name + "' (listed: " +
                    listed_components(index_) + ")");
    if (e->is_array() && !e->empty() && (*e)[0].is_null())
        throw Error(index_.file().string() + ": component '" + name + "' is not included in this model");
    const fs::path dir = root_ / name;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw Error(dir.string() + ": component folder is missing (listed in model_index.json)");
    return dir;
}

std::string DiffusersFolder::component_class(const std::string& name) const {
    const Json* e = component_entry(index_, name);
    if (!e)
        throw Error(index_.file().string() + ": no component '" + name + "' (listed: " +
                    listed_components(index_) + ")");
    if (!e->is_array() || e->size() != 2 || !(*e)[1].is_string())
        throw Error(index_.file().string() + ": component '" + name +
                    "' should be [library, class name], found " + e->dump());
    return (*e)[1].get<std::string>();
}

}  // namespace dit
