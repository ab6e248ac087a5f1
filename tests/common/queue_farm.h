#pragma once
// What the queue suites share: `dit-cli worker` processes on the tiny fixture model (one thread
// each, as the local reference runs, so their images can be compared bit for bit), the local
// reference PNG of a request, and a job's events collected to its end.
#include <QElapsedTimer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <map>
#include <memory>

#include "studio/remote/queue_client.h"
#include "tests/common/cli_runner.h"
#include "tests/common/redis_server.h"

namespace dit::testing {

inline const QString kTinyModel = QStringLiteral(DIT_FIXTURES "/tiny-pixart-alpha");

inline QProcessEnvironment single_thread_env() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("OMP_NUM_THREADS", "1");
    env.insert("OPENBLAS_NUM_THREADS", "1");
    return env;
}

class WorkerProcess {
public:
    WorkerProcess(const QString& url, const QString& name, const QStringList& extra = {}, const QString& cwd = {})
        : name_(name) {
        log_.open();
        process_.setProcessEnvironment(single_thread_env());
        if (!cwd.isEmpty()) process_.setWorkingDirectory(cwd);
        // To a file, not a pipe: a worker logging faster than the test reads would block on it.
        process_.setProcessChannelMode(QProcess::MergedChannels);
        process_.setStandardOutputFile(log_.fileName());
        process_.start(kCli, QStringList{"worker", "--queue", url, "--name", name, "--models", kTinyModel,
                                         "--heartbeat-ttl", "3000"} + extra);
        process_.waitForStarted(5000);
    }
    ~WorkerProcess() { kill(); }
    void kill() {
        if (process_.state() == QProcess::NotRunning) return;
        process_.kill();
        process_.waitForFinished(5000);
    }
    // SIGTERM, then the exit code (-1: it did not stop within the time).
    int terminate(int timeout_ms = 20000) {
        process_.terminate();
        if (!process_.waitForFinished(timeout_ms)) return -1;
        return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
    }
    bool running() const { return process_.state() == QProcess::Running; }
    // Until the worker says it serves (it has connected and checked the server), at most 20 s.
    bool waitReady() {
        QElapsedTimer t;
        t.start();
        while (!output().contains("serving") && running() && t.elapsed() < 20000) QThread::msleep(20);
        return output().contains("serving");
    }
    QString output() {
        QFile f(log_.fileName());
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }
    const QString& name() const { return name_; }

private:
    QString name_;
    QTemporaryFile log_{QDir::tempPath() + "/dit-worker-XXXXXX.log"};
    QProcess process_;
};

struct TinyJob {
    QString prompt = "a red circle at the top left";
    int size = 64, steps = 4;
    quint64 seed = 0;
    QStringList extra;  // more dit-cli flags (pictures: --init, --mask, --region), CLI runs only
    Request request() const {
        Request r;
        r.model_dir = "tiny-pixart-alpha";
        r.prompt = prompt.toStdString();
        r.width = r.height = size;
        r.steps = steps;
        r.seed = seed;
        return r;
    }
    QStringList flags() const {
        return QStringList{"--prompt", prompt, "--width", QString::number(size), "--height", QString::number(size),
                           "--steps", QString::number(steps), "--seed", QString::number(seed), "--quiet"} + extra;
    }
};

// The PNG a local `dit-cli generate` writes for the job (its bytes; empty when it failed).
inline QByteArray local_png(const TinyJob& job, const QString& dir) {
    const QString out = dir + QStringLiteral("/local-%1-%2-%3-%4.png").arg(job.seed).arg(job.size).arg(job.steps)
                                  .arg(qHash(job.extra.join(' ')));
    QProcess p;
    p.setProcessEnvironment(single_thread_env());
    p.start(kCli, QStringList{"generate", "--model", kTinyModel, "--output", out} + job.flags());
    p.waitForFinished(120000);
    QFile f(out);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A job's events as they arrive, and what they add up to.
struct JobTrace {
    std::string cursor = "0";
    std::vector<remote::JobEvent> events;
    int ends = 0;
    std::string outcome, reason;
    bool steps_in_order = true;  // within each run (a reclaimed job starts again at step 1)
    int last_step = 0;

    void take(const std::vector<remote::JobEvent>& batch) {
        for (const auto& e : batch) {
            events.push_back(e);
            if (e.type == remote::JobEvent::Started) last_step = 0;
            if (e.type == remote::JobEvent::Progress) {
                if (e.step <= last_step) steps_in_order = false;
                last_step = e.step;
            }
            if (e.type == remote::JobEvent::Preview && e.step < last_step) steps_in_order = false;
            if (e.type == remote::JobEvent::End) ++ends, outcome = e.outcome, reason = e.reason;
        }
    }
    bool ended() const { return ends > 0; }
};

// Reads every unended job's new events until all have ended or `timeout_ms` passed; connection
// losses (a restarting Redis) are waited out. `on_poll` runs between rounds.
inline bool follow(remote::QueueClient& client, std::map<std::string, JobTrace>& traces, int timeout_ms,
                   const std::function<void()>& on_poll = {}) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeout_ms) {
        bool all = true;
        try {
            for (auto& [id, trace] : traces) {
                trace.take(client.events(id, trace.cursor, 0));
                all = all && trace.ended();
            }
        } catch (const remote::RedisIoError&) {
            all = false;
        }
        if (all) return true;
        if (on_poll) on_poll();
        QThread::msleep(20);
    }
    return false;
}

}  // namespace dit::testing
