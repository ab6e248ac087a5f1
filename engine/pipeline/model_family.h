#pragma once
// Which model family a diffusers folder holds, decided by model_index.json's "_class_name" (the
// pipeline class diffusers would instantiate), never by which files happen to be present: another
// pipeline's folder holding the files PixArt's loader reads would otherwise run as PixArt. Every
// class is either runnable or refused by name.
#include <string>
#include <vector>

namespace dit {

class DiffusersFolder;

enum class ModelFamily { PixArtAlpha, PixArtSigma, Sana, SanaSprint, SanaControlNet };

struct PipelineClass {
    const char* class_name;  // model_index.json's "_class_name"
    ModelFamily family;
};

// Every class the engine recognises, in the order messages list them.
const std::vector<PipelineClass>& pipeline_classes();
const char* family_name(ModelFamily f);  // "PixArt-Σ", "Sana-Sprint", ...

// The family of the folder's pipeline class. Throws dit::Error naming model_index.json and the
// class, listing the supported classes, when the class is missing or unknown.
ModelFamily runnable_family(const DiffusersFolder& folder);

}  // namespace dit
