// dit-cli generate: one image from a prompt (txt2img) or from an init image (img2img), with a
// progress bar on stderr and the parameters stored in the PNG.
#include <QImage>
#include <QImageReader>
#include <QSaveFile>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <random>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/status_line.h"
#include "app/cli/control_args.h"
#include "app/cli/inpaint_args.h"
#include "app/cli/queue_args.h"
#include "engine/pipeline/outpaint.h"
#include "studio/model/model_defaults.h"
#include "app/cli/region_args.h"
#include "engine/error.h"
#include "engine/pipeline/batch.h"
#include "engine/pipeline/engine.h"
#include "engine/pipeline/prompt_check.h"
#include "studio/install_paths.h"
#include "studio/remote/queue_client.h"
#include "studio/remote/queue_job.h"
#include "studio/result_png.h"

namespace dit::cli {
namespace {

const char* kUsage =
    "usage: dit-cli generate --prompt TEXT [options]\n"
    "  --model DIR          diffusers PixArt folder (default: the embedded model)\n"
    "  --transformer FILE   a .gguf or .safetensors file replacing the folder's transformer weights\n"
    "  --text-encoder FILE  ... replacing its text encoder weights (llama.cpp's T5 GGUF names work)\n"
    "  --prompt TEXT        what to generate\n"
    "  --negative TEXT      negative prompt\n"
    "  --width N --height N size in pixels (multiples of 8 x patch size; default: the model's own size)\n"
    "  --steps N            sampling steps (default: the model's, else 20)\n"
    "  --sampler NAME       dpm++2m | ddim | euler | euler_a | lcm | flow_euler | scm (default: the model's, else dpm++2m)\n"
    "  --cfg F              classifier-free guidance scale (default: the model's, else 4.5)\n"
    "                       (the model's: its configs and studio.json, docs/studio.md)\n"
    "  --seed N|random      seed of the initial noise (default 0)\n"
    "  --noise-file X.npy   initial latent [1, C, H/8, W/8] instead of seeded noise\n"
    "  --init IMAGE         img2img: start from this image (resized to the output size)\n"
    "  --outpaint SIDES     with --init: extend it, e.g. left=64,right=64,top=0,bottom=0; the new area\n"
    "                       is inpainted (--inpaint-mode full|crop|lazy), the old pixels kept exactly;\n"
    "                       sides grow to the next multiple of 16; the output is the extended size\n"
    "  --strength F         img2img: how much of the schedule to re-run, (0, 1] (default 0.8)\n"
    DIT_CLI_BACKEND_HELP
    DIT_CLI_CACHE_HELP
    DIT_CLI_ATTENTION_HELP
    "  --low-vram           the text encoder's weights leave memory block by block: a GPU holds\n"
    "                       one T5 block at a time, the CPU keeps none resident after it (same image)\n"
    "  --output FILE.png    where to write the result (default out.png)\n"
    "  --batch N            N images (1..64), seeds seed, seed+1, ...; written as FILE-1.png ... FILE-N.png\n"
    "                       (the output's name with -k before .png); batched forwards while memory allows\n"
    "  --quiet              no progress bar\n"
    "on a queue (docs/remote.md), --model names a model the workers serve (default 'default'):\n"
    DIT_CLI_QUEUE_HELP
    "  --model-wait S       fail after S seconds while no live worker serves the model (default 60)\n";

void progress_bar(const Progress& p) {
    const int width = 30;
    const int filled = p.steps ? width * p.step / p.steps : width;
    const double per_step = p.step ? p.seconds / p.step : 0;
    status_line("[%.*s%.*s] %d/%d  %.2f s/step  ETA %.0f s ", filled, "##############################", width - filled,
                "                              ", p.step, p.steps, per_step, per_step * (p.steps - p.step));
    if (p.step == p.steps) end_status_line();
}

// Resized to width x height; at its own size when width <= 0.
Image load_init_image(const std::string& path, int width, int height) {
    QImageReader reader(QString::fromStdString(path));
    reader.setAutoTransform(true);
    QImage img = reader.read();
    if (img.isNull()) throw Error(path + ": cannot read image: " + reader.errorString().toStdString());
    if (width > 0 && (img.width() != width || img.height() != height))
        img = img.scaled(width, height, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    return studio::from_qimage(img);
}

std::atomic<bool> g_interrupted{false};
void on_interrupt(int) { g_interrupted.store(true); }

// The request on the queue: the same image, made by a worker; the PNG is the worker's bytes.
void generate_on_queue(const Args& args, const Request& r, const std::string& model, const std::string& output) {
    remote::QueueClient client(queue_url(args));
    const bool quiet = args.on("quiet");
    remote::RemoteRunOptions o;
    o.model_wait_s = args.integer("model-wait", 60);
    if (o.model_wait_s < 0 || o.model_wait_s > 86400) throw UsageError("--model-wait: outside 0..86400");
    o.preview_ms = 1000;  // a terminal shows no previews; keep the link quiet
    o.on_event = [quiet](const remote::JobEvent& e) {
        if (quiet) return;
        if (e.type == remote::JobEvent::Started) std::fprintf(stderr, "running on worker %s\n", e.worker.c_str());
        if (e.type == remote::JobEvent::Requeued) {
            end_status_line();
            std::fprintf(stderr, "worker %s handed the job back\n", e.worker.c_str());
        }
        if (e.type == remote::JobEvent::Progress) progress_bar(Progress{e.step, e.steps, e.seconds});
    };
    std::string last_status;
    o.on_status = [quiet, &last_status](const std::string& s) {
        if (!quiet && s != last_status) std::fprintf(stderr, "%s\n", s.c_str());
        last_status = s;
    };
    // Ctrl-C cancels the job on the farm too, not only this process.
    std::signal(SIGINT, on_interrupt);
    o.cancelled = [] { return g_interrupted.load(); };
    const std::string png = remote::run_remote_job(client, r, model, o);
    QSaveFile file(QString::fromStdString(output));
    if (!file.open(QIODevice::WriteOnly) || file.write(png.data(), qint64(png.size())) != qint64(png.size()) ||
        !file.commit())
        throw Error(output + ": cannot write: " + file.errorString().toStdString());
    if (!quiet) std::fprintf(stderr, "wrote %s (seed %llu)\n", output.c_str(), static_cast<unsigned long long>(r.seed));
}

}  // namespace

std::string batch_output_name(const std::string& output, int k) {
    const std::filesystem::path p(output);
    const std::string ext = p.extension().string();
    return (p.parent_path() / (p.stem().string() + "-" + std::to_string(k) + (ext.empty() ? ".png" : ext))).string();
}

std::filesystem::path default_model_dir() {
    const auto dir = studio::default_model_dir();
    if (dir.empty()) throw Error("no default model found (looked for share/dit-studio/models/default next to "
                                 "the executable and resources/models/default in the source tree); "
                                 "pass --model DIR or set DIT_DEFAULT_MODEL");
    return dir;
}

int generate_command(const std::vector<std::string>& argv) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::fputs(kUsage, stdout);
        std::fputs(kControlUsage, stdout);
        std::fputs(kInpaintUsage, stdout);
        std::fputs(kRegionUsage, stdout);
        return 0;
    }
    std::vector<std::string> rest = argv;  // --control may repeat, which Args refuses
    const std::vector<std::string> control_specs = take_control_flags(rest);
    const std::vector<std::string> region_specs = take_region_flags(rest);  // --region repeats too
    const Args args(rest,
                    with_inpaint_flags({"model", "transformer", "text-encoder", "prompt", "negative", "width", "height",
                                        "steps", "sampler", "cfg", "seed", "noise-file", "init", "strength", "backend",
                                        "device", "output", "outpaint", "queue", "password-file", "model-wait", "batch", "cache",
                                        "attention"}),
                    {"quiet", "low-vram"});
    Request r;
    const bool on_queue = args.has("queue");
    const std::string served = args.str("model", "default");
    if (on_queue && !remote::is_plain_name(served))
        throw UsageError("--model: with --queue it names a model the workers serve (e.g. tiny-pixart-alpha), "
                         "not a folder: '" + served + "'");
    if (on_queue && (args.has("transformer") || args.has("text-encoder")))
        throw UsageError("--transformer and --text-encoder swap a local folder's files: a queue's workers serve whole models");
    if (on_queue) r.model_dir = served;
    else r.model_dir = args.has("model") ? std::filesystem::path(args.str("model")) : default_model_dir();
    r.component_files.transformer = args.str("transformer");
    r.component_files.text_encoder = args.str("text-encoder");
    if (!args.has("prompt")) throw UsageError("--prompt is required");
    r.prompt = args.str("prompt");
    r.negative_prompt = args.str("negative");
    // Unset, the size, steps, sampler and guidance are the model's own (its configs and studio.json),
    // as in the studio: the default model at 512 px would take minutes and come out striped.
    const studio::ModelDefaults d = studio::model_defaults(QString::fromStdString(r.model_dir.string()));
    r.width = args.integer("width", d.width);
    r.height = args.integer("height", d.height);
    r.steps = args.integer("steps", d.steps);
    r.sampler = args.str("sampler", d.sampler.toStdString());
    r.cfg = args.number("cfg", float(d.cfg));
    if (args.str("seed") == "random")
        r.seed = std::random_device{}() & 0xffffffffu;
    else
        r.seed = args.u64("seed", 0);
    if (auto nf = args.opt("noise-file")) r.noise_file = *nf;
    r.strength = args.number("strength", 0.8f);
    if (args.has("strength") && !args.has("init")) throw UsageError("--strength needs --init");
    r.backend = backend_arg(args);
    r.low_vram = args.on("low-vram");
    r.cache = cache_arg(args);
    r.attention = attention_arg(args);
    if (auto spec = args.opt("outpaint")) {
        if (!args.has("init")) throw UsageError("--outpaint needs --init: the picture to extend");
        if (args.has("mask")) throw UsageError("--outpaint makes its own mask (the new area): drop --mask");
        if (args.has("width") || args.has("height"))
            throw UsageError("--outpaint sets the output size (the picture's plus the sides): drop --width/--height");
        const Image picture = load_init_image(args.str("init"), -1, -1);
        const Outpaint o = round_outpaint(parse_outpaint(*spec), picture.width, picture.height, 16);
        apply_outpaint(r, picture, o, args.has("strength"));
        apply_inpaint_options(args, r);
    } else {
        if (auto init = args.opt("init")) r.init_image = load_init_image(*init, r.width, r.height);
        apply_inpaint_args(args, args.str("init"), r);
    }
    for (const auto& spec : control_specs) r.controls.push_back(parse_control(spec, r.width, r.height));
    for (const auto& spec : region_specs) r.regions.push_back(parse_region(spec, r.width, r.height));
    const std::string output = args.str("output", "out.png");
    const int batch = args.integer("batch", 1);
    if (batch < 1 || batch > kMaxBatch)
        throw UsageError("--batch " + std::to_string(batch) + " is out of range (1.." + std::to_string(kMaxBatch) + ")");
    if (batch > 1 && on_queue) throw UsageError("--batch runs locally: submit one job per seed to a queue");
    if (batch > 1 && args.has("noise-file")) throw UsageError("--noise-file gives one initial latent: drop --batch");

