"""Golden numbers for the softmax case table (tests/kernels/softmax/softmax_cases.cpp): softmax and
log_softmax along an axis, on the table's inputs (make goldens)."""
import torch


def compute(op, params, inputs):
    assert "view" not in params, params
    if op == "softmax":
        return torch.softmax(inputs[0], params["axis"])
    if op == "log_softmax":
        return torch.log_softmax(inputs[0], params["axis"])
    raise ValueError(op)
