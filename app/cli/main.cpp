// dit-cli: the headless entry point. Every failure ends in one line on stderr naming what is
// wrong and a non-zero exit: 1 for a failed run, 2 for a usage error.
#include <QCoreApplication>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "app/cli/status_line.h"
#include "engine/error.h"

namespace {

const char* kUsage =
    "usage: dit-cli <command> [options]\n"
    "commands:\n"
    "  generate   make an image from a prompt (txt2img) or an init image (img2img)\n"
    "  upscale    enlarge a picture and refine it by tiles at the model's native size\n"
    "  world      write scenes of the procedural world (image, edges, pose, caption, layout)\n"
    "  pose-map   render an OpenPose JSON as a pose control map\n"
    "  eval       measure how well a model follows the procedural world (quality harness)\n"
    "  control-relevance  skip one control block at a time and measure control fidelity\n"
    "  quantize   write a copy of a model with its transformer / text encoder in GGUF or FP8\n"
    "  worker     serve generations from a Redis queue (docs/remote.md)\n"
    "run 'dit-cli <command> --help' for its options\n";

}  // namespace

int main(int argc, char** argv) {
    // Image codecs are looked up through the application object; no window is ever opened.
    QCoreApplication app(argc, argv);
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::fputs(kUsage, args.empty() ? stderr : stdout);
        return args.empty() ? 2 : 0;
    }
    const std::string command = args[0];
    args.erase(args.begin());
    try {
        if (command == "generate") return dit::cli::generate_command(args);
        if (command == "upscale") return dit::cli::upscale_command(args);
        if (command == "world") return dit::cli::world_command(args);
        if (command == "pose-map") return dit::cli::pose_map_command(args);
        if (command == "eval") return dit::cli::eval_command(args);
        if (command == "control-relevance") return dit::cli::control_relevance_command(args);
        if (command == "quantize") return dit::cli::quantize_command(args);
        if (command == "worker") return dit::cli::worker_command(args);
        std::fprintf(stderr, "dit-cli: unknown command '%s'\n%s", command.c_str(), kUsage);
        return 2;
    } catch (const dit::cli::UsageError& e) {
        dit::cli::end_status_line();
        std::fprintf(stderr, "dit-cli %s: %s (see --help)\n", command.c_str(), e.what());
        return 2;
    } catch (const dit::Cancelled&) {
        dit::cli::end_status_line();  // only a drawn progress line needs ending
        std::fprintf(stderr, "dit-cli %s: cancelled\n", command.c_str());
        return 130;
    } catch (const std::exception& e) {
        dit::cli::end_status_line();
        std::fprintf(stderr, "dit-cli %s: error: %s\n", command.c_str(), e.what());
        return 1;
    }
}
