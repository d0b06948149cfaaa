#!/usr/bin/python3
"""Writes tests/data/golden_core.json: PyTorch (Debian's python3-torch, CPU, float64) outputs and
gradients for the core ops, which tests/test_golden.cpp compares ocellus against.

Each case: op name, scalar params, inputs (shape, data, requires_grad), the output, a random weight
w, and d(sum(w * out))/d(input) for every input that requires grad.

Run: /usr/bin/python3 tools/make_goldens.py   (the python3 first on PATH may lack torch)
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(20261125)
torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data", "golden_core.json")


def rand(*shape, lo=-1.0, hi=1.0):
    return torch.rand(tuple(shape)) * (hi - lo) + lo


def enc(t):
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [bool(v) for v in t.flatten().tolist()]}
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": t.flatten().tolist()}
    return {"shape": list(t.shape), "dtype": "float64", "data": t.flatten().tolist()}


cases = []


def case(name, op, fn, inputs, params=None, grads=True):
    leaves = [t.clone().requires_grad_(grads and t.is_floating_point()) for t in inputs]
    out = fn(*leaves)
    entry = {"name": name, "op": op, "params": params or {},
             "inputs": [dict(enc(t.detach()), requires_grad=t.requires_grad) for t in leaves],
             "output": enc(out.detach())}
    if grads and out.is_floating_point():
        w = rand(*out.shape, lo=0.5, hi=1.5)
        (out * w).sum().backward()
        entry["weight"] = enc(w)
        entry["grads"] = [enc(t.grad) if t.requires_grad else None for t in leaves]
    cases.append(entry)


# Unary ops (inputs kept away from kinks so gradients are unambiguous).
def away(t):
    return torch.where((t.abs() < 0.05) | ((t + 0.5).abs() < 0.05) | ((t - 0.7).abs() < 0.05), t + 0.1, t)


x = away(rand(3, 4, lo=-2, hi=2))
pos = rand(3, 4, lo=0.2, hi=3)
for name, fn, inp in [("neg", torch.neg, x), ("exp", torch.exp, x), ("log", torch.log, pos),
                      ("sqrt", torch.sqrt, pos), ("rsqrt", torch.rsqrt, pos), ("abs", torch.abs, x),
                      ("relu", torch.relu, x), ("sigmoid", torch.sigmoid, x), ("tanh", torch.tanh, x)]:
    case(name, name, fn, [inp])
case("leaky_relu", "leaky_relu", lambda t: F.leaky_relu(t, 0.1), [x], {"slope": 0.1})
case("clamp", "clamp", lambda t: torch.clamp(t, -0.5, 0.7), [x], {"lo": -0.5, "hi": 0.7})
case("pow_scalar", "pow_scalar", lambda t: torch.pow(t, 2.5), [pos], {"exponent": 2.5})

# Binary ops with broadcasting [3,1,4] x [2,4].
a, b = rand(3, 1, 4, lo=0.5, hi=2), rand(2, 4, lo=0.5, hi=2)
for name, fn in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div),
                 ("pow", torch.pow), ("maximum", torch.maximum), ("minimum", torch.minimum)]:
    case(name, name, fn, [a, b])
cond = rand(3, 1, 4) > 0
case("where", "where", lambda c, p, q: torch.where(c, p, q), [cond, a, b])
for name, fn in [("eq", torch.eq), ("lt", torch.lt), ("ge", torch.ge)]:
    case(name, name, fn, [torch.round(a * 2), torch.round(b * 2)], grads=False)

# Reductions.
r = rand(3, 4, 5)
case("sum_axes02", "sum", lambda t: t.sum(dim=(0, 2)), [r], {"axes": [0, 2], "keepdim": False})
case("sum_all", "sum", lambda t: t.sum(), [r], {"axes": [], "keepdim": False})
case("mean_axis1_keep", "mean", lambda t: t.mean(dim=1, keepdim=True), [r], {"axes": [1], "keepdim": True})
case("var_axis2", "var", lambda t: t.var(dim=2), [r], {"axes": [2], "keepdim": False, "correction": 1})
case("var_all_biased", "var", lambda t: t.var(unbiased=False), [r], {"axes": [], "keepdim": False, "correction": 0})
case("amax_axis1", "max", lambda t: t.amax(dim=1), [r], {"axes": [1], "keepdim": False})
case("amin_axes01_keep", "min", lambda t: t.amin(dim=(0, 1), keepdim=True), [r], {"axes": [0, 1], "keepdim": True})
case("argmax_axis2", "argmax", lambda t: t.argmax(dim=2), [r], {"axis": 2, "keepdim": False}, grads=False)
case("argmin_axis0_keep", "argmin", lambda t: t.argmin(dim=0, keepdim=True), [r], {"axis": 0, "keepdim": True},
     grads=False)

# Softmax.
s = rand(3, 4, 5, lo=-3, hi=3)
case("softmax_axis1", "softmax", lambda t: torch.softmax(t, 1), [s], {"axis": 1})
case("log_softmax_axis2", "log_softmax", lambda t: torch.log_softmax(t, 2), [s], {"axis": 2})

# matmul.
case("matmul_batched_broadcast", "matmul", torch.matmul, [rand(2, 1, 3, 4), rand(5, 4, 2)])
case("matmul_vec_mat", "matmul", torch.matmul, [rand(4), rand(3, 4, 2)])
case("matmul_mat_vec", "matmul", torch.matmul, [rand(3, 4), rand(4)])

# Shape and index ops.
case("cat_dim1", "cat", lambda p, q: torch.cat([p, q], 1), [rand(2, 3), rand(2, 2)], {"dim": 1})
case("stack_dim0", "stack", lambda p, q: torch.stack([p, q], 0), [rand(2, 3), rand(2, 3)], {"dim": 0})
case("pad", "pad", lambda t: F.pad(t, (1, 2, 0, 1), value=0.5), [rand(2, 3)], {"pads": [1, 2, 0, 1], "value": 0.5})
g_idx = torch.randint(0, 3, (2, 4))
case("gather_dim0", "gather", lambda t, i: torch.gather(t, 0, i), [rand(3, 4), g_idx], {"dim": 0})
case("scatter_add_dim0", "scatter_add", lambda t, i, u: torch.scatter_add(t, 0, i, u), [rand(3, 4), g_idx, rand(2, 4)],
     {"dim": 0})
case("index_select_dim1", "index_select", lambda t, i: torch.index_select(t, 1, i), [rand(3, 4), torch.tensor([3, 0, 3])],
     {"dim": 1})

with open(OUT, "w") as f:
    json.dump({"generator": "tools/make_goldens.py", "torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)} (torch {torch.__version__})", file=sys.stderr)
