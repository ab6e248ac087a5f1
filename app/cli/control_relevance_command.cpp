// dit-cli control-relevance: RelaCtrl's relevance of each control block, measured. Generates
// world cases from their captions without positions, with the control (edges: the scene's Canny
// map; pose: its OpenPose map), then again with one control block skipped at a time, and scores
// control fidelity with the quality harness (edge F1, pose limb hits). A block whose removal
// costs little fidelity is a pruning candidate; --skip evaluates a chosen pruned set. Prints the
// table; the last line is the pruned set's fidelity and speed-up (or, without --skip, the least
// relevant block's).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/status_line.h"
#include "app/cli/world_control.h"
#include "engine/error.h"
#include "engine/io/config.h"
#include "engine/pipeline/engine.h"
#include "studio/result_png.h"
#include "studio/world/world_renderer.h"

namespace dit::cli {
namespace {

const char* kUsage =
    "usage: dit-cli control-relevance --type edges|pose [options]\n"
    "  --model DIR          diffusers PixArt folder (default: the embedded model)\n"
    "  --adapter DIR        the control adapter (default: the model's controlnet_TYPE/)\n"
    "  --cases N            world cases, 1..1000 (default 8; pose: scenes with a person)\n"
    "  --seed S             case seed (default 4), as dit-cli eval\n"
    "  --size N             square image size, 32..1024 (default 128)\n"
    "  --steps N            sampling steps (default 20)\n"
    "  --sampler NAME       sampler (default dpm++2m)\n"
    "  --cfg F              guidance scale (default 4.5)\n"
    "  --weight F           control weight (default 1)\n"
    "  --skip LIST          also evaluate this pruned set of control blocks (e.g. 3,4)\n"
    DIT_CLI_BACKEND_HELP
    "  --quiet              no progress line\n"
    "prints fidelity and s/step without control, with all blocks, and with each block skipped; the last\n"
    "line is the pruned set's (or the least relevant block's) fidelity and speed-up\n";

std::vector<int> parse_list(const std::string& text, int blocks) {
    std::vector<int> out;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) {
        int v = -1;
        try {
            size_t used = 0;
            v = std::stoi(item, &used);
            if (used != item.size()) v = -1;
        } catch (const std::exception&) {
        }
        if (v < 0 || v >= blocks)
            throw UsageError("--skip: '" + item + "' is not a control block (0.." + std::to_string(blocks - 1) + ")");
        out.push_back(v);
    }
    return out;
}

std::string list_text(const std::vector<int>& v) {
    std::string s;
    for (int j : v) {
        if (!s.empty()) s += ',';
        s += std::to_string(j);
    }
    return s;
}

struct Case {
    studio::WorldScene scene;
    studio::WorldRender truth;
};

struct Score {
    double fidelity = 0, seconds = 0;
};

}  // namespace

