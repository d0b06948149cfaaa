"""Golden numbers for the copy case table (tests/kernels/copy/copy_cases.cpp): cat, stack, split and
pad on the table's inputs (make goldens)."""
import torch
import torch.nn.functional as F


def compute(op, p, inputs):
    if op == "cat":
        parts = {"a b a": [inputs[0], inputs[1], inputs[0]]}.get(p.get("order"), inputs)
        return torch.cat(parts, p["dim"])
    if op == "stack":
        return torch.stack(inputs, p["dim"])
    if op == "split":
        return torch.split(inputs[0], p["size"], p["dim"])[p["part"]].contiguous()
    if op == "pad":
        return F.pad(inputs[0], tuple(p["pads"]), value=p["value"])
    raise ValueError(op)
