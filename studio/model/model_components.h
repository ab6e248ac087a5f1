#pragma once
// What each component of a model folder holds on disk: its weight file, size and storage types
// ("Q8_0 96, F32 25"), so the studio can show a quantized copy for what it is. Reads only the
// files' headers (the weights are mapped, never read), so it is cheap even for T5-XXL.
#include <QList>
#include <QString>

namespace dit::studio {

struct ModelComponent {
    QString name;     // transformer, text_encoder, vae, controlnet/<name>
    QString source;   // the file (or sharded index) the weights come from
    qint64 bytes = 0; // stored bytes of every tensor
    QString types;    // tensors per storage type, e.g. "Q8_0 96, F32 25"
    QString problem;  // set when the component could not be read (the message names file and key)
};

// The folder's transformer, text_encoder and vae (those present), in that order.
QList<ModelComponent> model_components(const QString& model_dir);

// One line for an info label: "transformer 4.2 MiB Q8_0 · text encoder 0.5 MiB Q8_0 · vae 3.1 MiB
// F32": each component's quantized types, or its most common type when it has none.
QString describe_components(const QList<ModelComponent>& components);

}  // namespace dit::studio
