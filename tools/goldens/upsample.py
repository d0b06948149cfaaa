"""Golden numbers for the upsample case table (tests/kernels/upsample/upsample_cases.cpp):
F.interpolate, nearest and bilinear (align_corners both ways), outputs and gradients. The inputs
and parameters come from the table (make goldens)."""
import torch.nn.functional as F


def compute(op, params, inputs):
    assert "permute" not in params, params
    if op == "upsample_nearest2d":
        return F.interpolate(inputs[0], size=params["out"], mode="nearest")
    assert op == "upsample_bilinear2d", op
    return F.interpolate(inputs[0], size=params["out"], mode="bilinear", align_corners=params["align_corners"])
