"""Golden optimizer trajectories of train/optim.h (tests/kernels/optim/test_optim.cpp reads
tests/data/golden_optimizers.json): a few steps of torch.optim.SGD / Adam / AdamW on two parameters
and fixed random gradients, recording every parameter after every step, in float64 and float32. Cases also change the learning rate between steps and (SGD) leave a gradient
out for a step, which torch.optim skips."""
import json
import os
import sys

import torch

from goldens.common import DATA, enc

torch.manual_seed(20261126)

STEPS = 5
SHAPES = {"layer.weight": (3, 4), "layer.bias": (5,)}


def run(name, make, dtype, lrs=None, skip=None):
    """make(params) -> optimizer. lrs[k]: lr set before step k (None: unchanged). skip: {(step, param)} left
    without a gradient."""
    skip = skip or set()
    init = {n: torch.rand(s, dtype=torch.float64) * 2 - 1 for n, s in SHAPES.items()}
    grads = [{n: torch.rand(s, dtype=torch.float64) * 2 - 1 for n, s in SHAPES.items()} for _ in range(STEPS)]
    params = {n: init[n].to(dtype).clone().requires_grad_(True) for n in SHAPES}
    opt = make(list(params.values()))
    record = {n: {"init": enc(init[n].to(dtype)), "grads": [], "after": []} for n in SHAPES}
    used_lrs = []
    for k in range(STEPS):
        if lrs and lrs[k] is not None:
            for group in opt.param_groups:
                group["lr"] = lrs[k]
        used_lrs.append(opt.param_groups[0]["lr"])
        for n, p in params.items():
            if (k, n) in skip:
                p.grad = None
                record[n]["grads"].append(None)
            else:
                p.grad = grads[k][n].to(dtype).clone()
                record[n]["grads"].append(enc(p.grad))
        opt.step()
        for n, p in params.items():
            record[n]["after"].append(enc(p.detach()))
    return {"name": f"{name}_{str(dtype).replace('torch.', '')}", "dtype": str(dtype).replace("torch.", ""),
            "lrs": used_lrs, "params": [dict(name=n, **record[n]) for n in SHAPES]}


cases = []
for dtype in (torch.float64, torch.float32):
    def sgd(**kw):
        return lambda ps: torch.optim.SGD(ps, **kw)

    def adam(**kw):
        return lambda ps: torch.optim.Adam(ps, **kw)

    def adamw(**kw):
        return lambda ps: torch.optim.AdamW(ps, **kw)

    entries = [
        ("sgd_plain", "sgd", {"lr": 0.1}, sgd(lr=0.1), None, None),
        ("sgd_momentum", "sgd", {"lr": 0.1, "momentum": 0.9}, sgd(lr=0.1, momentum=0.9), None, None),
        ("sgd_nesterov_wd", "sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "nesterov": True},
         sgd(lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True), None, None),
        ("sgd_wd_skip_lr_change", "sgd", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.05},
         sgd(lr=0.1, momentum=0.8, weight_decay=0.05), [None, None, 0.03, None, 0.2],
         {(1, "layer.bias"), (2, "layer.weight")}),
        ("adam", "adam", {"lr": 0.01}, adam(lr=0.01), None, None),
        ("adam_wd_betas_eps", "adam", {"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1},
         adam(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), None, None),
        ("adamw", "adamw", {"lr": 0.01, "weight_decay": 0.1}, adamw(lr=0.01, weight_decay=0.1), None, None),
        ("adamw_lr_change", "adamw", {"lr": 0.05, "beta1": 0.85, "beta2": 0.995, "weight_decay": 0.02},
         adamw(lr=0.05, betas=(0.85, 0.995), weight_decay=0.02), [None, 0.01, None, 0.1, None], None),
    ]
    for name, kind, options, make, lrs, skip in entries:
        c = run(name, make, dtype, lrs, skip)
        c["optimizer"] = kind
        c["options"] = options
        cases.append(c)

path = os.path.join(DATA, "golden_optimizers.json")
with open(path, "w") as f:
    json.dump({"generator": "tools/make_goldens.py optimizers", "torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to tests/data/golden_optimizers.json (torch {torch.__version__})", file=sys.stderr)
