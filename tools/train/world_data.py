"""The training data: scenes written by `dit-cli world` (the studio's own renderer), read once
with OpenCV and cached as arrays next to the checkpoints."""
import glob
import json
import os

import cv2
import numpy as np


def load(world_dir):
    """-> dict(images uint8 [N, H, W, 3] RGB, edges uint8 [N, H, W], captions list[str],
    captions_unplaced list[str]: the same captions without positions). Cached as world.npz in the
    same folder."""
    cache = os.path.join(world_dir, "world.npz")
    if os.path.exists(cache):
        z = np.load(cache, allow_pickle=False)
        if "captions_unplaced" in z:  # a cache from before the unplaced captions is rebuilt
            return {"images": z["images"], "edges": z["edges"], "captions": list(z["captions"]),
                    "captions_unplaced": list(z["captions_unplaced"])}
    names = sorted(p[:-5] for p in glob.glob(os.path.join(world_dir, "[0-9]*.json")))
    if not names:
        raise SystemExit(f"{world_dir}: no scenes (run dit-cli world --out {world_dir})")
    images, edges, captions, unplaced = [], [], [], []
    for n in names:
        img = cv2.imread(n + ".png", cv2.IMREAD_COLOR)
        if img is None:
            raise SystemExit(f"{n}.png: unreadable")
        images.append(img[:, :, ::-1])
        edges.append(cv2.imread(n + "_edges.png", cv2.IMREAD_GRAYSCALE))
        with open(n + ".json") as f:
            layout = json.load(f)
        if "caption_unplaced" not in layout:
            raise SystemExit(f"{n}.json: no caption_unplaced (written by an older dit-cli world); "
                             f"delete {world_dir} and run tools/train/train_default_model.sh again")
        captions.append(layout["caption"])
        unplaced.append(layout["caption_unplaced"])
    out = {"images": np.stack(images), "edges": np.stack(edges), "captions": captions, "captions_unplaced": unplaced}
    np.savez(cache, images=out["images"], edges=out["edges"], captions=np.array(captions),
             captions_unplaced=np.array(unplaced))
    return out


def to_model_range(images_u8):
    """uint8 [N, H, W, 3] -> float32 [N, 3, H, W] in [-1, 1] (the engine's tensor_from_image)."""
    x = images_u8.astype(np.float32) / 255.0 * 2.0 - 1.0
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
