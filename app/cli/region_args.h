#pragma once
// dit-cli's --region option (generate): "PROMPT:MASK.png", repeatable, one regional prompt each
// (Request::regions; engine/pipeline/regional_prompts.h). The mask is read as grey levels
// (> 127 is inside) and scaled to the output size when it differs. The prompt is everything
// before the last ':', so a prompt may itself contain ':'.
#include <string>
#include <vector>

#include "engine/pipeline/engine.h"

namespace dit::cli {

// Removes every `--region SPEC` / `--region=SPEC` from argv (the strict Args reader refuses a
// flag given twice) and returns the specs in order. Throws UsageError for a missing SPEC.
std::vector<std::string> take_region_flags(std::vector<std::string>& argv);

// One spec as a RegionPrompt with a width x height mask. Throws UsageError for a malformed spec
// and dit::Error naming the file for an unreadable mask.
RegionPrompt parse_region(const std::string& spec, int width, int height);

extern const char* kRegionUsage;  // the --region lines of --help

}  // namespace dit::cli
