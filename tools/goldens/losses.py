"""Golden cases for the losses (tests/test_golden_losses.cpp reads tests/data/golden_losses.json):
torch.nn.functional's cross_entropy / nll_loss / mse_loss / l1_loss / smooth_l1_loss /
binary_cross_entropy_with_logits, outputs and gradients. Class weights and pos_weight are constants
(PyTorch gives them no gradient), so they travel in params."""
import torch
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_losses.json", seed=20261127)
case = g.case


def targets(shape, classes, ignore=None, frac=0.25):
    t = torch.randint(0, classes, shape)
    if ignore is not None:
        mask = torch.rand(shape) < frac
        mask.view(-1)[0] = True
        t[mask] = ignore
    return t


def ce_case(name, op, shape, ignore=-100, with_ignored=False, weighted=False, smoothing=0.0, reduction="mean"):
    c = shape[1]
    tshape = (shape[0],) + tuple(shape[2:])
    x = rand(*shape, lo=-3, hi=3)
    t = targets(tshape, c, ignore if with_ignored else None)
    w = rand(c, lo=0.2, hi=2.0) if weighted else None
    if op == "nll_loss":
        x = torch.log_softmax(x, 1)
        fn = lambda a, b: F.nll_loss(a, b, weight=w, ignore_index=ignore, reduction=reduction)
    else:
        fn = lambda a, b: F.cross_entropy(a, b, weight=w, ignore_index=ignore, reduction=reduction,
                                          label_smoothing=smoothing)
    case(name, op, fn, [x, t], {"weight": None if w is None else w.tolist(), "ignore_index": ignore,
                                "label_smoothing": smoothing, "reduction": reduction})


for red in ("mean", "sum", "none"):
    ce_case(f"ce_plain_{red}", "cross_entropy", (6, 5), reduction=red)
    ce_case(f"ce_weight_ignore_smooth_{red}", "cross_entropy", (7, 4), with_ignored=True, weighted=True,
            smoothing=0.15, reduction=red)
    ce_case(f"ce_spatial_weight_ignore255_smooth_{red}", "cross_entropy", (2, 4, 3, 3), ignore=255,
            with_ignored=True, weighted=True, smoothing=0.2, reduction=red)
    ce_case(f"nll_weight_ignore_{red}", "nll_loss", (6, 5), with_ignored=True, weighted=True, reduction=red)
ce_case("ce_weight_ignore_mean", "cross_entropy", (8, 3), with_ignored=True, weighted=True)
ce_case("ce_smooth_ignore_mean", "cross_entropy", (8, 3), with_ignored=True, smoothing=0.3)
ce_case("ce_ignore_class1_mean", "cross_entropy", (8, 3), ignore=1)
ce_case("ce_1d_spatial_smooth_sum", "cross_entropy", (2, 3, 5), smoothing=0.1, reduction="sum")
ce_case("nll_spatial_mean", "nll_loss", (2, 3, 2, 4), with_ignored=True)


# Regression losses: y = x +- d with |d| kept away from 0 (l1's kink) and from beta (smooth_l1's seam).
def pair(shape, lo, hi):
    x = rand(*shape, lo=-2, hi=2)
    d = rand(*shape, lo=lo, hi=hi) * torch.where(torch.rand(shape) < 0.5, -1.0, 1.0)
    return x, x + d


for red in ("mean", "sum", "none"):
    x, y = pair((4, 5), 0.1, 1.5)
    case(f"mse_{red}", "mse_loss", lambda a, b: F.mse_loss(a, b, reduction=red), [x, y], {"reduction": red})
    case(f"l1_{red}", "l1_loss", lambda a, b: F.l1_loss(a, b, reduction=red), [x, y], {"reduction": red})
    xa, ya = pair((3, 4), 0.1, 0.4)
    xb, yb = pair((3, 4), 0.6, 1.5)
    x, y = torch.cat([xa, xb]), torch.cat([ya, yb])
    for beta in (1.0 / 2, 0.0):
        case(f"smooth_l1_beta{beta}_{red}", "smooth_l1_loss",
             lambda a, b: F.smooth_l1_loss(a, b, reduction=red, beta=beta), [x, y], {"reduction": red, "beta": beta})
    logits = rand(4, 3, lo=-6, hi=6)
    p = rand(4, 3, lo=0, hi=1)
    case(f"bce_with_logits_{red}", "bce_with_logits",
         lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=red), [logits, p],
         {"reduction": red, "pos_weight": None})
    pw = rand(3, lo=0.5, hi=3)
    case(f"bce_with_logits_pos_weight_{red}", "bce_with_logits",
         lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=red, pos_weight=pw), [logits, p],
         {"reduction": red, "pos_weight": pw.tolist()})
case("bce_with_logits_large", "bce_with_logits",
     lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"),
     [torch.tensor([[60.0, -60.0, 35.0, -35.0, 0.0]]), torch.tensor([[1.0, 1.0, 0.0, 0.3, 0.5]])],
     {"reduction": "none", "pos_weight": None})

g.write()
