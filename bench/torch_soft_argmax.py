#!/usr/bin/python3
"""PyTorch reference for `ocellus bench soft_argmax`: the composite soft-argmax (softmax over each
flattened map, then the expectation of the x and y coordinate grids; beta 1, pixel coordinates) on
the same shapes and passes, float32, median of runs. With --ours FILE (from `ocellus bench
soft_argmax --json FILE`) it prints both side by side with the ratio PyTorch ms / ours ms (> 1: ours
is faster).

Run: /usr/bin/python3 bench/torch_soft_argmax.py [--device cpu|cuda] [--ours FILE] [--json OUT] [--threads N]
(CPU: Debian's python3-torch, 2 threads; CUDA: any PyTorch with a GPU, timed with CUDA events.)
"""
import json

import torch

from torch_timing import comparison_args, median_ms, ours_columns, write_rows

# The bench rows of tests/kernels/*/<op>_cases.cpp (`ocellus bench <op> --cases`), when no --ours is given.
SHAPES = [(64, 17, 64, 64), (256, 16, 32, 32), (32, 17, 128, 128)]


def soft_argmax(s, xs, ys):
    """s [N, K, H, W] -> [N, K, 2] (x, y) in pixels."""
    n, k, h, w = s.shape
    p = torch.softmax(s.reshape(n, k, h * w), dim=-1).reshape(n, k, h, w)
    return torch.stack([(p * xs).sum(dim=(2, 3)), (p * ys).sum(dim=(2, 3))], dim=-1)


def bench(device, runs, shapes):
    rows = []
    g = torch.Generator().manual_seed(7)
    for shape in shapes:
        n, k, h, w = shape
        x = (torch.rand(*shape, generator=g) * 2 - 1).to(device)
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32, device=device),
                                torch.arange(w, dtype=torch.float32, device=device), indexing="ij")
        gout = (torch.rand(n, k, 2, generator=g) * 2 - 1).to(device)
        xg = x.clone().requires_grad_()

        def fwd():
            with torch.no_grad():
                soft_argmax(x, xs, ys)

        def fwd_bwd():
            torch.autograd.grad(soft_argmax(xg, xs, ys), (xg,), gout)

        for name, fn in [("forward", fwd), ("fwd+bwd", fwd_bwd)]:
            rows.append({"op": "soft_argmax", "shape": list(shape), "pass": name, "ms": median_ms(fn, device, runs)})
    return rows


def main():
    ap, parse = comparison_args(cpu_runs=7)
    ap.add_argument("--ours")
    a = parse()
    runs = a.runs
    ours = {}
    if a.ours:
        with open(a.ours) as f:
            for r in json.load(f)["results"]:
                ours[(tuple(r["shape"]), r["pass"])] = r["ms"]
    # The shapes ours ran (the bench rows of its case table), else the defaults.
    shapes = list(dict.fromkeys(k[-2] for k in ours)) or SHAPES
    rows = bench(a.device, runs, shapes)
    threads = f", {torch.get_num_threads()} threads" if a.device == "cpu" else ""
    print(f"PyTorch {torch.__version__} on {a.device}{threads}, float32, composite soft-argmax, median of {runs} runs")
    print(f"{'heatmaps':20} {'pass':8} {'torch ms':>9} {'ours ms':>9} {'torch/ours':>10}")
    for r in rows:
        mine_s, ratio = ours_columns(r["ms"], ours.get((tuple(r["shape"]), r["pass"])))
        print(f"{str(r['shape']):20} {r['pass']:8} {r['ms']:9.3f} {mine_s} {ratio}")
    if a.json:
        write_rows(a.json, a.device, rows)


if __name__ == "__main__":
    main()
