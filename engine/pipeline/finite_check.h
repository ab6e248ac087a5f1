#pragma once
// The run stops at the first non-finite number instead of writing an all-black PNG: a checkpoint
// whose weights hold NaN (a broken download, a bad conversion) or an overflow shows up in the
// first prediction or latent that carries it, and the error names the step and the component.
#include <string>

#include "engine/tensor.h"

namespace dit {

// Throws dit::Error when `t` (in any backend's memory) holds NaN or ±inf:
//   "<when>: the <component> is not finite (n of N values are NaN or infinite); <cause>; ..."
// `when` says where in the run, e.g. "step 3/20" or "after step 20/20".
// `cause` ends the message: what probably made the numbers non-finite (by default the weights).
void require_finite(const Tensor& t, const std::string& component, const std::string& when,
                    const std::string& cause = "the model's weights may hold NaN or infinity (a damaged or wrongly "
                                               "converted checkpoint), or the numbers overflowed");

// "step i/n", steps counted from 1 as the progress callback counts them.
std::string step_label(int step, int steps);

}  // namespace dit
