#pragma once
// The worker soak: a mix of plain runs, cancels (of the running request and of queued ones) and
// live supersedes through one real GenerationWorker, drawn from a seed so a failing mix can be
// replayed. Every signal is checked against the worker's contract (generation_worker.h) as it
// arrives, and every round has a watchdog: a request that neither finishes nor is cancelled in
// time is a deadlock. bench/soak_worker.cpp runs it long and measures memory;
// tests/studio/test_soak.cpp runs it short.
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QStringList>
#include <QTimer>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "studio/generation_worker.h"

namespace dit::bench {

// This process's resident memory in MiB (VmRSS), -1 when /proc cannot be read.
inline double rss_mib() {
    std::ifstream f("/proc/self/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
    return -1;
}

// What one round does; its requests all end before the next round starts.
enum class Round {
    Plain,          // submit; it must finish
    CancelRunning,  // submit, cancel it (cancel(), cancel(id) or cancelAll()) at a random step
    CancelQueued,   // submit two, cancel the second while it waits behind the first
    Supersede,      // submit, submitLive another at a random step of the first
    LiveBurst,      // three submitLive in a row, as typing in live mode does
};

inline const char* round_name(Round r) {
    switch (r) {
        case Round::Plain: return "plain";
        case Round::CancelRunning: return "cancel-running";
        case Round::CancelQueued: return "cancel-queued";
        case Round::Supersede: return "supersede";
        case Round::LiveBurst: return "live-burst";
    }
    return "?";
}

struct SoakOptions {
    std::filesystem::path model_dir;
    int count = 200;       // requests submitted, all rounds together
    int size = 64;         // pixels, square
    int steps = 6;
    uint64_t seed = 1;
    int warmup = 20;       // the first RSS reading is taken once this many requests have ended
    int watchdog_s = 120;  // a round whose requests have not all ended by then is a deadlock
};

struct SoakReport {
    int requests = 0, finished = 0, cancelled = 0, failed = 0;
    int dropped = 0;       // cancelled before they started (only `cancelled` arrived)
    int cancel_calls = 0;  // cancel(), cancel(id), cancelAll()
    int supersedes = 0;    // submitLive while another request was in flight
    std::map<Round, int> rounds;
    double seconds = 0;
    double rss_warm_mib = -1, rss_end_mib = -1;
    int warm_at = 0;       // requests ended when rss_warm_mib was read
    bool deadlock = false; // the worker may be stuck: do not wait on its destructor
    QStringList violations;
    bool ok() const { return violations.isEmpty(); }
};

// Ends the process if not disarmed in time. A thread, not a timer: the main thread may be the
// one stuck (blocked on the worker's mutex), and then no timer of its event loop fires.
class Watchdog {
public:
    explicit Watchdog(int seconds) : seconds_(seconds), thread_([this] { loop(); }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(m_);
            quit_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    void arm(std::string what) {
        {
            std::lock_guard lock(m_);
            what_ = std::move(what);
            deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(seconds_);
            armed_ = true;
        }
        cv_.notify_all();
    }
    void disarm() {
        std::lock_guard lock(m_);
        armed_ = false;
    }

private:
    void loop() {
        std::unique_lock lock(m_);
        while (!quit_) {
            if (!armed_) {
                cv_.wait(lock);
            } else if (std::chrono::steady_clock::now() >= deadline_) {
                std::fprintf(stderr, "soak: watchdog: %s did not end within %d s: deadlock\n", what_.c_str(),
                             seconds_);
                std::fflush(stderr);
                std::_Exit(3);
            } else {
                cv_.wait_until(lock, deadline_);
            }
        }
    }
    const int seconds_;
    std::mutex m_;
    std::condition_variable cv_;
    std::string what_;
    std::chrono::steady_clock::time_point deadline_;
    bool armed_ = false, quit_ = false;
    std::thread thread_;
};

class WorkerSoak {
public:
    WorkerSoak(studio::GenerationWorker& worker, SoakOptions options)
        : w_(worker), o_(std::move(options)), rng_(o_.seed),
          // The thread watchdog backs up the event-loop timeout below, so it fires later.
          watchdog_(o_.watchdog_s + 15) {}

    // Runs every round; `after_round(report)` is called when a round's requests have all ended.
    SoakReport run(const std::function<void(const SoakReport&)>& after_round = {}) {
        QObject ctx;
        connect_signals(ctx);
        w_.setPreviewInterval(0);  // every step may preview: the most traffic the UI can see
        QElapsedTimer clock;
        clock.start();
        while (r_.requests < o_.count) {
            run_round(next_round());
            if (!r_.ok()) break;
            if (r_.rss_warm_mib < 0 && ended_ >= o_.warmup) {
                r_.rss_warm_mib = rss_mib();
                r_.warm_at = ended_;
            }
            r_.seconds = clock.nsecsElapsed() / 1e9;
            if (after_round) after_round(r_);
        }
        r_.rss_end_mib = rss_mib();
        r_.seconds = clock.nsecsElapsed() / 1e9;
        return r_;
    }

private:
    struct Track {
        Round round = Round::Plain;
        bool asked_to_cancel = false;  // cancel aimed at it, or superseded by submitLive
        bool started = false, ended = false;
        int last_step = 0;
        QString end;
    };

    Round next_round() {
        // Weights: plain 4, cancel-running 2, cancel-queued 1, supersede 2, live-burst 1.
        static const Round table[] = {Round::Plain,         Round::Plain,         Round::Plain,
                                      Round::Plain,         Round::CancelRunning, Round::CancelRunning,
                                      Round::CancelQueued,  Round::Supersede,     Round::Supersede,
                                      Round::LiveBurst};
        const Round r = table[rng_() % 10];
        const int cost = r == Round::LiveBurst ? 3 : (r == Round::CancelQueued || r == Round::Supersede) ? 2 : 1;
        return r_.requests + cost <= o_.count ? r : Round::Plain;
    }

    studio::GenerationRequest request() {
        static const char* prompts[] = {"a red circle at the top left", "a blue square on a yellow background",
                                        "a stick figure waving", "two green triangles", "a purple star in the centre"};
        static const char* samplers[] = {"dpm++2m", "euler_a", "ddim"};
        studio::GenerationRequest g;
        g.request.model_dir = o_.model_dir;
        g.request.prompt = prompts[rng_() % 5];
        g.request.negative_prompt = "blurry";
        g.request.width = g.request.height = o_.size;
        g.request.steps = o_.steps;
        g.request.sampler = samplers[rng_() % 3];
        g.request.cfg = rng_() % 4 == 0 ? 1.0f : 4.5f;  // 1: one branch, no guidance batch
        g.request.seed = rng_();
        return g;
    }

    quint64 add(quint64 id, Round round) {
        ++r_.requests;
        if (id == 0) {
            violate("submit refused a request (id 0) on a running worker");
            return 0;  // nothing will arrive for it, so the round does not wait on it
        }
        tracks_[id].round = round;
        round_ids_.push_back(id);
        return id;
    }

    // submitLive supersedes whatever is in flight: mark it before the call so a `cancelled`
    // that arrives for it is expected.
    quint64 submit_live(Round round) {
        bool superseding = false;
        for (auto& [id, t] : tracks_)
            if (!t.ended) t.asked_to_cancel = superseding = true;
        r_.supersedes += superseding;
        return add(w_.submitLive(request()), round);
    }

    void cancel_running(quint64 id) {
        tracks_[id].asked_to_cancel = true;
        ++r_.cancel_calls;
        switch (rng_() % 3) {
            case 0: w_.cancel(); break;  // the running request, if it still is
            case 1: w_.cancel(id); break;
            default: w_.cancelAll(); break;
        }
    }

    void run_round(Round round) {
        ++r_.rounds[round];
        round_ids_.clear();
        on_progress_ = nullptr;
        const int at_step = int(rng_() % o_.steps);  // 0: before the first step
        switch (round) {
            case Round::Plain: add(w_.submit(request()), round); break;
            case Round::CancelRunning: {
                const quint64 a = add(w_.submit(request()), round);
                if (at_step == 0) cancel_running(a);
                else on_progress_ = [this, a, at_step](quint64 id, int step) {
                    if (id == a && step == at_step) cancel_running(a);
                };
                break;
            }
            case Round::CancelQueued: {
                add(w_.submit(request()), round);
                const quint64 b = add(w_.submit(request()), round);
                tracks_[b].asked_to_cancel = true;
                ++r_.cancel_calls;
                w_.cancel(b);
                break;
            }
            case Round::Supersede: {
                const quint64 a = add(w_.submit(request()), round);
                const int k = std::max(1, at_step);
                on_progress_ = [this, a, k, round](quint64 id, int step) {
                    if (id == a && step == k && round_ids_.size() == 1) submit_live(round);
                };
                break;
            }
            case Round::LiveBurst:
                for (int i = 0; i < 3; ++i) submit_live(round);
                break;
        }
        wait_round(round);
        // Every request ended; what no one cancelled must have finished.
        for (quint64 id : round_ids_) {
            const Track& t = tracks_[id];
            if (!t.asked_to_cancel && t.end != "finished")
                violate(QString("request %1 (%2) ended '%3', not finished").arg(id).arg(round_name(round), t.end));
        }
        if (w_.currentId() != 0 || w_.queuedCount() != 0 || w_.currentStep() != 0)
            violate(QString("worker not idle after a round: current %1, queued %2, step %3")
                        .arg(w_.currentId()).arg(w_.queuedCount()).arg(w_.currentStep()));
    }

    bool round_ended() const {
        // A Supersede round's second request may not be submitted yet.
        for (quint64 id : round_ids_)
            if (!tracks_.at(id).ended) return false;
        return true;
    }

    void wait_round(Round round) {
        if (round_ended()) return;
        const QString what = QString("round %1 (%2, requests %3..%4)")
                                 .arg(r_.rounds.size()).arg(round_name(round))
                                 .arg(round_ids_.front()).arg(round_ids_.back());
        watchdog_.arm(what.toStdString());
        QEventLoop loop;
        QTimer timeout;
        timeout.setSingleShot(true);
        QObject::connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
        timeout.start(o_.watchdog_s * 1000);
        loop_ = &loop;
        loop.exec();
        loop_ = nullptr;
        if (!round_ended()) {
            // Left armed: if the worker is stuck, its destructor would be too.
            r_.deadlock = true;
            violate(QString("%1: not ended within %2 s (worker at step %3, current id %4, %5 queued): deadlock")
                        .arg(what).arg(o_.watchdog_s).arg(w_.currentStep()).arg(w_.currentId()).arg(w_.queuedCount()));
            return;
        }
        watchdog_.disarm();
    }

    void violate(const QString& what) {
        if (r_.violations.size() < 20) r_.violations << what;
    }

    // The contract, checked per signal: started, (preview | progress)*, then one terminal;
    // one request at a time; every step's progress in order; `cancelled` only when asked.
    Track* known(quint64 id, const char* signal) {
        auto it = tracks_.find(id);
        if (it == tracks_.end()) {
            violate(QString("%1 for unknown request %2").arg(signal).arg(id));
            return nullptr;
        }
        if (it->second.ended) violate(QString("%1 for request %2 after it ended").arg(signal).arg(id));
        return &it->second;
    }

    void end(quint64 id, Track* t, const char* how) {
        if (!t) return;
        t->ended = true;
        t->end = how;
        ++ended_;
        if (running_ == id) running_ = 0;
        else if (t->started) violate(QString("request %1 ended while %2 was running").arg(id).arg(running_));
        if (loop_ && round_ended()) loop_->quit();
    }

    void connect_signals(QObject& ctx) {
        using W = studio::GenerationWorker;
        QObject::connect(&w_, &W::started, &ctx, [this](quint64 id) {
            Track* t = known(id, "started");
            if (!t) return;
            if (t->started) violate(QString("request %1 started twice").arg(id));
            if (running_ != 0) violate(QString("request %1 started while %2 was running").arg(id).arg(running_));
            t->started = true;
            running_ = id;
        });
        QObject::connect(&w_, &W::progress, &ctx, [this](quint64 id, int step, int steps, double, double) {
            Track* t = known(id, "progress");
            if (!t) return;
            if (!t->started || running_ != id) violate(QString("progress for request %1, which is not running").arg(id));
            if (step != t->last_step + 1 || steps != o_.steps)
                violate(QString("request %1: progress %2/%3 after step %4").arg(id).arg(step).arg(steps).arg(t->last_step));
            t->last_step = step;
            if (on_progress_) on_progress_(id, step);
        });
        QObject::connect(&w_, &W::preview, &ctx, [this](quint64 id, const QImage& img, int) {
            Track* t = known(id, "preview");
            if (t && (!t->started || running_ != id)) violate(QString("preview for request %1, which is not running").arg(id));
            if (img.size() != QSize(o_.size, o_.size)) violate(QString("request %1: preview of the wrong size").arg(id));
            w_.previewConsumed();  // painted at once, as the canvas does
        });
        QObject::connect(&w_, &W::finished, &ctx, [this](const studio::GenerationResult& res) {
            Track* t = known(res.id, "finished");
            if (!t) return;
            if (!t->started) violate(QString("request %1 finished without starting").arg(res.id));
            if (t->last_step != o_.steps)
                violate(QString("request %1 finished after %2 of %3 steps").arg(res.id).arg(t->last_step).arg(o_.steps));
            if (res.image.size() != QSize(o_.size, o_.size))
                violate(QString("request %1: result of the wrong size").arg(res.id));
            ++r_.finished;
            end(res.id, t, "finished");
        });
        QObject::connect(&w_, &W::failed, &ctx, [this](quint64 id, const QString& message) {
            violate(QString("request %1 failed: %2").arg(id).arg(message));
            ++r_.failed;
            end(id, known(id, "failed"), "failed");
        });
        QObject::connect(&w_, &W::cancelled, &ctx, [this](quint64 id) {
            Track* t = known(id, "cancelled");
            if (!t) return;
            if (!t->asked_to_cancel) violate(QString("request %1 cancelled, but no one asked").arg(id));
            ++r_.cancelled;
            r_.dropped += !t->started;
            end(id, t, "cancelled");
        });
    }

    studio::GenerationWorker& w_;
    const SoakOptions o_;
    std::mt19937_64 rng_;  // its output is fixed by the standard, so a seed is one mix everywhere
    Watchdog watchdog_;
    SoakReport r_;
    std::map<quint64, Track> tracks_;
    std::vector<quint64> round_ids_;
    std::function<void(quint64, int)> on_progress_;
    quint64 running_ = 0;
    int ended_ = 0;
    QEventLoop* loop_ = nullptr;
};

}  // namespace dit::bench
