#include "engine/pipeline/model_family.h"

#include "engine/error.h"
#include "engine/io/config.h"

namespace dit {

const std::vector<PipelineClass>& pipeline_classes() {
    static const std::vector<PipelineClass> classes{
        {"PixArtAlphaPipeline", ModelFamily::PixArtAlpha},
        {"PixArtSigmaPipeline", ModelFamily::PixArtSigma},
        {"SanaPipeline", ModelFamily::Sana},
        {"SanaSprintPipeline", ModelFamily::SanaSprint},
        {"SanaControlNetPipeline", ModelFamily::SanaControlNet},
    };
    return classes;
}

const char* family_name(ModelFamily f) {
    switch (f) {
        case ModelFamily::PixArtAlpha: return "PixArt-α";
        case ModelFamily::PixArtSigma: return "PixArt-Σ";
        case ModelFamily::Sana: return "Sana";
        case ModelFamily::SanaSprint: return "Sana-Sprint";
        case ModelFamily::SanaControlNet: return "Sana ControlNet";
    }
    return "unknown";
}

namespace {

std::string class_list() {
    std::string s;
    for (const auto& c : pipeline_classes()) s += (s.empty() ? "" : ", ") + std::string(c.class_name);
    return s;
}

}  // namespace

ModelFamily runnable_family(const DiffusersFolder& folder) {
    const std::string where = (folder.root() / "model_index.json").string();
    if (!folder.model_index().has("_class_name"))
        throw Error(where + ": field '_class_name' is missing, so the pipeline class is unknown; supported: " +
                    class_list());
    const std::string cls = folder.model_index().get_string("_class_name");
    for (const auto& c : pipeline_classes())
        if (cls == c.class_name) return c.family;
    throw Error(where + ": pipeline class '" + cls + "' is not supported; supported: " + class_list());
}

}  // namespace dit
