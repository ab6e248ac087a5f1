// The documented across-network set-up (docs/remote.md): this hiredis has no TLS, so the link
// runs through a pair of stunnel processes, each pinning the other's certificate. Tested on
// loopback: a worker and `dit-cli generate --queue` reach Redis only through the tunnel, the
// image is the local run's, the tunnel's network side speaks TLS, never Redis in the clear, and a
// tunnel end whose certificate the farm has not pinned reaches no Redis.
#include <QFile>
#include <arpa/inet.h>
#include <QtTest>

#include "engine/error.h"
#include "tests/common/queue_farm.h"

using namespace dit::testing;

namespace {

bool make_certificate(const QString& dir, const QString& name) {
    QProcess p;
    p.start("openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-days", "1", "-subj", "/CN=dit-queue-" + name, "-keyout", dir + "/" + name + ".key",
                        "-out", dir + "/" + name + ".pem"});
    return p.waitForFinished(30000) && p.exitCode() == 0;
}

// One end of the tunnel; `client`: plain on `accept`, TLS towards `connect`.
bool start_stunnel(QProcess& p, const QString& dir, const QString& name, bool client, int accept, int connect,
                   const QString& own, const QString& peer) {
    const QString conf = dir + "/" + name + ".conf";
    QFile f(conf);
    if (!f.open(QIODevice::WriteOnly)) return false;
    f.write(QStringLiteral("foreground = yes\npid =\n[redis]\nclient = %1\naccept = 127.0.0.1:%2\n"
                           "connect = 127.0.0.1:%3\ncert = %4.pem\nkey = %4.key\nverifyPeer = yes\nCAfile = %5.pem\n")
                .arg(client ? "yes" : "no").arg(accept).arg(connect).arg(dir + "/" + own, dir + "/" + peer)
                .toUtf8());
    f.close();
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start("stunnel", {conf});
    return p.waitForStarted(5000);
}

// Whether Redis, with the queue's credentials, answers PING on this loopback port.
bool answers_ping(int port) {
    try {
        const auto url = dit::remote::parse_redis_url(
            QStringLiteral("redis://dit:%1@127.0.0.1:%2").arg(RedisServer::kPassword).arg(port).toStdString());
        dit::remote::RedisConnection c(url, 2000);
        return c.command({"PING"}).str == "PONG";
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

class TestQueueStunnel : public QObject {
    Q_OBJECT

    QTemporaryDir tmp_;

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(kCli), qPrintable(kCli + " is not built"));
    }

    void generate_through_a_pinned_tls_tunnel() {
        RedisServer redis;
        QVERIFY(redis.start());
        QVERIFY(make_certificate(tmp_.path(), "farm"));
        QVERIFY(make_certificate(tmp_.path(), "studio"));
        const int tls_port = free_loopback_port(), plain_port = free_loopback_port();
        QProcess farm_end, studio_end;
        QVERIFY(start_stunnel(farm_end, tmp_.path(), "farm", false, tls_port, redis.port(), "farm", "studio"));
        QVERIFY(start_stunnel(studio_end, tmp_.path(), "studio", true, plain_port, tls_port, "studio", "farm"));
        const QString tunnel = QStringLiteral("redis://dit:%1@127.0.0.1:%2").arg(RedisServer::kPassword).arg(plain_port);
        // Until the tunnel is up end to end.
        bool up = false;
        for (int i = 0; i < 100 && !up; ++i) {
            try {
                dit::remote::RedisConnection c(dit::remote::parse_redis_url(tunnel.toStdString()), 1000);
                up = c.command({"PING"}).str == "PONG";
            } catch (const std::exception&) {
                QThread::msleep(100);
            }
        }
        QVERIFY2(up, qPrintable(QString::fromUtf8(farm_end.readAll() + studio_end.readAll())));

        WorkerProcess worker(tunnel, "behind-tls");
        QVERIFY2(worker.waitReady(), qPrintable(worker.output()));
        TinyJob job;
        job.seed = 77;
        const QString out = tmp_.filePath("tunnel.png");
        const CliRun r = run_cli(QStringList{"generate", "--queue", tunnel, "--model", "tiny-pixart-alpha",
                                             "--output", out} + job.flags());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY2(f.readAll() == local_png(job, tmp_.path()), "the PNG through the tunnel differs from the local one");

        // The network side is TLS: Redis' own protocol gets no answer there.
        QVERIFY2(!answers_ping(tls_port), "the tunnel's TLS port answered plain Redis");

        // A box with a certificate the farm has not pinned gets its TLS handshake refused: its
        // own tunnel end accepts the connection, but no Redis answers through it.
        QVERIFY(make_certificate(tmp_.path(), "intruder"));
        const int intruder_port = free_loopback_port();
        QProcess intruder_end;
        QVERIFY(start_stunnel(intruder_end, tmp_.path(), "intruder", true, intruder_port, tls_port, "intruder", "farm"));
        // Its end listens (so a failure below is the handshake's, not a closed port).
        const auto listening = [](int port) {
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(uint16_t(port));
            const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            ::close(fd);
            return ok;
        };
        QTRY_VERIFY_WITH_TIMEOUT(listening(intruder_port), 5000);
        QVERIFY2(!answers_ping(intruder_port), "Redis answered through a tunnel with an unpinned certificate");
        intruder_end.kill();
        intruder_end.waitForFinished();
        QCOMPARE(worker.terminate(), 0);
        farm_end.kill();
        studio_end.kill();
        farm_end.waitForFinished();
        studio_end.waitForFinished();
    }
};

QTEST_GUILESS_MAIN(TestQueueStunnel)
#include "test_queue_stunnel.moc"
