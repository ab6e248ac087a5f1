#pragma once
// JSON configs (model_index.json, */config.json, scheduler_config.json): parse errors and
// wrong or missing fields name the file and the field.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dit {

class Config {
public:
    static Config read(const std::filesystem::path& file);  // throws dit::Error naming the file
    Config(nlohmann::json j, std::filesystem::path file);

    bool has(const std::string& key) const;  // present and not null
    int64_t get_int(const std::string& key) const;
    int64_t get_int(const std::string& key, int64_t fallback) const;
    double get_float(const std::string& key) const;
    double get_float(const std::string& key, double fallback) const;
    bool get_bool(const std::string& key, bool fallback) const;
    std::string get_string(const std::string& key) const;
    std::string get_string(const std::string& key, const std::string& fallback) const;
    std::vector<int64_t> get_ints(const std::string& key) const;
    std::vector<std::string> get_strings(const std::string& key) const;

    const nlohmann::json& json() const { return j_; }
    const std::filesystem::path& file() const { return file_; }

private:
    nlohmann::json j_;
    std::filesystem::path file_;
};

// A diffusers pipeline folder: model_index.json maps component names to [library, class].
class DiffusersFolder {
public:
    static DiffusersFolder open(const std::filesystem::path& root);  // needs model_index.json
    const std::filesystem::path& root() const { return root_; }
    const Config& model_index() const { return index_; }
    // The component's folder; throws naming the folder when model_index.json lists it but it is
    // missing, or when it is not listed.
    std::filesystem::path component(const std::string& name) const;
    // The class name model_index.json gives for the component ("PixArtTransformer2DModel").
    std::string component_class(const std::string& name) const;

private:
    std::filesystem::path root_;
    Config index_;
    DiffusersFolder(std::filesystem::path root, Config index);
};

}  // namespace dit
