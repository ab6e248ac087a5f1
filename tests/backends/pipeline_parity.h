#pragma once
// The tiny fixture models (tests/fixtures/tiny-pixart-alpha, the control adapters) on a backend
// (CUDA; kernels::isolated() in the CPU suite, which checks this harness) against the reference: each model's forward on its own (relative L2 error of
// the output; the GEMMs round their operands to bf16, so ~1e-3 is expected and 2e-2 the bound),
// then whole generations through Engine::generate (txt2img, img2img, inpainting full / crop /
// lazy, regional prompts, a control, and running out of device memory, which must fall back to
// the CPU with a notice), compared as images by PSNR. Qt-free, like parity.h: run by
// tests/engine/test_cuda_pipeline.cpp (skips without a GPU), test_device_memory and
// `cuda_parity --pipeline`.
#include <string>
#include <vector>

#include "engine/pipeline/engine.h"
#include "tests/backends/parity.h"

namespace dit::kernels::parity {

// The fixture request every case starts from: tiny-pixart-alpha, 96x64, 4 steps, CFG.
Request tiny_request(const std::string& fixtures, const std::string& variant = "alpha");
Mask right_half(int width, int height);       // the inpainting / region mask: the right half
Image edge_strokes(int width, int height);    // a control map: white strokes on black

// fixtures: the tests/fixtures folder; backend: the name Engine requests use (engine.h).
std::vector<Result> run_pipelines(const std::string& fixtures, const std::string& backend);

}  // namespace dit::kernels::parity
