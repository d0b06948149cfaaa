"""Golden numbers for the elementwise case table (tests/kernels/elementwise/elementwise_cases.cpp):
unary ops (constants from the case's params), binary ops with broadcasting, comparisons and where,
on the table's inputs (make goldens)."""
import torch
import torch.nn.functional as F

UNARY = {
    "neg": lambda x, p: torch.neg(x), "exp": lambda x, p: torch.exp(x), "log": lambda x, p: torch.log(x),
    "sqrt": lambda x, p: torch.sqrt(x), "rsqrt": lambda x, p: torch.rsqrt(x), "abs": lambda x, p: torch.abs(x),
    "sign": lambda x, p: torch.sign(x), "relu": lambda x, p: torch.relu(x),
    "sigmoid": lambda x, p: torch.sigmoid(x), "tanh": lambda x, p: torch.tanh(x),
    "leaky_relu": lambda x, p: F.leaky_relu(x, p["slope"]),
    "clamp": lambda x, p: torch.clamp(x, p["lo"], p["hi"]),
    "pow_scalar": lambda x, p: torch.pow(x, p["exponent"]),
    "add_scalar": lambda x, p: x + p["scalar"], "mul_scalar": lambda x, p: x * p["scalar"],
    "rsub_scalar": lambda x, p: p["scalar"] - x, "rdiv_scalar": lambda x, p: p["scalar"] / x,
}
BINARY = {
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "maximum": torch.maximum, "minimum": torch.minimum, "eq": torch.eq, "ne": torch.ne, "lt": torch.lt,
    "le": torch.le, "gt": torch.gt, "ge": torch.ge,
}


def compute(op, params, inputs):
    assert "view" not in params, params
    if op in UNARY:
        return UNARY[op](inputs[0], params)
    if op in BINARY:
        return BINARY[op](inputs[0], inputs[1])
    if op == "where":  # inputs: a, b, cond
        return torch.where(inputs[2], inputs[0], inputs[1])
    raise ValueError(op)
