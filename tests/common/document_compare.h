#pragma once
// Document comparisons shared by the studio's test suites.
#include "studio/document/document_state.h"

namespace dit::testing {

// Every field of the document, layer pixels included.
inline bool same_state(const studio::DocumentState& a, const studio::DocumentState& b) {
    if (a.canvas != b.canvas || a.image != b.image || a.mask != b.mask || a.edges != b.edges) return false;
    if (a.layers != b.layers || a.current_layer != b.current_layer || a.selection != b.selection) return false;
    if (a.people != b.people || a.prompt != b.prompt || a.negative_prompt != b.negative_prompt) return false;
    if (!(a.settings == b.settings) || a.regions.size() != b.regions.size()) return false;
    if (a.pose_background != b.pose_background || a.pose_background_opacity != b.pose_background_opacity) return false;
    for (size_t i = 0; i < a.regions.size(); ++i) {
        const studio::Region &x = a.regions[i], &y = b.regions[i];
        if (x.id != y.id || x.prompt != y.prompt || x.colour != y.colour || x.mask != y.mask) return false;
    }
    if (a.results.size() != b.results.size()) return false;
    for (size_t i = 0; i < a.results.size(); ++i) {
        const studio::GalleryItem &x = a.results[i], &y = b.results[i];
        if (x.image != y.image || x.request.prompt != y.request.prompt || x.request.seed != y.request.seed) return false;
    }
    return true;
}

}  // namespace dit::testing
