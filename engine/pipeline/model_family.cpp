#include "engine/pipeline/model_family.h"

#include "engine/error.h"
#include "engine/io/config.h"

namespace dit {

const std::vector<PipelineClass>& pipeline_classes() {
    static const std::vector<PipelineClass> classes{
        {"PixArtAlphaPipeline", ModelFamily::PixArtAlpha, true},
        {"PixArtSigmaPipeline", ModelFamily::PixArtSigma, true},
        {"SanaPipeline", ModelFamily::Sana, false},
        {"SanaSprintPipeline", ModelFamily::SanaSprint, false},
        {"SanaControlNetPipeline", ModelFamily::SanaControlNet, false},
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

std::string class_list(bool assembled) {
    std::string s;
    for (const auto& c : pipeline_classes())
        if (c.assembled == assembled) s += (s.empty() ? "" : ", ") + std::string(c.class_name);
    return s;
}

std::string runnable_list() { return class_list(true); }

}  // namespace

ModelFamily runnable_family(const DiffusersFolder& folder) {
    const std::string where = (folder.root() / "model_index.json").string();
    if (!folder.model_index().has("_class_name"))
        throw Error(where + ": field '_class_name' is missing, so the pipeline class is unknown; supported: " +
                    runnable_list());
    const std::string cls = folder.model_index().get_string("_class_name");
    for (const auto& c : pipeline_classes()) {
        if (cls != c.class_name) continue;
        if (!c.assembled)
            throw Error(where + ": " + cls + " (" + family_name(c.family) +
                        ") is recognised but its pipeline is not yet assembled in this engine; runnable now: " +
                        runnable_list());
        return c.family;
    }
    const std::string pending = class_list(false);
    throw Error(where + ": pipeline class '" + cls + "' is not supported; supported: " + runnable_list() +
                (pending.empty() ? "" : " (recognised, not yet runnable: " + pending + ")"));
}

}  // namespace dit
