#include "engine/pipeline/pipeline.h"

#include "engine/io/config.h"
#include "engine/pipeline/model_family.h"
#include "engine/pipeline/pixart_pipeline.h"
#include "engine/pipeline/sana_pipeline.h"

namespace dit {

std::unique_ptr<Pipeline> load_pipeline(const std::filesystem::path& model_dir, kernels::Backend& ops,
                                        const ComponentFiles& files) {
    switch (runnable_family(DiffusersFolder::open(model_dir))) {
        case ModelFamily::PixArtAlpha:
        case ModelFamily::PixArtSigma: return PixArtPipeline::load(model_dir, ops, files);
        case ModelFamily::Sana:
        case ModelFamily::SanaSprint:
        case ModelFamily::SanaControlNet: return SanaPipeline::load(model_dir, ops, files);
    }
    return nullptr;  // unreachable: runnable_family throws for anything else
}

}  // namespace dit
