"""Golden numbers for the elementwise case table (tests/kernels/elementwise/elementwise_cases.cpp):
unary ops (constants from the case's params), binary ops with broadcasting, comparisons and where,
on the table's inputs (make goldens)."""
import torch
import torch.nn.functional as F

# Ops whose name or arguments differ from torch's; any other op is torch.<op>(inputs...), so a new
# row whose op PyTorch has under the same name needs no line here.
UNARY = {
    "leaky_relu": lambda x, p: F.leaky_relu(x, p["slope"]),
    "clamp": lambda x, p: torch.clamp(x, p["lo"], p["hi"]),
    "pow_scalar": lambda x, p: torch.pow(x, p["exponent"]),
    "add_scalar": lambda x, p: x + p["scalar"], "mul_scalar": lambda x, p: x * p["scalar"],
    "rsub_scalar": lambda x, p: p["scalar"] - x, "rdiv_scalar": lambda x, p: p["scalar"] / x,
}


def compute(op, params, inputs):
    assert "view" not in params, params
    if op in UNARY:
        return UNARY[op](inputs[0], params)
    if op == "where":  # inputs: a, b, cond
        return torch.where(inputs[2], inputs[0], inputs[1])
    return getattr(torch, op)(*inputs)
