#include "engine/io/weight_file.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <vector>

#include "engine/io/gguf.h"
#include "engine/io/safetensors.h"

namespace dit {

std::shared_ptr<WeightFile> WeightFile::open(const std::filesystem::path& path) {
    char magic[4] = {};
    std::ifstream(path, std::ios::binary).read(magic, 4);
    if (std::memcmp(magic, "GGUF", 4) == 0) return GgufFile::open(path);
    return SafetensorsFile::open(path);
}

std::string find_overlap(const std::map<std::string, TensorInfo>& tensors) {
    // Sorted by begin, a range that starts before the furthest end seen so far overlaps.
    std::vector<std::pair<const std::string*, const TensorInfo*>> order;
    for (const auto& [name, info] : tensors)
        if (info.end > info.begin) order.push_back({&name, &info});
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        return a.second->begin != b.second->begin ? a.second->begin < b.second->begin : *a.first < *b.first;
    });
    const std::string* reach_name = nullptr;
    const TensorInfo* reach = nullptr;
    for (const auto& [name, info] : order) {
        if (reach && info->begin < reach->end)
            return "tensors '" + *reach_name + "' [" + std::to_string(reach->begin) + ", " +
                   std::to_string(reach->end) + ") and '" + *name + "' [" + std::to_string(info->begin) + ", " +
                   std::to_string(info->end) + ") overlap in the data region";
        if (!reach || info->end > reach->end) reach = info, reach_name = name;
    }
    return "";
}

}  // namespace dit
