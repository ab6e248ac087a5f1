#pragma once
// What every benchmark prints about the machine it ran on.
#include <fstream>
#include <string>

namespace dit::bench {

inline std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown CPU";
}

}  // namespace dit::bench
