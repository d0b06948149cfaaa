"""Golden numbers for the roi_align case table (tests/kernels/roi_align/roi_align_cases.cpp):
torchvision.ops.roi_align and roi_pool in float64, outputs and feature gradients (torchvision gives
the boxes none). The inputs and parameters come from the table (make goldens); the boxes arrive as
int64 in 1/1024 image pixel, as the table stores them; random features have no ties, so RoIPool's
gradient through its argmax is unambiguous."""
import torch
from torchvision.ops import roi_align, roi_pool

BOX_UNIT = 1024.0  # kBoxUnit in roi_align_cases.cpp


def compute(op, params, inputs):
    x, stored = inputs
    assert "permute" not in params, params
    boxes = stored.to(torch.float64) / BOX_UNIT
    out = tuple(params["out"])
    if op == "roi_align":
        return roi_align(x, boxes, out, spatial_scale=params["scale"], sampling_ratio=params["sampling"],
                         aligned=params["aligned"])
    assert op == "roi_pool", op
    return roi_pool(x, boxes, out, spatial_scale=params["scale"])
