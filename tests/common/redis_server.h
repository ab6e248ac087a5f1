#pragma once
// A throw-away redis-server for one test: a free loopback port, a temporary ACL file and data
// folder, killed at the end. Users: "dit" (the queue's ACL: its keys and the commands it needs,
// nothing dangerous) and "admin" (the test's own look at every key). The default user is off, so
// an unauthenticated client gets NOAUTH as on a real deployment.
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "studio/remote/redis_connection.h"

namespace dit::testing {

inline int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    ::close(fd);
    return port;
}

class RedisServer {
public:
    static constexpr const char* kPassword = "queue-test-secret";
    static constexpr const char* kAdminPassword = "admin-test-secret";

    ~RedisServer() { kill(); }

    // `appendonly`: every write is fsynced to the append-only file, so a SIGKILL loses nothing.
    // `anonymous`: the default user is on without a password (for the refusal tests).
    bool start(bool appendonly = false, bool anonymous = false) {
        if (!dir_.isValid()) return false;
        appendonly_ = appendonly;
        if (port_ == 0) port_ = free_loopback_port();
        QFile acl(dir_.filePath("users.acl"));
        if (!acl.open(QIODevice::WriteOnly)) return false;
        acl.write(anonymous ? "user default on nopass ~* &* +@all\n" : "user default off\n");
        acl.write(QByteArray("user dit on >") + kPassword +
                  " ~dit:* resetchannels -@all +@read +@write +@stream +@keyspace +@string +@connection"
                  " +@transaction -@dangerous\n");
        acl.write(QByteArray("user admin on >") + kAdminPassword + " ~* &* +@all\n");
        acl.close();
        return launch();
    }

    // SIGKILL, as a crash or a power cut would; start again with restart().
    void kill() {
        if (process_.state() == QProcess::NotRunning) return;
        process_.kill();
        process_.waitForFinished(5000);
    }
    bool restart() {
        kill();
        return launch();
    }

    int port() const { return port_; }
    QString url(const QString& credentials = QStringLiteral("dit:") + kPassword) const {
        return QStringLiteral("redis://") + (credentials.isEmpty() ? QString() : credentials + "@") +
               QStringLiteral("127.0.0.1:") + QString::number(port_);
    }
    remote::RedisUrl admin_url() const { return remote::parse_redis_url(url(QStringLiteral("admin:") + kAdminPassword).toStdString()); }
    QString log() const {
        QFile f(dir_.filePath("redis.log"));
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }

private:
    bool launch() {
        process_.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process_.start("redis-server",
                       {"--port", QString::number(port_), "--bind", "127.0.0.1", "--dir", dir_.path(),
                        "--aclfile", dir_.filePath("users.acl"), "--appendonly", appendonly_ ? "yes" : "no",
                        "--appendfsync", "always", "--save", "", "--logfile", dir_.filePath("redis.log"),
                        "--daemonize", "no"});
        if (!process_.waitForStarted(5000)) return false;
        for (int i = 0; i < 100; ++i) {  // ready once an authenticated PING answers
            try {
                remote::RedisConnection c(admin_url(), 500);
                c.command({"PING"});
                return true;
            } catch (const std::exception&) {
                QThread::msleep(50);
            }
        }
        return false;
    }

    QTemporaryDir dir_;
    QProcess process_;
    int port_ = 0;
    bool appendonly_ = false;
};

}  // namespace dit::testing
