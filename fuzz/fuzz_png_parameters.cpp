// The generation parameters a result PNG carries: the JSON parser directly, and the same text
// inside a real PNG's text chunks (the parameters and the result record) read back the way a
// dropped file, a gallery entry and a project's result are.
#include <QBuffer>
#include <QImage>

#include "engine/pipeline/parameters.h"
#include "fuzz/fuzz_input.h"
#include "studio/result_png.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    dit::fuzz::expect_clean([&] { (void)dit::parameters_from_json(text); });

    QImage img(4, 4, QImage::Format_RGB888);
    img.fill(Qt::gray);
    img.setText(QStringLiteral("dit-studio"), QString::fromUtf8(text.data(), qsizetype(text.size())));
    img.setText(QStringLiteral("dit-studio-result"), QString::fromUtf8(text.data(), qsizetype(text.size())));
    const auto path = dit::fuzz::scratch_dir() / "result.png";
    if (!img.save(QString::fromStdString(path.string()), "PNG")) return 0;
    dit::fuzz::expect_clean([&] { (void)dit::studio::read_result_parameters(QString::fromStdString(path.string())); });
    dit::fuzz::expect_clean([&] { (void)dit::studio::read_result_png(QString::fromStdString(path.string())); });
    dit::fuzz::expect_clean([&] { (void)dit::studio::read_result_png(QString::fromStdString(path.string()), true); });
    return 0;
}
