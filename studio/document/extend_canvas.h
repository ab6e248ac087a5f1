#pragma once
// Outpainting in the document: the canvas grown on any side. The picture's new area starts from
// its edge pixels and becomes the inpaint mask (added to whatever mask was painted), every other
// layer moves with the picture, and the settings switch to inpaint at denoise 1 over the new
// size, so Generate fills the new area and keeps the old pixels exactly.
#include "engine/pipeline/outpaint.h"
#include "studio/document/document_state.h"

namespace dit::studio {

// `o` is rounded up so the new canvas is a multiple of 16 a side (round_outpaint). Throws
// dit::Error when the document has no picture or the canvas would pass 8192 a side.
DocumentState extend_canvas(const DocumentState& s, const Outpaint& o);

// The sides to add so the canvas reaches `aspect` (width / height) by growing one axis, split
// evenly between its two sides.
Outpaint outpaint_to_aspect(QSize canvas, double aspect);

}  // namespace dit::studio
