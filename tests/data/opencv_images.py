#!/usr/bin/python3
"""Writes test images with OpenCV and what OpenCV decodes from each, for the read_image parity test
(tests/test_image_formats.cpp). For every file DIR/NAME.EXT it writes DIR/NAME.EXT.raw, the pixels
cv2.imread(IMREAD_UNCHANGED) returns (channels reordered to RGB / RGBA, 16-bit samples reduced to their
high byte), and DIR/index.json: {file: [height, width, channels]}.
    /usr/bin/python3 tests/data/opencv_images.py DIR"""
import json
import os
import sys

import cv2
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(7)
# Smooth random images (JPEG's blocks differ less on smooth content, but the test wants exactness anyway).
ys, xs = np.mgrid[0:37, 0:53]
def smooth(c):
    planes = [(127 + 100 * np.sin(xs / (5 + 3 * k) + ys / (7 + k)) + rng.integers(-20, 20, xs.shape)).clip(0, 255)
              for k in range(c)]
    return np.stack(planes, -1).astype("u1") if c > 1 else planes[0].astype("u1")

images = {"rgb.png": smooth(3), "gray.png": smooth(1), "rgba.png": smooth(4), "gray16.png": smooth(1).astype("u2") * 257,
          "rgb.jpg": smooth(3), "gray.jpg": smooth(1), "rgb.bmp": smooth(3), "gray.bmp": smooth(1),
          "rgba.bmp": smooth(4), "rgb.ppm": smooth(3), "gray.pgm": smooth(1)}
index = {}
for name, pixels in images.items():
    path = os.path.join(out, name)
    assert cv2.imwrite(path, pixels), path
    back = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if back.dtype == np.uint16:
        back = (back >> 8).astype("u1")
    if back.ndim == 2:
        back = back[:, :, None]
    if back.shape[2] == 3:
        back = back[:, :, ::-1]
    elif back.shape[2] == 4:
        back = back[:, :, [2, 1, 0, 3]]
    np.ascontiguousarray(back).tofile(path + ".raw")
    index[name] = list(back.shape)
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(index, f)
