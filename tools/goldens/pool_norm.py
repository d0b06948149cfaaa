"""Golden cases for upsampling (tests/test_golden_pool_norm.cpp reads tests/data/golden_pool_norm.json;
pooling's and batch norm's come from their case tables, tools/goldens/pool.py and batch_norm.py)."""
import torch
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_pool_norm.json")
case = g.case


# Upsampling: nearest (the scale in float: 3 -> 7, 5 -> 3, and the exact 2x path), bilinear both ways.
for name, x, out in [("nearest_3x4_to_7x5", rand(2, 2, 3, 4), (7, 5)),
                     ("nearest_2x3_to_4x6", rand(1, 2, 2, 3), (4, 6)),
                     ("nearest_5x5_to_3x2", rand(1, 2, 5, 5), (3, 2))]:
    case("upsample_" + name, "upsample_nearest2d", lambda t, out=out: F.interpolate(t, size=out, mode="nearest"), [x],
         {"out": list(out)})
for ac in (True, False):
    tag = "ac" if ac else "noac"
    for name, x, out in [("3x4_to_5x7", rand(2, 2, 3, 4), (5, 7)),
                         ("4x4_to_3x2", rand(1, 2, 4, 4), (3, 2)),
                         ("2x2_to_4x4", rand(1, 1, 2, 2), (4, 4)),
                         ("1x3_to_1x5", rand(1, 2, 1, 3), (1, 5))]:
        case(f"upsample_bilinear_{name}_{tag}", "upsample_bilinear2d",
             lambda t, out=out, ac=ac: F.interpolate(t, size=out, mode="bilinear", align_corners=ac), [x],
             {"out": list(out), "align_corners": ac})

g.write()
