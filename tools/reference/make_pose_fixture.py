"""The pose-map fixture: ControlNet 1.1's OpenPose annotator drawing, restated here with the same
OpenCV calls (limbs: ellipse2Poly + fillConvexPoly, canvas * 0.6, joint circles; hand bones as
lines in HSV colours with blue joints; white face points), applied to seeded random people with
hands and face on a 512 canvas. tests/studio/test_pose.cpp requires the studio's renderer to
reproduce it exactly.

    /usr/bin/python3 tools/reference/make_pose_fixture.py   # writes tests/fixtures/pose/
"""
import colorsys
import json
import math
import os

import cv2
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "pose")
SIZE = 512
LIMBS = [(1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12),
         (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17)]
COLOURS = [(255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
           (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
           (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85)]
HAND_BONES = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10),
              (10, 11), (11, 12), (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18),
              (18, 19), (19, 20)]


def points(rng, n, lo, hi, present):
    xy = rng.uniform(lo, hi, size=(n, 2)).round(2)
    c = (rng.random(n) < present).astype(np.float64)
    return np.concatenate([xy, c[:, None]], axis=1)


def draw(people):
    canvas = np.zeros((SIZE, SIZE, 3), np.uint8)  # RGB
    for i, (a, b) in enumerate(LIMBS):
        for p in people:
            body = p["body"]
            if body[a, 2] == 0 or body[b, 2] == 0:
                continue
            mx, my = (body[a, 0] + body[b, 0]) / 2, (body[a, 1] + body[b, 1]) / 2
            length = math.hypot(body[a, 0] - body[b, 0], body[a, 1] - body[b, 1])
            angle = math.degrees(math.atan2(body[a, 1] - body[b, 1], body[a, 0] - body[b, 0]))
            poly = cv2.ellipse2Poly((int(mx), int(my)), (int(length / 2), 4), int(angle), 0, 360, 1)
            cv2.fillConvexPoly(canvas, poly, COLOURS[i])
    canvas = (canvas * 0.6).astype(np.uint8)
    for j in range(18):
        for p in people:
            x, y, c = p["body"][j]
            if c > 0:
                cv2.circle(canvas, (int(x), int(y)), 4, COLOURS[j], thickness=-1)
    for p in people:
        for hand in (p["left"], p["right"]):
            for k, (a, b) in enumerate(HAND_BONES):
                if hand[a, 2] > 0 and hand[b, 2] > 0:
                    colour = np.array(colorsys.hsv_to_rgb(k / 20.0, 1.0, 1.0)) * 255
                    cv2.line(canvas, (int(hand[a, 0]), int(hand[a, 1])), (int(hand[b, 0]), int(hand[b, 1])),
                             colour, thickness=2)
            for x, y, c in hand:
                if c > 0:
                    cv2.circle(canvas, (int(x), int(y)), 4, (0, 0, 255), thickness=-1)
    for p in people:
        for x, y, c in p["face"]:
            if c > 0:
                cv2.circle(canvas, (int(x), int(y)), 3, (255, 255, 255), thickness=-1)
    return canvas


def main():
    rng = np.random.default_rng(4)
    people = [{"body": points(rng, 18, 20, 490, 0.8), "left": points(rng, 21, 60, 450, 0.7),
               "right": points(rng, 21, 60, 450, 0.7), "face": points(rng, 70, 100, 400, 0.5)}
              for _ in range(2)]
    os.makedirs(OUT, exist_ok=True)
    flat = lambda a: [float(v) for v in a.reshape(-1)]
    doc = {"version": 1.3, "canvas_width": SIZE, "canvas_height": SIZE,
           "people": [{"pose_keypoints_2d": flat(p["body"]), "hand_left_keypoints_2d": flat(p["left"]),
                       "hand_right_keypoints_2d": flat(p["right"]), "face_keypoints_2d": flat(p["face"])}
                      for p in people]}
    with open(os.path.join(OUT, "two_people.json"), "w") as f:
        json.dump(doc, f)
    cv2.imwrite(os.path.join(OUT, "two_people_openpose.png"), draw(people)[:, :, ::-1])


if __name__ == "__main__":
    main()
