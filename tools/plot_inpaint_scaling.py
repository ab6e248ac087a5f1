#!/usr/bin/python3
"""Plots bench_inpaint_scaling's CSV (--csv FILE) as a PNG for docs/inpainting.md.

usage: /usr/bin/python3 tools/plot_inpaint_scaling.py results.csv docs/inpainting_scaling.png

matplotlib is not among the project's packages, so the chart is drawn with OpenCV (python3-opencv,
already used by tools/train): time per step (log scale) against the mask fraction (log scale) for
full, crop, lazy (cached steps) and lazy with its refreshes amortised.
"""
import csv
import math
import sys

import cv2
import numpy as np

W, H = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 90, 230, 75, 70
SERIES = [  # column, label, BGR colour
    ("full_s", "full", (60, 60, 200)),
    ("crop_s", "crop", (40, 150, 40)),
    ("lazy_amortized_s", "lazy (refresh every k)", (200, 120, 30)),
    ("lazy_cached_s", "lazy, cached step", (160, 60, 160)),
]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    rows = list(csv.DictReader(open(sys.argv[1])))
    if not rows:
        sys.exit(sys.argv[1] + ": no rows")
    fx = [float(r["mask_fraction"]) for r in rows]
    values = [float(r[c]) for r in rows for c, _, _ in SERIES]
    lo_y = 10 ** math.floor(math.log10(min(values)))
    hi_y = 10 ** math.ceil(math.log10(max(values)))
    lo_x, hi_x = 0.01, 1.0

    def px(f, t):
        x = LEFT + (math.log10(f) - math.log10(lo_x)) / (math.log10(hi_x) - math.log10(lo_x)) * (W - LEFT - RIGHT)
        y = H - BOTTOM - (math.log10(t) - math.log10(lo_y)) / (math.log10(hi_y) - math.log10(lo_y)) * (H - TOP - BOTTOM)
        return int(round(x)), int(round(y))

    img = np.full((H, W, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    # grid and ticks
    for f in [0.01, 0.05, 0.1, 0.25, 0.5, 1.0]:
        x, _ = px(f, lo_y)
        cv2.line(img, (x, TOP), (x, H - BOTTOM), (225, 225, 225), 1)
        cv2.putText(img, "%g%%" % (f * 100), (x - 15, H - BOTTOM + 22), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    decade = lo_y
    while decade <= hi_y * 1.0001:
        for m in (1, 2, 5):
            t = decade * m
            if lo_y <= t <= hi_y:
                _, y = px(lo_x, t)
                cv2.line(img, (LEFT, y), (W - RIGHT, y), (225, 225, 225), 1)
                cv2.putText(img, "%g" % t, (LEFT - 60, y + 5), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        decade *= 10
    cv2.rectangle(img, (LEFT, TOP), (W - RIGHT, H - BOTTOM), (0, 0, 0), 1)
    cv2.putText(img, "mask fraction (log)", (LEFT + 200, H - 20), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "s / step (log)", (10, TOP - 12), font, 0.55, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, "Inpainting: time per step vs mask size (bench_inpaint_scaling)", (LEFT, 25), font, 0.6,
                (0, 0, 0), 1, cv2.LINE_AA)
    for i, (col, label, colour) in enumerate(SERIES):
        pts = [px(f, float(r[col])) for f, r in zip(fx, rows)]
        for a, b in zip(pts, pts[1:]):
            cv2.line(img, a, b, colour, 2, cv2.LINE_AA)
        for p in pts:
            cv2.circle(img, p, 4, colour, -1, cv2.LINE_AA)
        y = TOP + 20 + 28 * i
        cv2.line(img, (W - RIGHT + 15, y - 5), (W - RIGHT + 45, y - 5), colour, 2, cv2.LINE_AA)
        cv2.putText(img, label, (W - RIGHT + 52, y), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    if not cv2.imwrite(sys.argv[2], img):
        sys.exit(sys.argv[2] + ": cannot write")


if __name__ == "__main__":
    main()
