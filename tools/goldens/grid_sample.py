"""Golden numbers for the grid_sample case table (tests/kernels/grid_sample/grid_sample_cases.cpp):
outputs and the gradients of input, grid and theta from F.affine_grid / F.grid_sample, on the
table's inputs (make goldens)."""
import warnings

import torch.nn.functional as F

# A size-1 dimension sits at coordinate 0 whatever align_corners says (PyTorch warns about that
# convention; it is the one we test).
warnings.filterwarnings("ignore", message="Since version 1.3.0, affine_grid behavior has changed")


def sample(x, grid, p):
    return F.grid_sample(x, grid, mode=p["mode"], padding_mode=p["padding"], align_corners=p["align_corners"])


def compute(op, params, inputs):
    if op == "grid_sample":  # inputs: input, grid (PyTorch's "bilinear" on 5-D input is trilinear)
        return sample(inputs[0], inputs[1], params)
    if op == "affine_grid":  # inputs: theta
        return F.affine_grid(inputs[0], params["size"], align_corners=params["align_corners"])
    if op == "affine_grid_sample":  # inputs: input, theta; the grid has the output's size
        grid = F.affine_grid(inputs[1], params["size"], align_corners=params["align_corners"])
        return sample(inputs[0], grid, params)
    raise ValueError(op)
