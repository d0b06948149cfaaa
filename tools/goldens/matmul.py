"""Golden numbers for the matmul case table (tests/kernels/matmul/matmul_cases.cpp): torch.matmul on
the table's inputs (make goldens)."""
import torch


def compute(op, params, inputs):
    assert op == "matmul" and not params, (op, params)
    return torch.matmul(inputs[0], inputs[1])
