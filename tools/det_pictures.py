#!/usr/bin/python3
"""The README's detection pictures: `ocellus infer` on the first N det-synth test images, each scaled
up (so that labels stay readable), tiled into one PNG.

  /usr/bin/python3 tools/det_pictures.py CONFIG CHECKPOINT OUT.png [--images 8] [--scale 3]
      [--columns 4] [--threshold 0.3] [--test-dir runs/data/det_test] [--ocellus build/ocellus]

Needs python3-torchvision (Debian's, under /usr/bin/python3) to resize and tile the images.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch
import torchvision.io as tio
import torch.nn.functional as F


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config")
    p.add_argument("checkpoint")
    p.add_argument("out")
    p.add_argument("--images", type=int, default=8)
    p.add_argument("--scale", type=int, default=3)
    p.add_argument("--columns", type=int, default=4)
    p.add_argument("--threshold", type=float, default=0.3)
    p.add_argument("--test-dir", default="runs/data/det_test")
    p.add_argument("--ocellus", default="build/ocellus")
    a = p.parse_args()
    names = sorted(os.listdir(os.path.join(a.test_dir, "images")))[: a.images]
    if not names:
        sys.exit(f"{a.test_dir}/images: no images")
    tiles = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            img = tio.read_image(os.path.join(a.test_dir, "images", name))  # uint8 [3,H,W]
            big = F.interpolate(img[None].float(), scale_factor=a.scale, mode="bilinear", align_corners=False)
            up, drawn = os.path.join(tmp, "up.png"), os.path.join(tmp, "drawn.png")
            tio.write_png(big[0].round().clamp(0, 255).to(torch.uint8), up)
            subprocess.run([a.ocellus, "infer", a.config, "--checkpoint", a.checkpoint, "--image", up, "--out", drawn,
                            "--set", f"task.score_threshold={a.threshold}"], check=True, stdout=subprocess.DEVNULL)
            tiles.append(tio.read_image(drawn))
    rows = [torch.cat(tiles[i:i + a.columns], dim=2) for i in range(0, len(tiles), a.columns)]
    if rows[-1].shape[2] != rows[0].shape[2]:  # pad a short last row
        rows[-1] = F.pad(rows[-1], (0, rows[0].shape[2] - rows[-1].shape[2]))
    tio.write_png(torch.cat(rows, dim=1), a.out)
    print(f"{a.out}: {len(tiles)} images")


if __name__ == "__main__":
    main()
