"""Timing shared by the PyTorch comparison scripts: warm up, then `runs` timed calls (CUDA events on
the GPU, a monotonic clock on the CPU), in milliseconds: their median, or all of them."""
import time

import torch


def run_times_ms(fn, device, runs):
    """fn's time in ms for each of `runs` calls after 2 warm-up calls, sorted."""
    for _ in range(2):
        fn()
    times = []
    for _ in range(runs):
        if device == "cuda":
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times


def median_ms(fn, device, runs):
    times = run_times_ms(fn, device, runs)
    return times[len(times) // 2]


def ours_columns(torch_ms, ours_ms):
    """The 'ours ms' and 'torch/ours' columns of a side-by-side row ('-' when ours is missing)."""
    if not ours_ms:
        return f"{'-':>9}", f"{'-':>10}"
    return f"{ours_ms:9.3f}", f"{torch_ms / ours_ms:10.2f}"


def write_rows(path, device, rows):
    """The PyTorch timings as JSON (--json)."""
    import json
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "device": device, "results": rows}, f, indent=2)


def comparison_args(cpu_runs):
    """The options every comparison script takes: --device, --json, --runs, --threads (its parser,
    for the script's own options, and a function that parses, sets the CPU threads and returns the
    arguments with .runs filled in: 50 on CUDA, cpu_runs on the CPU unless --runs says)."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", help="write the PyTorch figures here")
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (ours: OCELLUS_NUM_THREADS)")

    def parse():
        a = ap.parse_args()
        if a.device == "cpu":
            torch.set_num_threads(a.threads)
        a.runs = a.runs or (50 if a.device == "cuda" else cpu_runs)
        return a

    return ap, parse
