"""Golden numbers for the conv case table (tests/kernels/conv/conv_cases.cpp): F.conv2d and
F.conv_transpose2d, outputs and the gradients of x, w and bias. The inputs and parameters come from
the table (make goldens)."""
import torch.nn.functional as F


def compute(op, params, inputs):
    """conv2d: x [N, C, H, W], w [K, C/groups, R, S]; conv_transpose2d: w [C, K/groups, R, S]; then bias [K]."""
    x, w = inputs[0], inputs[1]
    b = inputs[2] if len(inputs) > 2 else None
    stride, pad, dilation, groups = params["stride"], params["pad"], params["dilation"], params["groups"]
    if op == "conv2d":
        return F.conv2d(x, w, b, stride, pad, dilation, groups)
    assert op == "conv_transpose2d", op
    return F.conv_transpose2d(x, w, b, stride, pad, params["output_pad"], groups, dilation)
