"""Golden numbers for the soft_argmax case table (tests/kernels/soft_argmax/soft_argmax_cases.cpp):
the PyTorch composite - softmax over each flattened map, then the expectation of the coordinate
grids - in both conventions (pixel; normalized as grid_sample's align_corners=False), 2-D and 3-D,
with the smooth maximum (1/beta) logsumexp(beta S). PyTorch has no soft-argmax op: this composite is
the usual way to write one. The inputs and parameters come from the table (make goldens)."""
import torch


def axis_coords(size, normalized):
    c = torch.arange(size, dtype=torch.float64)
    return (2 * c + 1) / size - 1 if normalized else c


def compute(op, params, inputs):
    """s [N, K, H, W] or [N, K, D, H, W] -> [N, K, dims] (x, y[, z]); out=both adds the value as a
    last column, out=value is the value [N, K] alone."""
    assert op == "soft_argmax" and "permute" not in params, (op, params)
    s, beta, out = inputs[0], params["beta"], params["out"]
    n, k, spatial = s.shape[0], s.shape[1], s.shape[2:]
    p = torch.softmax(beta * s.reshape(n, k, -1), dim=-1).reshape(s.shape)
    grids = torch.meshgrid(*[axis_coords(size, params["coords"] == "normalized") for size in spatial], indexing="ij")
    # meshgrid runs (z,) y, x; the output runs x, y(, z).
    cols = [(p * grid).sum(dim=tuple(range(2, s.dim()))) for grid in reversed(grids)]
    value = torch.logsumexp(beta * s.reshape(n, k, -1), dim=-1) / beta
    if out == "value":
        return value
    return torch.stack(cols + ([value] if out == "both" else []), dim=-1)
