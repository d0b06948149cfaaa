"""Golden cases for soft_argmax (tests/test_golden_soft_argmax.cpp reads
tests/data/golden_soft_argmax.json): the PyTorch composite - softmax over each flattened map, then
the expectation of the coordinate grids - in both conventions (pixel; normalized as grid_sample's
align_corners=False), 2-D and 3-D, with the smooth maximum (1/beta) logsumexp(beta S), and the
gradient of the heatmaps through all of it. PyTorch has no soft-argmax op: this composite is the
usual way to write one."""
import torch

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_soft_argmax.json")


def axis_coords(size, normalized):
    c = torch.arange(size, dtype=torch.float64)
    return (2 * c + 1) / size - 1 if normalized else c


def composite(s, beta, normalized, with_value):
    """s [N, K, H, W] or [N, K, D, H, W] -> [N, K, dims] (x, y[, z]), + value as a last column."""
    n, k, spatial = s.shape[0], s.shape[1], s.shape[2:]
    p = torch.softmax(beta * s.reshape(n, k, -1), dim=-1).reshape(s.shape)
    grids = torch.meshgrid(*[axis_coords(size, normalized) for size in spatial], indexing="ij")
    # meshgrid runs (z,) y, x; the output runs x, y(, z).
    cols = [(p * grid).sum(dim=tuple(range(2, s.dim()))) for grid in reversed(grids)]
    if with_value:
        cols.append(torch.logsumexp(beta * s.reshape(n, k, -1), dim=-1) / beta)
    return torch.stack(cols, dim=-1)


def case(name, s, beta, normalized, with_value):
    g.case(name, "soft_argmax", lambda t: composite(t, beta, normalized, with_value), [s],
           {"beta": beta, "coordinates": "normalized" if normalized else "pixel", "with_value": with_value})


# S uniform in [-3/beta, 3/beta]: beta * S spans 6 nats (a spread-out softmax); plus beta = 10 on
# [-1, 1] (a dominant peak, 20 nats).
for beta in (0.5, 1.0, 10.0, 100.0):
    for normalized in (False, True):
        for with_value in (False, True):
            tag = f"beta{beta:g}_{'norm' if normalized else 'pixel'}{'_value' if with_value else ''}"
            case(f"soft_argmax_2d_{tag}", rand(2, 3, 5, 7, lo=-3 / beta, hi=3 / beta), beta, normalized, with_value)
            case(f"soft_argmax_3d_{tag}", rand(2, 2, 3, 4, 5, lo=-3 / beta, hi=3 / beta), beta, normalized, with_value)
for normalized in (False, True):
    tag = "norm" if normalized else "pixel"
    case(f"soft_argmax_2d_peaked_{tag}_value", rand(2, 2, 16, 12), 10.0, normalized, True)
    case(f"soft_argmax_2d_1x1_{tag}_value", rand(2, 2, 1, 1), 1.0, normalized, True)
    case(f"soft_argmax_2d_1x8_{tag}", rand(1, 3, 1, 8), 2.0, normalized, False)

g.write()
