"""Golden numbers for the index case table (tests/kernels/index/index_cases.cpp): gather,
scatter_add and index_select on the table's inputs and int64 indices (make goldens)."""
import torch


def compute(op, params, inputs):
    assert "view" not in params, params
    d = params["dim"]
    if op == "gather":
        return torch.gather(inputs[0], d, inputs[1])
    if op == "scatter_add":
        return torch.scatter_add(inputs[0], d, inputs[1], inputs[2])
    if op == "index_select":
        return torch.index_select(inputs[0], d, inputs[1])
    raise ValueError(op)
