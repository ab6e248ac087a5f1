#include "studio/remote/remote_settings.h"

#include <QDir>
#include <QFile>
#include <QSettings>
#include <QStandardPaths>
#include <algorithm>
#include <string>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/error.h"
#include "studio/remote/redis_connection.h"

namespace dit::studio {

QString remote_password_path() {
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) + QStringLiteral("/queue-password");
}

RemoteQueueSettings load_remote_settings() {
    QSettings s;
    RemoteQueueSettings out;
    out.url = s.value(QStringLiteral("remote/url"), QStringLiteral("redis://dit@127.0.0.1:6379")).toString();
    out.model_wait_s = s.value(QStringLiteral("remote/modelWaitSeconds"), 60).toInt();
    out.jobs_in_flight = std::clamp(s.value(QStringLiteral("remote/jobsInFlight"), 2).toInt(), 1, kMaxJobsInFlight);
    QFile f(remote_password_path());
    // A file others can read is ignored, as ssh ignores such a key: the secret is already out.
    if (f.open(QIODevice::ReadOnly) && !(f.permissions() & (QFile::ReadGroup | QFile::ReadOther)))
        out.password = QString::fromUtf8(f.readLine()).trimmed();
    return out;
}

void save_remote_settings(const RemoteQueueSettings& settings) {
    const auto url = remote::parse_redis_url(settings.url.toStdString());
    if (!url.password.empty())
        throw Error("the queue URL carries a password; give only USER@ in the URL and the password separately");
    if (settings.jobs_in_flight < 1 || settings.jobs_in_flight > kMaxJobsInFlight)
        throw Error("jobs in flight must be 1 to " + std::to_string(kMaxJobsInFlight) + ", not " +
                    std::to_string(settings.jobs_in_flight));
    QSettings s;
    s.setValue(QStringLiteral("remote/url"), settings.url);
    s.setValue(QStringLiteral("remote/modelWaitSeconds"), settings.model_wait_s);
    s.setValue(QStringLiteral("remote/jobsInFlight"), settings.jobs_in_flight);
    const QString path = remote_password_path();
    QDir().mkpath(QFileInfo(path).path());
    const QByteArray bytes = settings.password.toUtf8() + '\n';
    const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::fchmod(fd, 0600) != 0 || ::write(fd, bytes.constData(), size_t(bytes.size())) != bytes.size()) {
        if (fd >= 0) ::close(fd);
        throw Error(path.toStdString() + ": cannot write the queue password");
    }
    ::close(fd);
}

}  // namespace dit::studio
