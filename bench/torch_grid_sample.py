#!/usr/bin/python3
"""PyTorch reference for `ocellus bench affine_grid grid_sample`: the same shapes and passes
(bilinear, zeros, align_corners=False, output size = input size, near-identity random thetas),
float32, median of runs. With --ours FILE (from `ocellus bench affine_grid grid_sample --json FILE`)
it prints both side by side with the ratio PyTorch ms / ours ms (> 1: ours is faster).

Run: /usr/bin/python3 bench/torch_grid_sample.py [--device cpu|cuda] [--ours FILE] [--json OUT]
(CPU: Debian's python3-torch, 2 threads; CUDA: any PyTorch with a GPU, timed with CUDA events.)
"""
import argparse
import json

import torch
import torch.nn.functional as F

from torch_timing import median_ms, ours_columns, write_rows

# The bench rows of tests/kernels/*/<op>_cases.cpp (`ocellus bench <op> --cases`), when no --ours is given.
SHAPES = [(64, 32, 64, 64), (32, 64, 128, 128), (256, 1, 60, 60), (8, 8, 32, 32, 32)]


def theta_for(n, dims, g, device):
    theta = torch.rand(n, dims, dims + 1, generator=g) * 0.5 - 0.25
    theta[:, :, :dims] += torch.eye(dims)
    return theta.to(device)


def bench(device, runs, shapes):
    rows = []
    g = torch.Generator().manual_seed(7)
    for shape in shapes:
        dims = len(shape) - 2
        x = (torch.rand(*shape, generator=g) * 2 - 1).to(device)
        theta = theta_for(shape[0], dims, g, device)
        grid = F.affine_grid(theta, list(shape), align_corners=False)
        y = F.grid_sample(x, grid, align_corners=False)
        gy = (torch.rand(*y.shape, generator=g) * 2 - 1).to(device)
        xg, gg = x.clone().requires_grad_(), grid.clone().requires_grad_()

        def fwd():
            with torch.no_grad():
                F.grid_sample(x, grid, align_corners=False)

        def fwd_bwd():
            out = F.grid_sample(xg, gg, align_corners=False)
            torch.autograd.grad(out, (xg, gg), gy)

        tg = theta.clone().requires_grad_()
        ggrid = torch.rand_like(grid)

        def ag_fwd():
            with torch.no_grad():
                F.affine_grid(theta, list(shape), align_corners=False)

        def ag_fwd_bwd():
            out = F.affine_grid(tg, list(shape), align_corners=False)
            torch.autograd.grad(out, (tg,), ggrid)

        for op, name, fn in [("grid_sample", "forward", fwd), ("grid_sample", "fwd+bwd", fwd_bwd),
                             ("affine_grid", "forward", ag_fwd), ("affine_grid", "fwd+bwd", ag_fwd_bwd)]:
            rows.append({"op": op, "shape": list(shape), "pass": name, "ms": median_ms(fn, device, runs)})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--ours")
    ap.add_argument("--json")
    ap.add_argument("--runs", type=int, default=0)
    a = ap.parse_args()
    if a.device == "cpu":
        torch.set_num_threads(2)
    runs = a.runs or (50 if a.device == "cuda" else 7)
    ours = {}
    if a.ours:
        with open(a.ours) as f:
            for op_result in json.load(f).values():
                for r in op_result["results"]:
                    ours[(r["op"], tuple(r["shape"]), r["pass"])] = r["ms"]
    # The shapes ours ran (the bench rows of its case table), else the defaults.
    shapes = list(dict.fromkeys(k[-2] for k in ours)) or SHAPES
    rows = bench(a.device, runs, shapes)
    print(f"PyTorch {torch.__version__} on {a.device}, float32, median of {runs} runs")
    print(f"{'op':12} {'input':22} {'pass':8} {'torch ms':>9} {'ours ms':>9} {'torch/ours':>10}")
    for r in rows:
        mine_s, ratio = ours_columns(r["ms"], ours.get((r["op"], tuple(r["shape"]), r["pass"])))
        print(f"{r['op']:12} {str(r['shape']):22} {r['pass']:8} {r['ms']:9.3f} {mine_s} {ratio}")
    if a.json:
        write_rows(a.json, a.device, rows)


if __name__ == "__main__":
    main()
