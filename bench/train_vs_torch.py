#!/usr/bin/python3
"""Training-step throughput, ours beside PyTorch's, robust to a noisy machine: for each config,
`rounds` rounds of `ocellus bench train CONFIG` and bench/torch_train.py's step of the same network,
back to back (the order alternating between rounds), then the median of the per-round ratios.
A shared machine's speed drifts by tens of percent within minutes; runs seconds apart see about the
same machine, so their ratio is steadier than either number.

Run: /usr/bin/python3 bench/train_vs_torch.py [--ocellus build/ocellus] [--rounds 3] [--steps 20]
                                              [--json OUT] CONFIG...      (Debian's python3-torch)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import torch_train  # noqa: E402


def ours_once(ocellus, config, steps, threads):
    """One `ocellus bench train` run: its JSON."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "ours.json")
        env = dict(os.environ, OCELLUS_NUM_THREADS=str(threads))
        r = subprocess.run([ocellus, "bench", "train", config, "--steps", str(steps), "--json", out], env=env,
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{config}: ocellus bench train failed:\n{r.stderr}")
        with open(out) as f:
            return json.load(f)


def torch_once(cfg, steps):
    times, b = torch_train.bench_times(cfg, steps)
    ms = times[len(times) // 2]
    return {"step_ms": ms, "images_per_s": b * 1e3 / ms, "fastest_step_ms": times[0], "batch_size": b}


def compare(ocellus, config, rounds, steps, threads):
    with open(config) as f:
        cfg = json.load(f)
    rows = []
    for r in range(rounds):
        if r % 2 == 0:
            ours, theirs = ours_once(ocellus, config, steps, threads), torch_once(cfg, steps)
        else:
            theirs, ours = torch_once(cfg, steps), ours_once(ocellus, config, steps, threads)
        rows.append({"ours_step": ours["step_images_per_s"], "ours_loop": ours["loop_images_per_s"],
                     "torch_step": theirs["images_per_s"],
                     "fastest_ratio": theirs["fastest_step_ms"] / ours["fastest_step_ms"]})
        print(f"  round {r + 1}: ours {ours['step_images_per_s']:8.1f} img/s (loop {ours['loop_images_per_s']:8.1f})"
              f"   torch {theirs['images_per_s']:8.1f} img/s   ratio {rows[-1]['ours_step'] / rows[-1]['torch_step']:.2f}"
              f" (fastest steps {rows[-1]['fastest_ratio']:.2f})", flush=True)
    step_ratio = statistics.median(r["ours_step"] / r["torch_step"] for r in rows)
    fastest_ratio = statistics.median(r["fastest_ratio"] for r in rows)
    loop_ratio = statistics.median(r["ours_loop"] / r["ours_step"] for r in rows)
    return {"config": config, "batch_size": ours["batch_size"], "threads": threads, "rounds": rows,
            "median_step_ratio": step_ratio, "median_fastest_ratio": fastest_ratio,
            "median_loop_over_step": loop_ratio}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("configs", nargs="+")
    ap.add_argument("--ocellus", default="build/ocellus")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write every round and the medians here")
    a = ap.parse_args()
    if not os.access(a.ocellus, os.X_OK):
        sys.exit(f"--ocellus {a.ocellus}: not an executable (build first: make build)")
    torch.set_num_threads(a.threads)
    results = []
    for config in a.configs:
        print(f"{config} ({a.threads} threads, {a.steps} steps a run, torch {torch.__version__}):", flush=True)
        res = compare(a.ocellus, config, a.rounds, a.steps, a.threads)
        print(f"  median ours/torch {res['median_step_ratio']:.2f} (median steps), "
              f"{res['median_fastest_ratio']:.2f} (fastest steps); ours' loop/step {res['median_loop_over_step']:.2f}")
        results.append(res)
    print("\nconfig                              ours/torch (median steps, fastest steps)   ours' loop/step")
    for r in results:
        print(f"{r['config']:<36} {r['median_step_ratio']:10.2f} {r['median_fastest_ratio']:14.2f}"
              f" {r['median_loop_over_step']:20.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
