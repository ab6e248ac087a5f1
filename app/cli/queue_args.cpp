#include "app/cli/queue_args.h"

#include <fstream>
#include <sys/stat.h>

#include "engine/error.h"

namespace dit::cli {

remote::RedisUrl queue_url(const Args& args) {
    remote::RedisUrl url;
    try {
        url = remote::parse_redis_url(args.str("queue"));
    } catch (const Error& e) {
        throw UsageError(std::string("--queue: ") + e.what());
    }
    if (auto file = args.opt("password-file")) {
        struct stat st {};
        if (::stat(file->c_str(), &st) != 0) throw UsageError("--password-file: cannot read " + *file);
        // Like ssh with a private key: a password others can read is no longer a secret.
        if (st.st_mode & (S_IRWXG | S_IRWXO))
            throw UsageError("--password-file: " + *file + " is readable by others; chmod 600 it");
        std::ifstream f(*file);
        std::getline(f, url.password);
        if (url.password.empty()) throw UsageError("--password-file: " + *file + " holds no password");
    }
    return url;
}

std::vector<std::string> take_models_flags(std::vector<std::string>& argv) {
    std::vector<std::string> dirs, rest;
    for (size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] != "--models") {
            rest.push_back(argv[i]);
            continue;
        }
        const size_t before = dirs.size();
        while (i + 1 < argv.size() && argv[i + 1].rfind("--", 0) != 0) dirs.push_back(argv[++i]);
        if (dirs.size() == before) throw UsageError("--models needs at least one model folder");
    }
    argv = rest;
    return dirs;
}

}  // namespace dit::cli
