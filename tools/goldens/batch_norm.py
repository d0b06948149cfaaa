"""Golden numbers for the batch_norm case table (tests/kernels/batch_norm/batch_norm_cases.cpp):
F.batch_norm (and F.relu after it for batch_norm_relu), outputs and the gradients of x, weight and
bias, and the running statistics after one training step (batch_norm_running). The inputs and parameters come from the table (make goldens)."""
import torch
import torch.nn.functional as F


def start_running(c):
    """The running statistics a case starts from: the formula of start_running() in the table."""
    rm = torch.tensor([0.1 * (i % 7) - 0.3 for i in range(c)], dtype=torch.float64)
    rv = torch.tensor([0.5 + 0.25 * (i % 5) for i in range(c)], dtype=torch.float64)
    return rm, rv


def compute(op, params, inputs):
    x = inputs[0]
    assert "permute" not in params, params
    rm, rv = start_running(x.shape[1]) if params["running"] else (None, None)
    momentum, eps = params["momentum"], params["eps"]
    if op == "batch_norm_running":
        F.batch_norm(x.detach(), rm, rv, None, None, True, momentum, eps)
        return torch.cat([rm, rv])  # no gradient: write_table_goldens records none
    assert op in ("batch_norm", "batch_norm_relu"), op
    w = inputs[1] if len(inputs) > 1 else None
    b = inputs[2] if len(inputs) > 2 else None
    y = F.batch_norm(x, rm, rv, w, b, params["training"], momentum, eps)
    return F.relu(y) if op == "batch_norm_relu" else y
