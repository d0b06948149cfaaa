#!/usr/bin/python3
"""torchvision beside `ocellus bench box_iou` / `ocellus bench nms`, on the very same boxes:
`ocellus bench OP --inputs DIR` writes each bench row's inputs (and our result) as raw files indexed
by DIR/OP.json; this script times torchvision.ops.box_iou / nms on them (float32, median of runs),
checks that torchvision keeps the same boxes as ours (NMS) or gives the same IoUs (to 1e-5), and
prints both side by side with the ratio torchvision ms / ours ms (> 1: ours is faster).

Run: /usr/bin/python3 bench/boxes_torchvision.py --inputs DIR [--ours FILE ...] [--device cpu|cuda]
     [--threads N] [--json OUT]
(--ours: the --json files of the ocellus runs; CPU: Debian's python3-torchvision, 2 threads.)
"""
import json
import os
import sys

import torch
import torchvision
from torchvision.ops import box_iou, nms

from torch_timing import comparison_args, median_ms, ours_columns, write_rows

DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64}


def load(dir_, entry):
    with open(os.path.join(dir_, entry["file"]), "rb") as f:
        data = bytearray(f.read())
    t = torch.frombuffer(data, dtype=DTYPES[entry["dtype"]]) if data else torch.empty(0, dtype=DTYPES[entry["dtype"]])
    return t.reshape(entry["shape"])


def main():
    ap, parse = comparison_args(cpu_runs=9)
    ap.add_argument("--inputs", required=True, help="the --inputs DIR of ocellus bench box_iou / nms")
    ap.add_argument("--ours", action="append", default=[])
    a = parse()
    runs = a.runs
    ours = {}
    for path in a.ours:
        with open(path) as f:
            for r in json.load(f)["results"]:
                ours[r["case"]] = r["ms"]
    threads = f", {torch.get_num_threads()} threads" if a.device == "cpu" else ""
    print(f"torchvision {torchvision.__version__} (PyTorch {torch.__version__}) on {a.device}{threads}, float32, "
          f"median of {runs} runs")
    print(f"{'case':40} {'tv ms':>9} {'ours ms':>9} {'tv/ours':>10} {'same result':>12}")
    results, wrong = [], 0
    for op in ("box_iou", "nms"):
        index = os.path.join(a.inputs, op + ".json")
        if not os.path.exists(index):
            continue
        with open(index) as f:
            rows = json.load(f)["rows"]
        for row in rows:
            inputs = [load(a.inputs, e).to(a.device) for e in row["inputs"]]
            mine = load(a.inputs, row["ours"])
            if op == "box_iou":
                fn = lambda: box_iou(inputs[0], inputs[1])
                same = (fn().cpu() - mine).abs().max().item() <= 1e-5 if mine.numel() else True
            else:
                threshold = row["params"]["iou_threshold"]
                fn = lambda: nms(inputs[0], inputs[1], threshold)
                same = torch.equal(fn().cpu(), mine)
            ms = median_ms(fn, a.device, runs)
            mine_s, ratio = ours_columns(ms, ours.get(row["case"]))
            print(f"{row['case']:40} {ms:9.3f} {mine_s} {ratio} {'yes' if same else 'NO':>12}")
            results.append({"op": op, "case": row["case"], "ms": ms, "same_result": same})
            wrong += not same
    if not results:
        sys.exit(f"{a.inputs}: no box_iou.json or nms.json (run ocellus bench box_iou|nms --inputs {a.inputs})")
    if a.json:
        write_rows(a.json, a.device, results)
    if wrong:
        sys.exit(f"{wrong} rows differ between torchvision and ours")


if __name__ == "__main__":
    main()
