#pragma once
// dit-cli's queue options (worker, generate --queue): --queue redis://[USER:PASS@]HOST:PORT[/DB]
// and --password-file FILE, which keeps the password out of the process list.
#include <string>
#include <vector>

#include "app/cli/cli_args.h"
#include "studio/remote/redis_connection.h"

namespace dit::cli {

// The URL of --queue, with the password of --password-file (its first line) when given. Throws
// UsageError naming the flag.
remote::RedisUrl queue_url(const Args& args);

// Removes `--models DIR [DIR...]` (repeatable) from argv and returns the folders in order.
std::vector<std::string> take_models_flags(std::vector<std::string>& argv);

#define DIT_CLI_QUEUE_HELP                                                                         \
    "  --queue URL          redis://[USER:PASS@]HOST:PORT[/DB] (docs/remote.md)\n"                \
    "  --password-file F    the ACL user's password, from the first line of F (mode 0600)\n"

}  // namespace dit::cli
