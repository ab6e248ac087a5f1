// project.json of a saved project (version migration, canvas, layers, regions, settings), in a
// folder that also holds valid 64x64 layer PNGs and a pose, so inputs that name them get past
// the layer checks into the rest of the loader.
#include <QImage>

#include "fuzz/fuzz_input.h"
#include "studio/project/project_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const bool layers = [] {
        const auto dir = dit::fuzz::scratch_dir() / "project";
        std::filesystem::create_directories(dir);
        QImage rgb(64, 64, QImage::Format_RGB888), grey(64, 64, QImage::Format_Grayscale8);
        rgb.fill(Qt::darkCyan);
        grey.fill(0);
        const auto at = [&](const char* name) { return QString::fromStdString((dir / name).string()); };
        rgb.save(at("image.png"));
        rgb.save(at("image_0.png"));  // an image layer (v4)
        for (const char* name : {"mask.png", "edges.png", "region_0.png"}) grey.save(at(name));
        std::ofstream(dir / "pose.json") << "{\"canvas_width\":64,\"canvas_height\":64,\"people\":[]}";
        return true;
    }();
    (void)layers;
    const auto path = dit::fuzz::write_input("project/project.json", data, size);
    dit::fuzz::expect_clean([&] {
        (void)dit::studio::load_project(QString::fromStdString(path.parent_path().string()));
    });
    return 0;
}
