#pragma once
// Where the studio's "Remote queue" backend finds the queue: the URL (with its ACL user, never
// the password) in the settings, the password in a file only the user can read, since Qt on
// Debian has no keychain module.
#include <QString>

namespace dit::studio {

struct RemoteQueueSettings {
    QString url;       // redis://USER@HOST:PORT[/DB]
    QString password;  // empty: none stored
    int model_wait_s = 60;
    // Requests this window keeps on the farm at once (the studio's lanes): with two workers and
    // 2, a queue of requests keeps both busy. A job beyond the farm's free workers waits in Redis.
    int jobs_in_flight = 2;
};

inline constexpr int kMaxJobsInFlight = 16;

// The password file: <AppConfigLocation>/queue-password.
QString remote_password_path();
RemoteQueueSettings load_remote_settings();
// Writes the URL to QSettings and the password to its file, created with mode 0600 before any
// byte is written. Throws dit::Error naming the file when it cannot be written, and for a URL
// that carries a password (it would land in a settings file others may read).
void save_remote_settings(const RemoteQueueSettings& settings);

}  // namespace dit::studio
