#pragma once
// Running the peer a benchmark compares against (a PyTorch script) and reading its answer: the
// script prints "key value" lines; a failed command is an error carrying its output.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace dit::bench {

// The interpreter of the GPU benchmarks' PyTorch side: $DIT_PYTHON, else python3 from PATH (the
// GPU machine's PyTorch with CUDA; on Debian, /usr/bin/python3 has PyTorch for the CPU).
inline std::string python() {
    const char* p = std::getenv("DIT_PYTHON");
    return p && *p ? p : "python3";
}

inline std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run: " + cmd);
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    if (pclose(p) != 0) throw std::runtime_error("command failed: " + cmd + "\n" + out);
    return out;
}

inline std::string field(const std::string& text, const std::string& key) {
    auto at = text.find(key + " ");
    if (at == std::string::npos) throw std::runtime_error("no '" + key + "' in:\n" + text);
    auto end = text.find('\n', at);
    return text.substr(at + key.size() + 1, end - at - key.size() - 1);
}

}  // namespace dit::bench
