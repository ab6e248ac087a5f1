// dit-cli quantize: a copy of a diffusers folder whose transformer and/or text encoder are
// quantized (GGUF blocks or scaled FP8), loadable like the original (engine/io/quantize_model.h).
#include <cstdio>
#include <sstream>

#include "app/cli/cli_args.h"
#include "app/cli/commands.h"
#include "engine/io/quantize_model.h"
#include "engine/io/weights.h"

namespace dit::cli {
namespace {

const char* kUsage =
    "usage: dit-cli quantize --type TYPE --output DIR2 [--model DIR] [--components LIST]\n"
    "  --model DIR          diffusers PixArt folder (default: the embedded model)\n"
    "  --type TYPE          q8_0 | q6_k | q5_k | q4_k | q5_0 | q5_1 | q4_0 | q4_1 (GGUF) or\n"
    "                       f8_e4m3 | f8_e5m2 (safetensors with a scale per tensor)\n"
    "  --components LIST    comma-separated, of transformer,text_encoder (default both)\n"
    "  --output DIR2        the new folder (must not exist); everything else is copied\n"
    "Norms, biases, embeddings, 1-D tensors and matrices under 4096 values keep their precision\n"
    "(docs/quantization.md).\n";

DType parse_type(const std::string& s) {
    for (DType t : {DType::Q8_0, DType::Q6_K, DType::Q5_K, DType::Q4_K, DType::Q5_0, DType::Q5_1, DType::Q4_0,
                    DType::Q4_1, DType::F8_E4M3, DType::F8_E5M2}) {
        std::string name = dtype_name(t);
        for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
        if (name == s) return t;
    }
    throw UsageError("--type '" + s + "' is not one of q8_0, q6_k, q5_k, q4_k, q5_0, q5_1, q4_0, q4_1, f8_e4m3, f8_e5m2");
}

std::string mib(uint64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f MiB", double(bytes) / (1024.0 * 1024.0));
    return buf;
}

}  // namespace

int quantize_command(const std::vector<std::string>& argv) {
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    const Args args(argv, {"model", "type", "components", "output"}, {"quiet"});
    if (!args.has("type")) throw UsageError("--type is required");
    if (!args.has("output")) throw UsageError("--output is required");
    const DType type = parse_type(args.str("type"));
    std::vector<std::string> components;
    std::stringstream list(args.str("components", "transformer,text_encoder"));
    for (std::string c; std::getline(list, c, ',');) {
        if (c != "transformer" && c != "text_encoder")
            throw UsageError("--components: '" + c + "' is not transformer or text_encoder");
        components.push_back(c);
    }
    if (components.empty()) throw UsageError("--components names no component");
    const std::filesystem::path model = args.has("model") ? std::filesystem::path(args.str("model")) : default_model_dir();
    const auto reports = quantize_model(model, args.str("output"), type, components);
    for (const ComponentReport& r : reports) {
        // Reopened as the models will open it, so a file that cannot load is caught here.
        const WeightStore check = WeightStore::open(r.file);
        if (!args.on("quiet"))
            std::printf("%s: %s -> %s, %d quantized, %d kept (%s): %s\n", r.component.c_str(),
                        mib(r.bytes_before).c_str(), mib(check.stored_bytes()).c_str(), r.quantized, r.kept,
                        check.dtype_summary().c_str(), r.file.string().c_str());
    }
    return 0;
}

}  // namespace dit::cli
