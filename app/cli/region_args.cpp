#include "app/cli/region_args.h"

#include <QImage>
#include <QImageReader>
#include <algorithm>

#include "app/cli/cli_args.h"
#include "engine/error.h"

namespace dit::cli {

const char* kRegionUsage =
    "regional prompts:\n"
    "  --region PROMPT:MASK.png  tokens under the mask (grey > 127) also attend to PROMPT; repeatable,\n"
    "                       a later region wins where masks overlap; the mask is scaled to the output\n";

std::vector<std::string> take_region_flags(std::vector<std::string>& argv) {
    std::vector<std::string> specs, rest;
    for (size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] == "--region") {
            if (i + 1 >= argv.size()) throw UsageError("--region needs a value (PROMPT:MASK.png)");
            specs.push_back(argv[++i]);
        } else if (argv[i].rfind("--region=", 0) == 0) {
            specs.push_back(argv[i].substr(9));
        } else {
            rest.push_back(argv[i]);
        }
    }
    argv = rest;
    return specs;
}

RegionPrompt parse_region(const std::string& spec, int width, int height) {
    const size_t colon = spec.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
        throw UsageError("--region " + spec + ": expected PROMPT:MASK.png");
    RegionPrompt region;
    region.prompt = spec.substr(0, colon);
    const std::string path = spec.substr(colon + 1);
    QImageReader reader(QString::fromStdString(path));
    reader.setAutoTransform(true);
    QImage img = reader.read();
    if (img.isNull()) throw Error(path + ": cannot read region mask: " + reader.errorString().toStdString());
    img = img.convertToFormat(QImage::Format_Grayscale8);
    if (img.width() != width || img.height() != height)
        img = img.scaled(width, height, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    region.mask.width = img.width();
    region.mask.height = img.height();
    region.mask.value.resize(size_t(width) * height);
    for (int y = 0; y < height; ++y) {
        const uchar* row = img.constScanLine(y);
        std::copy(row, row + width, region.mask.value.begin() + size_t(y) * width);
    }
    return region;
}

}  // namespace dit::cli
