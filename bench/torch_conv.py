#!/usr/bin/python3
"""PyTorch CPU reference for `ocellus bench conv2d`: times conv2d forward, input gradient and weight
gradient separately (torch.ops.aten.convolution_backward with one output each) on the same shapes,
float32, 2 threads, median of runs. With --ours FILE (the JSON of `ocellus bench conv2d --json FILE`)
it prints both side by side.

Run: /usr/bin/python3 bench/torch_conv.py [--ours FILE] [--json OUT]   (Debian's python3-torch)
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F

# (N, C, H, W, K, R, stride, pad): the shapes of `ocellus bench conv2d`.
SHAPES = [(8, 64, 56, 56, 64, 3, 1, 1), (8, 3, 224, 224, 64, 7, 2, 3), (64, 32, 28, 28, 32, 3, 1, 1)]
PASSES = ["forward", "input_grad", "weight_grad"]


def median_ms(fn, warmup=2, min_runs=5, budget_s=2.0):
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < budget_s and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def bench_shape(n, c, h, w, k, r, stride, pad):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(n, c, h, w, generator=g) * 2 - 1
    wt = torch.rand(k, c, r, r, generator=g) * 2 - 1
    ho = (h + 2 * pad - r) // stride + 1
    wo = (w + 2 * pad - r) // stride + 1
    gy = torch.rand(n, k, ho, wo, generator=g) * 2 - 1
    flop = 2.0 * n * k * ho * wo * c * r * r
    args = dict(bias_sizes=None, stride=[stride] * 2, padding=[pad] * 2, dilation=[1, 1], transposed=False,
                output_padding=[0, 0], groups=1)
    with torch.no_grad():
        fns = {
            "forward": lambda: F.conv2d(x, wt, None, stride, pad),
            "input_grad": lambda: torch.ops.aten.convolution_backward(gy, x, wt, output_mask=[True, False, False],
                                                                      **args),
            "weight_grad": lambda: torch.ops.aten.convolution_backward(gy, x, wt, output_mask=[False, True, False],
                                                                       **args),
        }
        ms = {p: median_ms(f) for p, f in fns.items()}
    return {p: {"ms": ms[p], "gflops": flop / (ms[p] * 1e6)} for p in PASSES}


def key(s):
    return "x".join(str(v) for v in s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", help="JSON written by `ocellus bench conv2d --json FILE`")
    ap.add_argument("--json", help="write PyTorch's figures here")
    a = ap.parse_args()
    torch.set_num_threads(2)
    ours = {}
    if a.ours:
        with open(a.ours) as f:
            for row in json.load(f)["results"]:
                s = (row["N"], row["C"], row["H"], row["W"], row["K"], row["R"], row["stride"], row["pad"])
                ours[key(s)] = row
    print(f"conv2d float32 on the CPU, torch {torch.__version__} ({torch.get_num_threads()} threads, "
          f"mkldnn {torch.backends.mkldnn.is_available()}), median ms")
    print(f"{'N,C,H,W,K,R,stride,pad':>26} {'pass':>12} {'torch ms':>9} {'GFLOP/s':>8}" +
          (f" {'ours ms':>9} {'GFLOP/s':>8} {'ours/torch':>10}" if ours else ""))
    results = []
    for s in SHAPES:
        t = bench_shape(*s)
        total_t = total_o = 0.0
        for p in PASSES:
            line = f"{','.join(map(str, s)):>26} {p:>12} {t[p]['ms']:9.2f} {t[p]['gflops']:8.1f}"
            total_t += t[p]["ms"]
            if ours:
                o = ours[key(s)][p]
                total_o += o["ms"]
                line += f" {o['ms']:9.2f} {o['gflops']:8.1f} {o['ms'] / t[p]['ms']:10.2f}"
            print(line)
        line = f"{'':>26} {'fwd+bwd':>12} {total_t:9.2f} {'':>8}"
        if ours:
            line += f" {total_o:9.2f} {'':>8} {total_o / total_t:10.2f}"
        print(line)
        results.append({"shape": dict(zip(["N", "C", "H", "W", "K", "R", "stride", "pad"], s)), **t})
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"bench": "torch_conv2d", "torch": torch.__version__, "threads": 2, "results": results}, f,
                      indent=2)


if __name__ == "__main__":
    main()