    if (on_queue) {
        generate_on_queue(args, r, served, output);
        return 0;
    }
    // Said before the run: what of the prompts the model will not see, a size it was not made for.
    // A folder too broken to check fails in the engine below, with its own message.
    try {
        for (const auto& w : request_warnings(r)) std::fprintf(stderr, "warning: %s\n", w.c_str());
    } catch (const Error&) {
    }
    Engine engine;
    Callbacks cb;
    if (!args.on("quiet")) cb.progress = progress_bar;
    const std::vector<Result> results = engine.generate_batch(r, batch, cb);
    end_status_line();
    for (size_t k = 0; k < results.size(); ++k) {
        const Result& result = results[k];
        Request item = r;
        item.seed = r.seed + k;
        const std::string path = batch == 1 ? output : batch_output_name(output, int(k) + 1);
        studio::save_result_png(QString::fromStdString(path), result.image, item);
        if (k == 0 && !result.notice.empty()) std::fprintf(stderr, "note: %s\n", result.notice.c_str());
        if (!args.on("quiet"))
            std::fprintf(stderr, "wrote %s (%dx%d, seed %llu, %.2f s%s)\n", path.c_str(), result.image.width,
                         result.image.height, static_cast<unsigned long long>(item.seed), result.seconds,
                         r.cache == "off" ? ""
                                          : (", " + std::to_string(result.skipped_steps) + " of " +
                                             std::to_string(r.steps) + " steps from the step cache").c_str());
    }
    return 0;
}

}  // namespace dit::cli
