"""Timing shared by the PyTorch comparison scripts: warm up, then the median of `runs` timed calls
(CUDA events on the GPU, a monotonic clock on the CPU), in milliseconds."""
import time

import torch


def median_ms(fn, device, runs):
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
