#include "studio/install_paths.h"

#include <cstdlib>
#include <system_error>

namespace dit::studio {
namespace {

namespace fs = std::filesystem;

// Candidate roots of shipped data, most specific first: the installed share folder, then the
// source tree seen from build/<layer>/ or build/, then the tree this binary was built from.
std::vector<fs::path> data_roots() {
    std::vector<fs::path> roots;
    const fs::path exe = executable_dir();
    if (!exe.empty()) {
        roots.push_back(exe / ".." / "share" / "dit-studio");
        roots.push_back(exe / "..");
        roots.push_back(exe / ".." / "..");
    }
#ifdef DIT_SOURCE_DIR
    roots.push_back(DIT_SOURCE_DIR);
#endif
    return roots;
}

fs::path clean(const fs::path& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? p.lexically_normal() : c;
}

}  // namespace

fs::path executable_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
}

fs::path default_model_dir() {
    if (const char* env = std::getenv("DIT_DEFAULT_MODEL"); env && *env) return env;
    for (const fs::path& root : data_roots()) {
        // Installed: share/dit-studio/models/default; source tree: resources/models/default.
        for (const fs::path& dir : {root / "models" / "default", root / "resources" / "models" / "default"}) {
            std::error_code ec;
            if (fs::is_regular_file(dir / "model_index.json", ec)) return clean(dir);
        }
    }
    return {};
}

std::vector<fs::path> shipped_data_dirs(const fs::path& name) {
    std::vector<fs::path> out;
    for (const fs::path& root : data_roots()) {
        std::error_code ec;
        if (!fs::is_directory(root / name, ec)) continue;
        const fs::path dir = clean(root / name);
        bool seen = false;
        for (const auto& d : out) seen = seen || d == dir;
        if (!seen) out.push_back(dir);
    }
    return out;
}

}  // namespace dit::studio
