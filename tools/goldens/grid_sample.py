"""Golden cases for affine_grid and grid_sample (tests/test_golden_grid_sample.cpp reads
tests/data/golden_grid_sample.json): outputs and the gradients of input, grid and theta against
F.affine_grid / F.grid_sample, for every mode x padding x align_corners in 2-D and 3-D.

Grid points are uniform in [-1.4, 1.4] (some fall outside the input), a few reflection cases reach
|x| = 3.5 (several reflections). Random points are never exactly on a pixel boundary, a reflection
fold or a rounding tie, so every gradient is the one-sided-free derivative of a smooth piece."""
import warnings

import torch
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_grid_sample.json")

PADDINGS = ("zeros", "border", "reflection")
MODES_2D = ("bilinear", "nearest", "bicubic")
MODES_3D = ("bilinear", "nearest")  # PyTorch's "bilinear" on 5-D input is trilinear; no bicubic in 3-D


def ac_tag(ac):
    return "ac" if ac else "noac"


def params(mode, padding, ac, **extra):
    return dict({"mode": mode, "padding": padding, "align_corners": ac}, **extra)


def sample(name, x, grid, mode, padding, ac):
    g.case(name, "grid_sample",
           lambda t, gr: F.grid_sample(t, gr, mode=mode, padding_mode=padding, align_corners=ac),
           [x, grid], params(mode, padding, ac))


# grid_sample 2-D: input [2, 3, 4, 5], grid [2, 3, 4, 2] -> [2, 3, 3, 4].
for mode in MODES_2D:
    for padding in PADDINGS:
        for ac in (False, True):
            sample(f"grid_sample_2d_{mode}_{padding}_{ac_tag(ac)}", rand(2, 3, 4, 5), rand(2, 3, 4, 2, lo=-1.4, hi=1.4),
                   mode, padding, ac)

# grid_sample 3-D: input [2, 2, 3, 4, 5], grid [2, 2, 3, 4, 3] -> [2, 2, 2, 3, 4].
for mode in MODES_3D:
    for padding in PADDINGS:
        for ac in (False, True):
            sample(f"grid_sample_3d_{mode}_{padding}_{ac_tag(ac)}", rand(2, 2, 3, 4, 5),
                   rand(2, 2, 3, 4, 3, lo=-1.4, hi=1.4), mode, padding, ac)

# Reflection with far points: |x| up to 3.5 crosses the border several times.
for ac in (False, True):
    for mode in MODES_2D:
        sample(f"grid_sample_2d_{mode}_reflection_far_{ac_tag(ac)}", rand(1, 2, 4, 5),
               rand(1, 4, 5, 2, lo=-3.5, hi=3.5), mode, "reflection", ac)
    for mode in MODES_3D:
        sample(f"grid_sample_3d_{mode}_reflection_far_{ac_tag(ac)}", rand(1, 2, 3, 4, 5),
               rand(1, 2, 3, 4, 3, lo=-3.5, hi=3.5), mode, "reflection", ac)

# Edge shapes: a 1x1 input (align_corners maps every point to its centre; reflection on a span of
# zero width), a single-row input, and a 1x1 output.
for mode in MODES_2D:
    for padding in PADDINGS:
        for ac in (False, True):
            sample(f"grid_sample_2d_{mode}_{padding}_{ac_tag(ac)}_input1x1", rand(2, 2, 1, 1),
                   rand(2, 2, 3, 2, lo=-1.4, hi=1.4), mode, padding, ac)
for mode in MODES_2D:
    for ac in (False, True):
        sample(f"grid_sample_2d_{mode}_border_{ac_tag(ac)}_input1x6_output1x1", rand(1, 2, 1, 6),
               rand(1, 1, 1, 2, lo=-0.9, hi=0.9), mode, "border", ac)
for ac in (False, True):
    sample(f"grid_sample_3d_bilinear_reflection_{ac_tag(ac)}_input1x1x1", rand(1, 2, 1, 1, 1),
           rand(1, 1, 2, 3, 3, lo=-1.4, hi=1.4), "bilinear", "reflection", ac)


# affine_grid: theta [N, 2, 3] -> [N, H, W, 2], theta [N, 3, 4] -> [N, D, H, W, 3]; a size-1 dimension
# sits at coordinate 0 whatever align_corners says (PyTorch warns about that convention; it is the one we test).
warnings.filterwarnings("ignore", message="Since version 1.3.0, affine_grid behavior has changed")


def affine(name, theta, size, ac):
    g.case(name, "affine_grid", lambda t: F.affine_grid(t, list(size), align_corners=ac), [theta],
           {"size": list(size), "align_corners": ac})


for ac in (False, True):
    affine(f"affine_grid_2d_{ac_tag(ac)}", rand(2, 2, 3), (2, 3, 4, 5), ac)
    affine(f"affine_grid_2d_{ac_tag(ac)}_size1x4", rand(1, 2, 3), (1, 1, 1, 4), ac)
    affine(f"affine_grid_3d_{ac_tag(ac)}", rand(2, 3, 4), (2, 3, 3, 4, 5), ac)
    affine(f"affine_grid_3d_{ac_tag(ac)}_size2x1x3", rand(1, 3, 4), (1, 2, 2, 1, 3), ac)


# affine_grid -> grid_sample: gradients of the input and of theta through the grid. theta is the
# identity plus a random perturbation (rotation, shear, scale, shift), so some points leave the input.
def composite(name, x, theta, out_size, mode, padding, ac):
    size = [x.shape[0], x.shape[1]] + list(out_size)
    g.case(name, "affine_grid_sample",
           lambda t, th: F.grid_sample(t, F.affine_grid(th, size, align_corners=ac), mode=mode, padding_mode=padding,
                                       align_corners=ac),
           [x, theta], params(mode, padding, ac, size=size))


eye2 = torch.eye(2, 3)
eye3 = torch.eye(3, 4)
for mode in MODES_2D:
    for padding in PADDINGS:
        for ac in (False, True):
            composite(f"affine_grid_sample_2d_{mode}_{padding}_{ac_tag(ac)}", rand(2, 3, 4, 5),
                      eye2 + rand(2, 2, 3, lo=-0.35, hi=0.35), (3, 4), mode, padding, ac)
for mode in MODES_3D:
    for padding in PADDINGS:
        for ac in (False, True):
            composite(f"affine_grid_sample_3d_{mode}_{padding}_{ac_tag(ac)}", rand(1, 2, 3, 4, 5),
                      eye3 + rand(1, 3, 4, lo=-0.3, hi=0.3), (2, 3, 4), mode, padding, ac)

g.write()
