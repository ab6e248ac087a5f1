#pragma once
// dit-cli's --control option (generate, control-relevance): TYPE:FILE[:weight[:start:end]].
//   edges:FILE.png        an edge map used as is (white edges on black, the output's size)
//   edges-from:IMAGE      the project's Canny path on an image (resized to the output size)
//   pose:FILE.json        OpenPose JSON drawn by the studio's one pose renderer at the output size
//   pose:FILE.png         a pose map already rendered
//   TYPE:FILE.png         any other adapter type (the model's controlnet_TYPE/)
// --control may be given several times; the controls compose.
#include <string>
#include <vector>

#include "engine/pipeline/engine.h"

namespace dit::cli {

// Removes every `--control SPEC` / `--control=SPEC` from argv (the strict Args reader refuses a
// flag given twice) and returns the specs in order. Throws UsageError for a missing SPEC.
std::vector<std::string> take_control_flags(std::vector<std::string>& argv);

// One spec as a ControlInput whose map is width x height. Throws UsageError for a malformed spec
// and dit::Error for an unreadable or wrong-sized file or a bad pose, naming the file and field.
ControlInput parse_control(const std::string& spec, int width, int height);

extern const char* kControlUsage;  // the --control lines of --help

}  // namespace dit::cli
