#include "app/cli/world_control.h"

#include <QImage>

#include "studio/control/pose_renderer.h"
#include "studio/eval/control_fidelity.h"
#include "studio/result_png.h"

namespace dit::cli {

ControlInput world_control(const std::string& type, const studio::WorldScene& scene, const studio::WorldRender& truth,
                           int size, const std::filesystem::path& adapter_dir) {
    ControlInput in;
    in.type = type;
    in.adapter_dir = adapter_dir;
    const QImage map = type == "edges" ? truth.edges : studio::render_pose_map(scene.pose(), QSize(size, size));
    in.image = studio::from_qimage(map.convertToFormat(QImage::Format_RGB888));
    return in;
}

double world_control_fidelity(const std::string& type, const studio::WorldScene& scene,
                              const studio::WorldRender& truth, const QImage& image) {
    if (type == "edges") return studio::edge_fidelity(image, truth.edges).f1;
    const auto& pal = studio::world_palette();
    return studio::pose_fidelity(image, scene.pose(), pal[scene.person->colour].rgb, pal[scene.background].rgb).mean;
}

}  // namespace dit::cli
