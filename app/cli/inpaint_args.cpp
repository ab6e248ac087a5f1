#include "app/cli/inpaint_args.h"

#include <QImage>
#include <QImageReader>

#include "engine/error.h"

namespace dit::cli {

const char* kInpaintUsage =
    "inpainting (needs --init; --strength defaults to 1 with a mask):\n"
    "  --mask MASK.png      regenerate where the mask is > 0 (grey levels blend); the init image's\n"
    "                       size or the output size\n"
    "  --inpaint-mode M     full | crop | lazy (default full)\n"
    "  --lazy-refresh K     lazy: refresh the known tokens' keys/values every K steps (default 4)\n"
    "  --lazy-halo N        lazy: rings of tokens around the mask that also run (default 0)\n"
    "  --mask-grow PX       the denoise mask is the mask grown by PX (default 6) ...\n"
    "  --mask-blur PX       ... then blurred by PX (default 6)\n"
    "  --mask-feather PX    the result fades in over PX inside the mask's edge (default 6)\n"
    "  --crop-margin PX     crop: context around the mask's bounding box (default 32)\n";

namespace {
const char* kFlags[] = {"mask", "inpaint-mode", "lazy-refresh", "lazy-halo", "mask-grow", "mask-blur", "mask-feather", "crop-margin"};
}

std::set<std::string> with_inpaint_flags(std::set<std::string> flags) {
    for (const char* f : kFlags) flags.insert(f);
    return flags;
}

void apply_inpaint_args(const Args& args, const std::string& init_path, Request& r) {
    if (!args.has("mask")) {
        for (const char* f : kFlags)
            if (args.has(f)) throw UsageError(std::string("--") + f + " needs --mask");
        return;
    }
    if (!r.init_image) throw UsageError("--mask needs --init: the image whose masked pixels are regenerated");
    const std::string path = args.str("mask");
    QImageReader reader(QString::fromStdString(path));
    reader.setAutoTransform(true);
    QImage img = reader.read();
    if (img.isNull()) throw Error(path + ": cannot read mask image: " + reader.errorString().toStdString());
    const QSize init_size = QImageReader(QString::fromStdString(init_path)).size();
    const QSize out(r.width, r.height);
    if (img.size() != out && img.size() != init_size)
        throw UsageError("--mask " + path + " is " + std::to_string(img.width()) + "x" + std::to_string(img.height()) +
                         " but the init image is " + std::to_string(init_size.width()) + "x" +
                         std::to_string(init_size.height()) + " and the output " + std::to_string(r.width) + "x" +
                         std::to_string(r.height) + ": give a mask of either size");
    img = img.convertToFormat(QImage::Format_Grayscale8);
    if (img.size() != out) img = img.scaled(out, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    Mask m;
    m.width = img.width();
    m.height = img.height();
    m.value.resize(size_t(m.width) * m.height);
    for (int y = 0; y < m.height; ++y) {
        const uchar* row = img.constScanLine(y);
        std::copy(row, row + m.width, m.value.begin() + size_t(y) * m.width);
    }
    r.mask = std::move(m);
    apply_inpaint_options(args, r);
}

void apply_inpaint_options(const Args& args, Request& r) {
    r.inpaint_mode = args.str("inpaint-mode", "full");
    if (r.inpaint_mode != "full" && r.inpaint_mode != "crop" && r.inpaint_mode != "lazy")
        throw UsageError("--inpaint-mode must be full, crop or lazy, got '" + r.inpaint_mode + "'");
    if ((args.has("lazy-refresh") || args.has("lazy-halo")) && r.inpaint_mode != "lazy")
        throw UsageError("--lazy-refresh and --lazy-halo need --inpaint-mode lazy");
    if (args.has("crop-margin") && r.inpaint_mode != "crop") throw UsageError("--crop-margin needs --inpaint-mode crop");
    r.lazy_refresh = args.integer("lazy-refresh", r.lazy_refresh);
    r.lazy_halo = args.integer("lazy-halo", r.lazy_halo);
    r.mask_grow = args.integer("mask-grow", r.mask_grow);
    r.mask_blur = args.integer("mask-blur", r.mask_blur);
    r.mask_feather = args.integer("mask-feather", r.mask_feather);
    r.crop_margin = args.integer("crop-margin", r.crop_margin);
    if (!args.has("strength")) r.strength = 1.0f;  // inpainting regenerates from noise unless told
}

}  // namespace dit::cli
