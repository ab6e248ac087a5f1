#pragma once
// The control input of a world case, for the commands that measure control fidelity (eval,
// control-relevance): the scene's own Canny map (edges) or the OpenPose render of its person
// (pose), at the case's size, as the training data drew them.
#include <QImage>
#include <filesystem>
#include <string>

#include "engine/pipeline/engine.h"
#include "studio/world/world_renderer.h"

namespace dit::cli {

// type: "edges" | "pose". adapter_dir: the adapter folder (empty: the model's controlnet_<type>/).
ControlInput world_control(const std::string& type, const studio::WorldScene& scene, const studio::WorldRender& truth,
                           int size, const std::filesystem::path& adapter_dir = {});

// How well `image` follows that control: edge F1 against the scene's Canny map (edges), or the
// share of the person's limbs found (pose; the scene must have a person).
double world_control_fidelity(const std::string& type, const studio::WorldScene& scene,
                              const studio::WorldRender& truth, const QImage& image);

}  // namespace dit::cli
