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
