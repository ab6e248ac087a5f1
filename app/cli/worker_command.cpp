// dit-cli worker: a headless worker of the Redis queue (docs/remote.md). It refuses a server that
// lets anyone in, unless asked to accept one on this machine's loopback (--insecure-local).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <unistd.h>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/queue_args.h"
#include "engine/error.h"
#include "studio/remote/queue_job.h"
#include "studio/remote/queue_worker.h"

namespace dit::cli {
namespace {

const char* kUsage =
    "usage: dit-cli worker --queue URL [options]\n"
    DIT_CLI_QUEUE_HELP
    "  --name N             the worker's name in the queue (default: HOST-PID)\n"
    "  --models DIR...      model folders to serve, each by its folder's name (default: the\n"
    "                       embedded model)\n"
    DIT_CLI_BACKEND_HELP
    "  --heartbeat-ttl MS   how long a silent worker counts as alive; its job is then\n"
    "                       reclaimed by another (default 5000, 500..600000)\n"
    "  --insecure-local     accept a Redis without authentication, on a loopback address only\n"
    "  --quiet              no line per job\n"
    "SIGTERM or Ctrl-C hands the running job back to the queue and stops.\n";

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);  // so the signal handler may set it

void on_stop(int) { g_stop.store(true); }

std::string default_name() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string name;
    for (const char* c = host; *c && name.size() < 40; ++c)
        name += std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' || *c == '.' ? *c : '-';
    if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) name = "worker" + name;
    return name + "-" + std::to_string(::getpid());
}

}  // namespace

int worker_command(const std::vector<std::string>& argv) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    std::vector<std::string> rest = argv;
    const std::vector<std::string> model_dirs = take_models_flags(rest);
    const Args args(rest, {"queue", "password-file", "name", "backend", "device", "heartbeat-ttl"},
                    {"insecure-local", "quiet"});
    if (!args.has("queue")) throw UsageError("--queue is required");
    remote::QueueWorkerOptions o;
    o.url = queue_url(args);
    o.name = args.str("name", default_name());
    if (!remote::is_plain_name(o.name)) throw UsageError("--name: '" + o.name + "' is not a plain name (letters, digits, . _ -)");
    o.backend = backend_arg(args);
    backend_named(o.backend);  // an unusable backend fails now, not on the first job
    o.heartbeat_ttl_ms = args.integer("heartbeat-ttl", 5000);
    if (o.heartbeat_ttl_ms < 500 || o.heartbeat_ttl_ms > 600000) throw UsageError("--heartbeat-ttl: outside 500..600000");
    if (model_dirs.empty()) o.models.push_back(remote::served_model(default_model_dir()));
    for (const auto& dir : model_dirs) o.models.push_back(remote::served_model(dir));
    for (size_t i = 0; i < o.models.size(); ++i)
        for (size_t k = 0; k < i; ++k)
            if (o.models[i].name == o.models[k].name)
                throw UsageError("--models: two folders are both called '" + o.models[i].name + "'");

    // Refused before any connection: the flag must never lead to talking to another machine.
    if (args.on("insecure-local") && !remote::is_loopback_host(o.url.host))
        throw UsageError("--insecure-local is accepted only for a loopback address, not '" + o.url.host + "'");
    if (remote::RedisConnection::accepts_anonymous(o.url)) {
        if (!args.on("insecure-local"))
            throw Error("Redis at " + o.url.display() + " lets anyone in without a password; give it an ACL user "
                        "(docs/remote.md), or pass --insecure-local for a throw-away server on this machine");
    } else if (o.url.password.empty()) {
        throw Error("Redis at " + o.url.display() + " asks for a password: give USER:PASS@ in the URL or --password-file");
    }
    const bool quiet = args.on("quiet");
    const std::string prefix = "worker " + o.name + ": ";
    o.log = [quiet, prefix](const std::string& line) {
        if (!quiet) std::fprintf(stderr, "%s%s\n", prefix.c_str(), line.c_str());
    };
    remote::QueueWorker worker(o);
    std::signal(SIGTERM, on_stop);
    std::signal(SIGINT, on_stop);
    std::string served;
    for (const auto& m : o.models) served += (served.empty() ? "" : ", ") + m.name;
    o.log("serving " + served + " on " + o.url.display() + " (" + o.backend + ")");
    const remote::QueueWorkerStats s = worker.run(g_stop);
    o.log("stopped: " + std::to_string(s.finished) + " finished, " + std::to_string(s.cancelled) + " cancelled, " +
          std::to_string(s.failed) + " failed, " + std::to_string(s.refused) + " refused, " +
          std::to_string(s.handed_back) + " handed back");
    return 0;
}

}  // namespace dit::cli
