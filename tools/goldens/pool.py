"""Golden numbers for the pool case table (tests/kernels/pool/pool_cases.cpp): F.max_pool2d,
F.avg_pool2d (count_include_pad both ways) and F.adaptive_avg_pool2d, outputs and gradients. The
inputs and parameters come from the table (make goldens); random values have no ties, so max-pool
gradients are unambiguous."""
import torch.nn.functional as F


def compute(op, params, inputs):
    x = inputs[0]
    assert "permute" not in params, params
    if op == "adaptive_avg_pool2d":
        return F.adaptive_avg_pool2d(x, params["out"])
    k, s, p, ceil = params["kernel"], params["stride"], params["pad"], params["ceil_mode"]
    if op == "max_pool2d":
        return F.max_pool2d(x, k, s, p, ceil_mode=ceil)
    assert op == "avg_pool2d", op
    return F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=params["count_include_pad"])
