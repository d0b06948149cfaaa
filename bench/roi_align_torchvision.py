#!/usr/bin/python3
"""torchvision reference for `ocellus bench roi_align` / `roi_pool`: torchvision.ops.roi_align and
roi_pool on the same features and boxes, forward and forward+backward (the feature gradient),
float32, median of runs. With --ours FILE (from `ocellus bench roi_align --json FILE`) it runs the
rows ours ran, on ours' parameters, and prints both side by side with the ratio torchvision ms /
ours ms (> 1: ours is faster).

The features and boxes are drawn here (the same distribution as the case table's "around" boxes,
not the same numbers): centres in [-0.1, 1.1] of the image, sides 5% to 65% of it.

Run: /usr/bin/python3 bench/roi_align_torchvision.py [--op roi_align|roi_pool] [--device cpu|cuda]
     [--ours FILE] [--json OUT] [--threads N]
(CPU: Debian's python3-torchvision, 2 threads; CUDA: any torchvision with a GPU, CUDA events.)
"""
import json

import torch
from torchvision.ops import roi_align, roi_pool

from torch_timing import comparison_args, median_ms, ours_columns, write_rows

# The bench rows of tests/kernels/roi_align/roi_align_cases.cpp (`ocellus bench roi_align --cases`),
# when no --ours is given: features [N, C, H, W], boxes, params.
ROWS = [([2, 256, 50, 68], 1000, {"out": [7, 7], "scale": 0.0625, "sampling": 2, "aligned": False})]


def draw_boxes(k, n, img_h, img_w, g):
    u = torch.rand(k, 5, generator=g)
    cx, cy = (-0.1 + 1.2 * u[:, 1]) * img_w, (-0.1 + 1.2 * u[:, 2]) * img_h
    bw, bh = (0.05 + 0.6 * u[:, 3]) * img_w, (0.05 + 0.6 * u[:, 4]) * img_h
    batch = torch.floor(u[:, 0] * n).clamp(max=n - 1)
    return torch.stack([batch, cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=1)


def bench(op, device, runs, rows):
    out_rows = []
    g = torch.Generator().manual_seed(7)
    for shape, k, p in rows:
        n, c, h, w = shape
        x = (torch.rand(*shape, generator=g) * 2 - 1).to(device)
        boxes = draw_boxes(k, n, h / p["scale"], w / p["scale"], g).to(device)
        gout = (torch.rand(k, c, *p["out"], generator=g) * 2 - 1).to(device)
        xg = x.clone().requires_grad_()

        def run(f):
            if op == "roi_align":
                return roi_align(f, boxes, tuple(p["out"]), p["scale"], p["sampling"], p["aligned"])
            return roi_pool(f, boxes, tuple(p["out"]), p["scale"])

        def fwd():
            with torch.no_grad():
                run(x)

        def fwd_bwd():
            torch.autograd.grad(run(xg), (xg,), gout)

        for name, fn in [("forward", fwd), ("fwd+bwd", fwd_bwd)]:
            out_rows.append({"op": op, "features": shape, "boxes": k, "params": p, "pass": name,
                             "ms": median_ms(fn, device, runs)})
    return out_rows


def main():
    ap, parse = comparison_args(cpu_runs=9)
    ap.add_argument("--op", default="roi_align", choices=["roi_align", "roi_pool"])
    ap.add_argument("--ours")
    a = parse()
    runs = a.runs
    ours, rows = {}, []
    if a.ours:
        with open(a.ours) as f:
            mine = json.load(f)
        a.op = mine["bench"]
        for r in mine["results"]:
            ours[(tuple(r["features"]), r["boxes"], r["pass"])] = r["ms"]
            row = (r["features"], r["boxes"], {key: r["params"][key] for key in r["params"] if key != "boxes"})
            if row not in rows:
                rows.append(row)
    rows = rows or ROWS
    results = bench(a.op, a.device, runs, rows)
    threads = f", {torch.get_num_threads()} threads" if a.device == "cpu" else ""
    import torchvision
    print(f"torchvision {torchvision.__version__} (PyTorch {torch.__version__}) on {a.device}{threads}, float32, "
          f"{a.op}, median of {runs} runs")
    print(f"{'features':18} {'boxes':6} {'pass':8} {'tv ms':>9} {'ours ms':>9} {'tv/ours':>10}")
    for r in results:
        mine_s, ratio = ours_columns(r["ms"], ours.get((tuple(r["features"]), r["boxes"], r["pass"])))
        print(f"{str(r['features']):18} {r['boxes']:<6} {r['pass']:8} {r['ms']:9.3f} {mine_s} {ratio}")
    if a.json:
        write_rows(a.json, a.device, results)


if __name__ == "__main__":
    main()
