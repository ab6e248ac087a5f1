#pragma once
// A new canvas size with the content scaled to it: a result of another size (an upscale) or a
// picture opened at its own size. Every layer follows (image layers, mask, edges, selection,
// regions, pose), and the generation size becomes the nearest the engine takes, so the
// Generation panel and the next request agree with the canvas.
#include <QSize>

#include "studio/document/document_state.h"

namespace dit::studio {

// The generation size for a picture: its own, to the engine's multiple of 16, scaled down to fit
// 2048 a side with its aspect kept.
QSize generation_size(QSize picture);

// `s` at `size`. Throws dit::Error for a size outside [8, 8192] a side.
DocumentState resized_canvas(const DocumentState& s, QSize size);

}  // namespace dit::studio
