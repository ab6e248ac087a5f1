#pragma once
// Checks shared by the engine's Qt Test suites: every numeric check prints its max error and
// tolerance, and every error check prints the message a user would see.
#include <QImage>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "engine/error.h"
#include "engine/image.h"
#include "engine/tensor.h"

namespace dit::testing {

// Sanitizer builds run the same code several times slower (TSan 5-15x): a wall-clock bound on
// responsiveness scales by this, so it still catches work done on the wrong thread.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kSanitizerTimeScale = 20;
#else
constexpr int kSanitizerTimeScale = 1;
#endif

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return INFINITY;
    double m = 0;
    for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
    return m;
}

// An 8-bit RGB image from a PNG on disk (a fixture's control map or init image).
inline Image read_png(const std::string& path) {
    const QImage q = QImage(QString::fromStdString(path)).convertToFormat(QImage::Format_RGB888);
    Image img;
    img.width = q.width();
    img.height = q.height();
    for (int y = 0; y < q.height(); ++y)
        img.rgb.insert(img.rgb.end(), q.constScanLine(y), q.constScanLine(y) + 3 * q.width());
    return img;
}

inline double max_abs(const Tensor& a) {
    double m = 0;
    for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(double(a[i])));
    return m;
}

// Runs `fn`, which must throw dit::Error; returns the message ("<no error>" if none).
inline std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("<not a dit::Error> ") + e.what();
    }
    return "<no error>";
}

// error_of as a QString, for the Qt-side suites.
inline QString error_text(const std::function<void()>& fn) { return QString::fromStdString(error_of(fn)); }

// Max |img - ref| in 8-bit levels; `ref` is the decoded image [1, 3, H, W] in [-1, 1], as the
// PyTorch reference pipeline writes it. A size mismatch counts as an unbounded error.
inline double max_level_error(const Image& img, const Tensor& ref) {
    if (ref.ndim() != 4 || ref.dim(1) != 3 || ref.dim(2) != img.height || ref.dim(3) != img.width) return 1e9;
    const int64_t hw = int64_t(img.width) * img.height;
    double worst = 0;
    for (int64_t i = 0; i < hw; ++i)
        for (int c = 0; c < 3; ++c) {
            const double want = std::clamp(ref[c * hw + i] * 0.5 + 0.5, 0.0, 1.0) * 255.0;
            worst = std::max(worst, std::abs(double(img.rgb[i * 3 + c]) - want));
        }
    return worst;
}

}  // namespace dit::testing

#define EXPECT_CLOSE(what, got, want, tol)                                                         \
    do {                                                                                          \
        const double err_ = dit::testing::max_abs_diff(got, want);                                \
        qInfo("%s: max abs error %.3g (tolerance %.3g, |want| <= %.3g)", what, err_, double(tol), \
              dit::testing::max_abs(want));                                                       \
        QVERIFY2(err_ <= (tol), qPrintable(QString("%1: max abs error %2 > %3, shapes %4 vs %5")  \
                                               .arg(what).arg(err_).arg(tol)                      \
                                               .arg(dit::shape_str((got).shape()).c_str())        \
                                               .arg(dit::shape_str((want).shape()).c_str())));    \
    } while (0)

// `stmt` must throw a dit::Error whose message contains `want`.
#define EXPECT_ERROR(stmt, want)                                                                   \
    do {                                                                                          \
        const std::string msg_ = dit::testing::error_of([&] { stmt; });                           \
        qInfo("%s", msg_.c_str());                                                                \
        QVERIFY2(msg_.find(want) != std::string::npos,                                            \
                 qPrintable(QString("expected '%1' in: %2")                                       \
                                .arg(QString::fromStdString(want), QString::fromStdString(msg_)))); \
    } while (0)

// `statement` must throw a dit::Error whose message contains every one of the given parts.
#define EXPECT_ERROR_PARTS(statement, ...)                                                               \
    do {                                                                                           \
        std::string msg_;                                                                          \
        try {                                                                                      \
            statement;                                                                             \
        } catch (const dit::Error& e) {                                                            \
            msg_ = e.what();                                                                       \
        }                                                                                          \
        QVERIFY2(!msg_.empty(), "expected a dit::Error from: " #statement);                        \
        qInfo("error: %s", msg_.c_str());                                                          \
        for (const char* part_ : {__VA_ARGS__})                                                    \
            QVERIFY2(msg_.find(part_) != std::string::npos,                                        \
                     qPrintable(QString("message lacks '%1': %2").arg(part_).arg(msg_.c_str())));  \
    } while (0)
