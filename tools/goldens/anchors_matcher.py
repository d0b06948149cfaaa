"""Golden numbers of the anchor generator and the matcher (kernels/anchors/, kernels/matcher/) from
torchvision's AnchorGenerator and Matcher: tests/data/golden_anchors_matcher.json, read by
tests/kernels/matcher/test_anchors_matcher_golden.cpp.

Run by hand (it writes the file when run or imported, so `make goldens` also rewrites it):
    /usr/bin/python3 tools/goldens/anchors_matcher.py
Anchors: 2 levels x 2 padded image sizes (one with strides that do not divide the image, one with
sizes whose half-extents round half to even), float32 and float64. Matcher: a random IoU matrix with
ties inserted (between ground truths of one anchor, several anchors at a ground truth's best, values
exactly at the thresholds, a ground truth that overlaps nothing), in float32 and float64, for four
threshold settings."""
import json
import os
import sys

# Run as a script, this folder heads sys.path and its copy.py would shadow the standard library's.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]

import torch  # noqa: E402
from torchvision.models.detection._utils import Matcher  # noqa: E402
from torchvision.models.detection.anchor_utils import AnchorGenerator  # noqa: E402
from torchvision.models.detection.image_list import ImageList  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "tests", "data",
                   "golden_anchors_matcher.json")


def anchor_cases():
    sizes = ((32, 33), (45, 64))
    ratios = ((0.5, 1.0, 2.0), (0.7, 1.3))
    images = [((64, 96), ((8, 12), (4, 6))), ((100, 75), ((13, 10), (7, 5)))]
    gen = AnchorGenerator(sizes, ratios)
    cases = []
    for (h, w), feats in images:
        for dtype in (torch.float32, torch.float64):
            batch = ImageList(torch.zeros(2, 3, h, w, dtype=dtype), [(h, w), (h - 5, w - 3)])
            maps = [torch.zeros(2, 4, fh, fw, dtype=dtype) for fh, fw in feats]
            out = gen(batch, maps)
            assert torch.equal(out[0], out[1])  # every image of a batch gets the same anchors
            cases.append({"name": f"image {h}x{w} {str(dtype)[6:]}", "sizes": sizes, "aspect_ratios": ratios,
                          "image_size": [h, w], "feature_sizes": feats, "dtype": str(dtype)[6:],
                          "rows": out[0].shape[0], "anchors": out[0].flatten().tolist()})
    return cases


def iou_with_ties(g, a, dtype):
    torch.manual_seed(20261204)
    iou = torch.rand(g, a, dtype=torch.float64) * 0.9
    iou[:, 3] = torch.tensor([0.7, 0.3, 0.1, 0.2, 0.0], dtype=torch.float64)[:g]  # exactly at the thresholds
    iou[:, 4] = torch.tensor([0.5, 0.5, 0.2, 0.1, 0.0], dtype=torch.float64)[:g]  # a tie between ground truths
    iou[0, 5] = 0.3
    iou[1, 6] = 0.5
    iou[2, 7:9] = 0.95                 # two anchors tie ground truth 2's best
    iou[2, 10] = 0.95
    iou[0, 10] = 0.95                  # ... and anchor 10 ties between ground truths 0 and 2
    iou[3, :] = iou[3, :] * 0.2        # a weak ground truth: its best anchors get low-quality matches,
    iou[:3, 11] = torch.tensor([0.1, 0.05, 0.2], dtype=torch.float64)
    iou[:3, 12] = torch.tensor([0.25, 0.05, 0.2], dtype=torch.float64)
    iou[3, 11] = iou[3, 12] = 0.25     # anchor 12 with ground truth 0, its own argmax (first of a tie)
    iou[4, :] = 0.0                    # overlaps nothing: torchvision re-matches every anchor it ties at 0
    iou[4, 13] = 0.0
    iou[:, 14] = 0.0                   # an anchor that overlaps nothing
    return iou.to(dtype)


def matcher_cases():
    settings = ((0.7, 0.3, True), (0.7, 0.3, False), (0.5, 0.5, False), (0.5, 0.5, True))
    cases = []
    for dtype in (torch.float32, torch.float64):
        full = iou_with_ties(5, 40, dtype)
        for iou in (full[:4], full):  # the last ground truth (all zeros) re-matches every anchor
            for high, low, allow in settings:
                m = Matcher(high, low, allow_low_quality_matches=allow)(iou.clone())
                name = f"{str(dtype)[6:]} G={iou.shape[0]} high {high} low {low} low_quality {allow}"
                cases.append({"name": name, "high": high, "low": low, "allow_low_quality": allow,
                              "dtype": str(dtype)[6:], "shape": list(iou.shape),
                              "iou": iou.double().flatten().tolist(), "matches": m.tolist()})
    return cases


def write():
    doc = {"generator": "tools/goldens/anchors_matcher.py", "torch": torch.__version__,
           "torchvision": __import__("torchvision").__version__, "anchors": anchor_cases(),
           "matcher": matcher_cases()}
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, OUT)  # atomically: a reader never sees half a file
    print(f"wrote {len(doc['anchors'])} anchor and {len(doc['matcher'])} matcher cases to "
          f"tests/data/golden_anchors_matcher.json", file=sys.stderr)


write()
