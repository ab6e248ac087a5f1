#pragma once
// dit-cli generate's inpainting flags: --mask, --inpaint-mode, --lazy-refresh and the mask
// settings (docs/inpainting.md).
#include <set>
#include <string>

#include "app/cli/cli_args.h"
#include "engine/pipeline/engine.h"

namespace dit::cli {

extern const char* kInpaintUsage;
// `flags` plus the inpainting flags, for Args.
std::set<std::string> with_inpaint_flags(std::set<std::string> flags);
// Reads the flags into r (after r's size, init image and strength are set): loads the mask,
// resized like the init image when both come at another size than the output. Throws
// UsageError for a flag without --mask, --mask without --init, or a mask whose size is neither
// the init image's nor the output's; dit::Error when the mask cannot be read.
void apply_inpaint_args(const Args& args, const std::string& init_path, Request& r);
// The mode and the mask settings alone, for a request whose mask is already made (outpainting).
void apply_inpaint_options(const Args& args, Request& r);

}  // namespace dit::cli
