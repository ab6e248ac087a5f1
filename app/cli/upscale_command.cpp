// dit-cli upscale: a picture enlarged (OpenCV Lanczos) and refined by img2img over overlapping
// tiles at the model's native size (engine/pipeline/upscale.h), written with its parameters.
#include <QImage>
#include <QImageReader>
#include <cmath>
#include <cstdio>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/status_line.h"
#include "app/cli/region_args.h"
#include "engine/error.h"
#include "engine/pipeline/upscale.h"
#include "studio/model/model_defaults.h"
#include "studio/result_png.h"
#include "studio/upscale.h"

namespace dit::cli {

namespace {

const char* kUpscaleUsage =
    "usage: dit-cli upscale --input IN.png --scale F --prompt TEXT [options] --output OUT.png\n"
    "  --scale F            enlargement, 1 < F <= 8 (e.g. 2 or 4)\n"
    "  --model DIR          diffusers folder (default: the embedded default model)\n"
    "  --tile PX            refinement tile, a multiple of 16 (default: the model's native size)\n"
    "  --overlap PX         tiles overlap at least this much, below tile/2 (default: tile/8)\n"
    "  --strength S         img2img strength of the refinement, (0, 1] (default 0.1)\n"
    "  --steps N --sampler NAME --cfg F --negative TEXT --seed N  as for generate (tile i: seed N + i)\n"
    "  --region TEXT:MASK.png  a regional prompt over the output (repeatable; cropped per tile)\n"
    "  --backend NAME       cpu | cpu-reference | cuda | auto\n"
    DIT_CLI_ATTENTION_HELP
    "                       (with a --tile above the model's size, grouped attention keeps it fast)\n"
    "  --quiet              no progress bar\n";

}  // namespace

int upscale_command(const std::vector<std::string>& argv) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::fputs(kUpscaleUsage, stdout);
        return 0;
    }
    std::vector<std::string> rest = argv;
    const std::vector<std::string> region_specs = take_region_flags(rest);
    const Args args(rest, {"input", "scale", "prompt", "negative", "model", "tile", "overlap", "strength", "steps",
                           "sampler", "cfg", "seed", "backend", "output", "attention"},
                    {"quiet"});
    for (const char* required : {"input", "scale", "prompt", "output"})
        if (!args.has(required)) throw UsageError(std::string("--") + required + " is required");
    const float scale = args.number("scale", 0);
    if (!(scale > 1 && scale <= 8)) throw UsageError("--scale must lie in (1, 8], got " + args.str("scale"));
    const std::string input = args.str("input");
    QImageReader reader(QString::fromStdString(input));
    reader.setAutoTransform(true);
    const QImage in = reader.read();
    if (in.isNull()) throw Error(input + ": cannot read image: " + reader.errorString().toStdString());
    const int width = int(std::lround(in.width() * scale)), height = int(std::lround(in.height() * scale));

    UpscaleRequest u;
    Request& r = u.base;
    r.model_dir = args.has("model") ? std::filesystem::path(args.str("model")) : default_model_dir();
    const studio::ModelDefaults d = studio::model_defaults(QString::fromStdString(r.model_dir.string()));
    r.prompt = args.str("prompt");
    r.negative_prompt = args.str("negative");
    r.steps = args.integer("steps", d.steps);
    r.sampler = args.str("sampler", d.sampler.toStdString());
    r.cfg = args.number("cfg", float(d.cfg));
    r.seed = args.u64("seed", 0);
    r.backend = backend_arg(args);
    r.attention = attention_arg(args);
    r.width = width;
    r.height = height;
    for (const auto& spec : region_specs) r.regions.push_back(parse_region(spec, width, height));
    u.tile = args.integer("tile", std::min(d.width, d.height));
    u.overlap = args.integer("overlap", u.tile / 8);
    u.strength = args.number("strength", kDefaultUpscaleStrength);
    r.strength = u.strength;
    // Every field is checked before the picture is enlarged: a 20000-pixel request fails at once.
    if (width > 8192 || height > 8192)
        throw UsageError("--scale " + args.str("scale") + " makes " + std::to_string(width) + "x" + std::to_string(height) +
                         ", above 8192 pixels a side");
    (void)tile_layout(width, height, u.tile, u.overlap, 16);
    u.picture = studio::lanczos_resize(studio::from_qimage(in), width, height);

    Engine engine;
    Callbacks cb;
    if (!args.on("quiet"))
        cb.progress = [](const Progress& p) {
            status_line("refining: step %d/%d  %.1f s ", p.step, p.steps, p.seconds);
            if (p.step == p.steps) end_status_line();
        };
    const Result result = upscale_refine(engine, u, cb);
    const std::string output = args.str("output");
    studio::save_result_png(QString::fromStdString(output), result.image, r);
    if (!args.on("quiet"))
        std::fprintf(stderr, "wrote %s (%dx%d from %dx%d, %.1f s)\n", output.c_str(), width, height, in.width(),
                     in.height(), result.seconds);
    return 0;
}

}  // namespace dit::cli