int control_relevance_command(const std::vector<std::string>& argv) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    const Args args(argv,
                    {"type", "model", "adapter", "cases", "seed", "size", "steps", "sampler", "cfg", "weight", "skip",
                     "backend", "device"},
                    {"quiet"});
    const std::string type = args.str("type");
    if (type != "edges" && type != "pose") throw UsageError("--type must be edges or pose");
    const int cases = args.integer("cases", 8);
    if (cases < 1 || cases > 1000) throw UsageError("--cases must be 1..1000, got " + std::to_string(cases));
    const uint64_t seed = args.u64("seed", 4);
    const int size = args.integer("size", 128);
    if (size < 32 || size > 1024) throw UsageError("--size must be 32..1024, got " + std::to_string(size));
    Request base;
    base.model_dir = args.has("model") ? std::filesystem::path(args.str("model")) : default_model_dir();
    base.width = base.height = size;
    base.steps = args.integer("steps", 20);
    base.sampler = args.str("sampler", "dpm++2m");
    base.cfg = args.number("cfg", 4.5f);
    base.backend = backend_arg(args);
    const bool quiet = args.on("quiet");
    ControlInput control;
    control.type = type;
    control.weight = args.number("weight", 1.0f);
    control.adapter_dir = args.has("adapter") ? std::filesystem::path(args.str("adapter"))
                                              : base.model_dir / ("controlnet_" + type);
    if (!std::filesystem::is_directory(control.adapter_dir))
        throw Error(control.adapter_dir.string() + ": control adapter folder does not exist (train one with "
                    "tools/train/train_control.py or pass --adapter)");
    const Config adapter_config = Config::read(control.adapter_dir / "config.json");
    const int blocks = static_cast<int>(adapter_config.get_int("num_layers", 13));
    const std::vector<int> pruned = args.has("skip") ? parse_list(args.str("skip"), blocks) : std::vector<int>{};

    // The cases: world scenes (pose: only those with a person), as dit-cli eval makes them.
    studio::WorldOptions world;
    world.size = size;
    world.people_fraction = type == "pose" ? 1.0 : 0.3;
    std::vector<Case> scenes;
    for (int i = 0; i < cases; ++i) {
        Case c;
        c.scene = studio::make_world_scene(studio::world_scene_seed(seed, uint64_t(i)), world);
        c.truth = studio::render_world(c.scene);
        scenes.push_back(std::move(c));
    }

    Engine engine;
    Callbacks callbacks;
    int done = 0;
    const int runs = cases * (blocks + 2 + (pruned.empty() ? 0 : 1));
    // Mean fidelity and seconds per image of one configuration (controls off, or these blocks skipped).
    auto evaluate = [&](bool with_control, const std::vector<int>& skip) {
        Score s;
        for (size_t i = 0; i < scenes.size(); ++i) {
            const Case& c = scenes[i];
            Request r = base;
            // The caption without positions: the layout is the control's to give, so "no control"
            // is the baseline the blocks are measured against (as dit-cli eval's control rows).
            r.prompt = c.scene.caption(studio::WorldScene::Placement::Unplaced);
            r.seed = seed + i;
            if (with_control) {
                ControlInput in = control;
                in.image = world_control(type, c.scene, c.truth, size).image;
                in.skip_blocks = skip;
                r.controls = {in};
            }
            // Seconds per step from the progress times of steps 1..n: the per-request work
            // (adapter load, condition) is left out, so every row times the same denoising.
            double first = 0, last = 0;
            int first_step = 0, last_step = 0;
            callbacks.progress = [&](const Progress& p) {
                if (p.step == 1) first = p.seconds, first_step = 1;
                last = p.seconds;
                last_step = p.step;
            };
            const Result res = engine.generate(r, callbacks);
            s.seconds += last_step > first_step ? (last - first) / (last_step - first_step) : res.seconds;
            s.fidelity += world_control_fidelity(type, c.scene, c.truth, studio::to_qimage(res.image));
            if (!quiet) {
                status_line("control-relevance: %d/%d images", ++done, runs);
            }
        }
        s.fidelity /= double(scenes.size());
        s.seconds /= double(scenes.size());  // mean seconds per step
        return s;
    };

    const Score none = evaluate(false, {});
    const Score full = evaluate(true, {});
    std::vector<Score> skipped;
    for (int j = 0; j < blocks; ++j) skipped.push_back(evaluate(true, {j}));
    Score pruned_score;
    if (!pruned.empty()) pruned_score = evaluate(true, pruned);
    end_status_line();

    const char* metric = type == "edges" ? "edge F1" : "pose limb hits";
    std::printf("dit-cli control-relevance: %s adapter %s (%d blocks), %d world cases (seed %llu, %d px), %d steps %s, "
                "cfg %g, weight %g, %s\n",
                type.c_str(), control.adapter_dir.string().c_str(), blocks, cases,
                static_cast<unsigned long long>(seed), size, base.steps, base.sampler.c_str(), base.cfg,
                control.weight, base.backend.c_str());
    std::printf("%-28s %14s %10s %12s\n", "configuration", metric, "drop", "s/step");
    auto row = [&](const std::string& name, const Score& s, bool drop) {
        if (drop)
            std::printf("%-28s %14.3f %10.3f %12.3f\n", name.c_str(), s.fidelity, full.fidelity - s.fidelity, s.seconds);
        else
            std::printf("%-28s %14.3f %10s %12.3f\n", name.c_str(), s.fidelity, "", s.seconds);
    };
    row("no control", none, false);
    row("all control blocks", full, false);
    int least = 0;
    for (int j = 0; j < blocks; ++j) {
        row("skip block " + std::to_string(j), skipped[j], true);
        if (full.fidelity - skipped[j].fidelity < full.fidelity - skipped[least].fidelity) least = j;
    }
    const Score& last = pruned.empty() ? skipped[least] : pruned_score;
    const std::string set = pruned.empty() ? std::to_string(least) : list_text(pruned);
    if (!pruned.empty()) row("skip blocks " + set, pruned_score, true);
    std::printf("pruned set {%s}: %s %.3f (all blocks %.3f, no control %.3f), speed-up %.3fx\n", set.c_str(), metric,
                last.fidelity, full.fidelity, none.fidelity, last.seconds > 0 ? full.seconds / last.seconds : 0.0);
    return 0;
}

}  // namespace dit::cli
