#pragma once
// A project is a folder: project.json (versioned, migrated forward on load) plus PNG layers
// (image.png, mask.png, edges.png, region_N.png) and the pose as OpenPose JSON (pose.json, read
// and written by studio/control/pose.h, so other pose tools open it as it is).
//
// project.json, version 4:
//   { "format": "dit-studio-project", "version": 4,
//     "canvas": {"width": W, "height": H},
//     "image_layers": [{"id": N, "name": "...", "file": "image_0.png", "visible": true,
//                       "opacity": 0..1, "blend": "normal" | "multiply" | "screen"}],  bottom first;
//                   each an RGBA PNG of the canvas size (straight alpha, lossless)
//     "current_layer": N | 0,
//     "layers": {"mask": "mask.png", "edges": "edges.png",
//                "pose": "pose.json" | null, "pose_background": "pose_background.png" | null},
//     "pose_background_opacity": 0.5,
//     "regions": [{"id": N, "prompt": "...", "colour": "#rrggbb", "mask": "region_0.png"}],
//     "prompt": "...", "negative_prompt": "...",
//     "settings": { generation settings, see generation_settings.h (v2 adds lazy_refresh and
//                   controls; both optional, so v1 settings read as they are) },
//     "results": [{"file": "results/0001.png"}] }   oldest first; each a result PNG carrying
//                   its parameters and record (studio/result_png.h)
// Version 1 is version 2 without the pose background (migrated: none, opacity 0.5). The pose
// background is a PNG of its own size (not the canvas's): it is drawn fitted into the canvas.
// Version 2 is version 3 without results (migrated: none). Version 3 kept one picture as
// "layers.image" (migrated: the one image layer "Background", id 1, current).
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include "studio/document/document_state.h"

namespace dit::studio {

constexpr int kProjectVersion = 4;

// Saves atomically: every file goes into a temporary sibling folder through QSaveFile, then the
// folder is swapped in with renames, so a failed save leaves the previous project intact.
// Throws dit::Error naming the file (and what failed).
void save_project(const DocumentState& state, const QString& folder);

// Throws dit::Error naming the file and field at fault; nothing else is touched, so a failed
// load leaves the open document as it was. A result whose PNG cannot be read is left out and
// named in `warnings` rather than failing the whole project: the rest of the work still opens.
DocumentState load_project(const QString& folder, QStringList* warnings = nullptr);

// Brings a project.json of any known version up to kProjectVersion, one step at a time through
// the migration table. Throws dit::Error "<context>: field 'version': ..." when it cannot.
QJsonObject migrate_project(QJsonObject json, const QString& context);

}  // namespace dit::studio
