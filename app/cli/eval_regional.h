#pragma once
// dit-cli eval --regions: the regional-prompt measurement (studio/eval/regional_effect.h): each
// case generated without and with a half-canvas region asking for one object; prints the mean
// pixel change inside and outside the region, their ratio, and how often the region's object
// appears in its cell with and without the region. With --out, saves both images of every case
// (NNNNNN_without.png, NNNNNN_with.png) and regions.json.
#include <QString>
#include <cstdint>

#include "engine/pipeline/engine.h"

namespace dit::cli {

// Returns the exit status (0).
int eval_regions(const Request& base, int cases, uint64_t seed, bool quiet, const QString& out);

}  // namespace dit::cli
