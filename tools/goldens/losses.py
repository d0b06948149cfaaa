"""Golden numbers for the losses case table (tests/losses/losses_cases.cpp): torch.nn.functional's
cross_entropy / nll_loss / mse_loss / l1_loss / smooth_l1_loss / binary_cross_entropy_with_logits,
outputs and gradients. The inputs and parameters come from the table (make goldens); class weights
and pos_weight are constants (PyTorch gives them no gradient) by the table's formulas."""
import torch
import torch.nn.functional as F


def class_weights(c):
    return torch.tensor([0.3 + 0.4 * (j % 5) for j in range(c)], dtype=torch.float64)


def pos_weights(c):
    return torch.tensor([0.5 + 0.6 * (j % 4) for j in range(c)], dtype=torch.float64)


def compute(op, params, inputs):
    a, b = inputs
    red = params["reduction"]
    if op in ("cross_entropy", "nll_loss"):
        w = class_weights(a.shape[1]) if params["weighted"] else None
        if op == "nll_loss":
            return F.nll_loss(a, b, weight=w, ignore_index=params["ignore_index"], reduction=red)
        return F.cross_entropy(a, b, weight=w, ignore_index=params["ignore_index"], reduction=red,
                               label_smoothing=params["smoothing"])
    if op == "mse_loss":
        return F.mse_loss(a, b, reduction=red)
    if op == "l1_loss":
        return F.l1_loss(a, b, reduction=red)
    if op == "smooth_l1_loss":
        return F.smooth_l1_loss(a, b, reduction=red, beta=params["beta"])
    assert op == "bce_with_logits", op
    pw = pos_weights(a.shape[-1]) if params["pos_weight"] else None
    return F.binary_cross_entropy_with_logits(a, b, reduction=red, pos_weight=pw)
