"""Shared machinery of the golden generators: each case records an op name, scalar params, inputs
(shape, data, requires_grad), the output, a random weight w, and d(sum(w * out))/d(input) for every
input that requires grad, all in float64 (Debian's python3-torch, CPU).

A family with a case table (tests/kernels/<family>/<family>_cases.cpp) has a module with
compute(op, params, inputs) -> output, and its cases come from `ocellus_tests --write-op-cases DIR`
(write_table_goldens); the other modules still choose their own inputs (GoldenFile)."""
import json
import os
import sys
import zlib

import torch

torch.set_default_dtype(torch.float64)
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data")


def rand(*shape, lo=-1.0, hi=1.0):
    return torch.rand(tuple(shape)) * (hi - lo) + lo


def dec(j):
    if j["dtype"] == "float64":
        return torch.tensor(j["data"], dtype=torch.float64).reshape(j["shape"])
    return torch.tensor(j["data"], dtype=torch.bool if j["dtype"] == "bool" else torch.int64).reshape(j["shape"])


def enc(t):
    if t.dtype == torch.bool:
        return {"shape": list(t.shape), "dtype": "bool", "data": [bool(v) for v in t.flatten().tolist()]}
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "dtype": "int64", "data": t.flatten().tolist()}
    return {"shape": list(t.shape), "dtype": "float64", "data": t.double().flatten().tolist()}


class GoldenFile:
    """Collects cases and writes them to tests/data/<name>. Seeds torch so each file is reproducible."""

    def __init__(self, name, seed=20261125):
        torch.manual_seed(seed)
        self.name = name
        self.cases = []

    def case(self, name, op, fn, inputs, params=None, grads=True, seed=None):
        if seed is not None:  # the weight of a table case depends on its name only
            torch.manual_seed(seed)
        leaves = [t.clone().requires_grad_(grads and t.is_floating_point()) for t in inputs]
        out = fn(*leaves)
        entry = {"name": name, "op": op, "params": params or {},
                 "inputs": [dict(enc(t.detach()), requires_grad=t.requires_grad) for t in leaves],
                 "output": enc(out.detach())}
        if grads and out.is_floating_point() and out.requires_grad:  # e.g. running statistics: none
            w = rand(*out.shape, lo=0.5, hi=1.5)
            (out * w).sum().backward()
            entry["weight"] = enc(w)
            # None: no gradient (an input the op treats as a constant, e.g. the box coder's references)
            entry["grads"] = [enc(t.grad) if t.grad is not None else None for t in leaves]
        self.cases.append(entry)

    def write(self):
        path = os.path.join(DATA, self.name)
        with open(path, "w") as f:
            json.dump({"generator": "tools/make_goldens.py", "torch": torch.__version__, "cases": self.cases}, f)
        print(f"wrote {len(self.cases)} cases to tests/data/{self.name} (torch {torch.__version__})", file=sys.stderr)


def write_table_goldens(family, compute, cases_dir):
    """tests/data/golden_<family>.json from the table's cases in cases_dir/<family>.json."""
    path = os.path.join(cases_dir, f"{family}.json")
    if not os.path.exists(path):
        sys.exit(f"make_goldens: {path} is missing: run `ocellus_tests --write-op-cases {cases_dir}` (make goldens)")
    with open(path) as f:
        cases = json.load(f)["cases"]
    g = GoldenFile(f"golden_{family}.json")
    for c in cases:
        g.case(c["name"], c["op"], lambda *t, c=c: compute(c["op"], c["params"], list(t)),
               [dec(j) for j in c["inputs"]], c["params"], seed=zlib.crc32(c["name"].encode()))
    g.write()
