#pragma once
// The generation settings a document (and a preset) carries. They mirror dit::Request field by
// field, plus what the UI decides before a request exists: a random seed, the mode, and the
// controls (which control maps of the document go in, and how strongly).
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <vector>

namespace dit::studio {

enum class GenerationMode { Txt2Img, Img2Img, Inpaint };
enum class InpaintMode { Full, Crop, Lazy };

// One control adapter of a generation. The map itself comes from the document when the request
// is made: "pose" renders the pose layer, "edges" takes the edge layer.
struct ControlSettings {
    QString type = QStringLiteral("pose");  // pose | edges
    bool enabled = true;
    double weight = 1.0;                    // [0, 2]: scales the adapter's residuals
    double start = 0.0, end = 1.0;          // the fraction of the schedule it acts in, start < end

    bool operator==(const ControlSettings&) const = default;
};

struct GenerationSettings {
    QString model_dir;
    int width = 512, height = 512;
    int steps = 20;
    QString sampler = QStringLiteral("dpm++2m");
    double cfg = 4.5;
    quint64 seed = 0;
    bool random_seed = true;
    double strength = 0.8;  // img2img: the fraction of the schedule that is re-run
    double denoise = 1.0;   // inpaint: the same inside the mask; 1 regenerates it from noise
    GenerationMode mode = GenerationMode::Txt2Img;
    InpaintMode inpaint_mode = InpaintMode::Full;
    int lazy_refresh = 4;  // lazy inpainting: refresh the known tokens' K/V every k steps
    QString backend = QStringLiteral("cpu");
    bool low_vram = false;  // a GPU backend keeps at most one T5 block's matrices on the device
    std::vector<ControlSettings> controls;
    int batch = 1;  // images per Generate, seeds seed, seed + 1, ... (engine/pipeline/batch.h)
    // Step caching, as dit::Request::cache: "off" | "teacache:THRESH" (engine/models/step_cache.h).
    QString cache = QStringLiteral("off");

    bool operator==(const GenerationSettings&) const = default;
};

// The JSON keys, in the order they are written; the preset schema lists the same ones.
// "controls" is an array of {"type", "enabled", "weight", "start", "end"} objects (only "type"
// is required) and replaces the base's list as a whole.
QStringList settings_keys();
QStringList control_keys();
QStringList control_types();  // pose, edges
QJsonObject settings_to_json(const GenerationSettings& s);
// The fields present in `json` applied onto `base`. Every field is checked for type and range;
// unknown keys are errors. Throws dit::Error "<context>: field '<prefix><key>': <what is wrong>".
GenerationSettings settings_from_json(const QJsonObject& json, const GenerationSettings& base,
                                      const QString& context, const QString& prefix = {});

// The cache field as the Generation panel shows it: its TeaCache threshold, or -1 when off (and
// back; kDefaultCacheThreshold is what the panel offers when it is switched on).
double cache_threshold(const QString& cache);
QString cache_setting(double threshold);
extern const double kDefaultCacheThreshold;

QString mode_name(GenerationMode m);
QString inpaint_mode_name(InpaintMode m);

}  // namespace dit::studio
