"""Golden numbers for the reduction case table (tests/kernels/reduce/reduce_cases.cpp): sum, mean,
var, amax, amin over axes (none: all), argmax, argmin, on the table's inputs (make goldens)."""
import torch


def over(t, axes, keepdim, fn):
    """fn(t, dim, keepdim) over `axes`; an empty list reduces every axis."""
    if axes:
        return fn(t, axes, keepdim)
    out = fn(t.reshape(-1), 0, False)
    return out.reshape([1] * t.dim()) if keepdim else out


def compute(op, params, inputs):
    assert "view" not in params, params
    t, keep = inputs[0], params["keepdim"]
    if op == "sum":
        return over(t, params["axes"], keep, lambda x, d, k: x.sum(dim=d, keepdim=k))
    if op == "mean":
        return over(t, params["axes"], keep, lambda x, d, k: x.mean(dim=d, keepdim=k))
    if op == "var":
        unbiased = params["correction"] == 1
        return over(t, params["axes"], keep, lambda x, d, k: x.var(dim=d, unbiased=unbiased, keepdim=k))
    if op == "max":
        return over(t, params["axes"], keep, lambda x, d, k: x.amax(dim=d, keepdim=k))
    if op == "min":
        return over(t, params["axes"], keep, lambda x, d, k: x.amin(dim=d, keepdim=k))
    if op == "argmax":
        return t.argmax(dim=params["axis"], keepdim=keep)
    if op == "argmin":
        return t.argmin(dim=params["axis"], keepdim=keep)
    raise ValueError(op)
