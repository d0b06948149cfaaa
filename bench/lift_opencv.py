#!/usr/bin/python3
"""OpenCV's SIFT, ORB and AKAZE through the scorer LIFT goes through: for each image pair related by
a known homography, each method's features (detect + compute on the grayscale images) are written as
ocellus features files (train/io/features_file.h), matched and scored by `ocellus match --features`
(mutual nearest neighbours; MMA @ 1..10 px, correct matches @ 3 px, repeatability, RANSAC's corner
error), and the results averaged per method into a table (JSON + Markdown), graf1 -> graf3 apart
from the --pairs set. Keypoints/s: keypoints of both images / the median (of --runs) detect+compute
time of both, on this machine's CPU with OpenCV's default threads.

With --lift CONFIG --checkpoint F, a LIFT model goes through the same scorer in the same run, in
three rows that add one learned stage at a time: its descriptor on SIFT's keypoints and orientations
("sift kp+ori, lift desc"), then its orientation too ("sift kp, lift ori+desc"), then its own
detector ("lift"). Its keypoints/s is one run of `ocellus match` on both images (all stages).

Run: /usr/bin/python3 bench/lift_opencv.py [--graf] [--pairs pairs.json [--limit N]] [--ocellus build/ocellus]
     [--out runs/lift_opencv] [--methods sift,orb,akaze] [--nfeatures 2000] [--runs 3]
     [--lift CONFIG --checkpoint F]
pairs.json: [{"a": path, "b": path, "H": [9 numbers, row-major, a -> b] or "H_file": path,
"name": "..."}, ...] (a "photo" key, as `ocellus data homography-pairs` writes, names the pair);
relative paths are taken from the pairs file's folder.
(Debian's python3-opencv; --graf needs opencv-doc's graf1.png, graf3.png and H1to3p.xml.)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import cv2

GRAF_DIR = "/usr/share/doc/opencv-doc/examples/data"
TABLE_COLUMNS = [  # (heading, key of the averaged row, format)
    ("pairs", "pairs", "{:d}"),
    ("keypoints", "keypoints", "{:.0f}"),
    ("matches", "matches", "{:.0f}"),
    ("MMA@1", "mma@1", "{:.3f}"),
    ("MMA@3", "mma@3", "{:.3f}"),
    ("MMA@5", "mma@5", "{:.3f}"),
    ("MMA@10", "mma@10", "{:.3f}"),
    ("correct@3", "correct_3px", "{:.0f}"),
    ("repeatability@3", "repeatability_3px", "{:.3f}"),
    ("corner error px", "corner_error_px", "{:.2f}"),
    ("RANSAC failures", "ransac_failures", "{:d}"),
    ("keypoints/s", "keypoints_per_s", "{:.0f}"),
]


def fail(message):
    print(f"lift_opencv: error: {message}", file=sys.stderr)
    sys.exit(1)


def make_detector(method, nfeatures):
    if method == "sift":
        return cv2.SIFT_create(nfeatures=nfeatures)
    if method == "orb":
        return cv2.ORB_create(nfeatures=nfeatures)
    if method == "akaze":
        return cv2.AKAZE_create()  # no feature cap: AKAZE keeps what passes its threshold
    fail(f"--methods: unknown method \"{method}\" (expected sift, orb or akaze)")


def read_gray(path):
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if img is None:
        fail(f"{path}: cannot read the image")
    return img


def detect_timed(detector, img, runs):
    """The keypoints and descriptors of the last run, and the median detect+compute seconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        keypoints, descriptors = detector.detectAndCompute(img, None)
        times.append(time.perf_counter() - t0)
    return keypoints, descriptors, statistics.median(times)


def write_features(path, img, keypoints, descriptors, binary):
    """Our features file: OpenCV's KeyPoint (x, y, size, angle, response; pixel centres at integers,
    as ours) and the descriptors, float rows or bytes."""
    points = []
    for k in keypoints:
        angle = k.angle if k.angle == -1 else k.angle % 360.0
        points.append([float(k.pt[0]), float(k.pt[1]), float(k.size), float(angle), float(k.response)])
    rows = [] if descriptors is None else descriptors.tolist()
    if binary:
        rows = [[int(v) for v in r] for r in rows]
    else:
        rows = [[float(v) for v in r] for r in rows]
    data = {"width": int(img.shape[1]), "height": int(img.shape[0]), "keypoints": points,
            "binary_descriptors" if binary else "descriptors": rows}
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))


def load_pairs(path, out_dir):
    """The pairs of a pairs file, each with an H file (written to out_dir when given as numbers)."""
    try:
        with open(path) as f:
            entries = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{path}: {e}")
    if not isinstance(entries, list):
        fail(f"{path}: expected a JSON list of pairs")
    base = os.path.dirname(os.path.abspath(path))
    pairs = []
    for i, e in enumerate(entries):
        where = f"{path}: [{i}]"
        if not isinstance(e, dict) or "a" not in e or "b" not in e:
            fail(f"{where}: expected an object with \"a\" and \"b\"")
        unknown = set(e) - {"a", "b", "H", "H_file", "name", "photo"}
        if unknown:
            fail(f"{where}: unknown keys {sorted(unknown)}")
        if ("H" in e) == ("H_file" in e):
            fail(f"{where}: expected exactly one of \"H\" (9 numbers) and \"H_file\"")
        name = str(e.get("name", f"pair{i:04d}"))
        if "H" in e:
            h = e["H"]
            if not (isinstance(h, list) and len(h) == 9 and all(isinstance(v, (int, float)) for v in h)):
                fail(f"{where}.H: expected 9 numbers (row-major 3x3)")
            h_file = os.path.join(out_dir, f"{name}_H.txt")
            with open(h_file, "w") as f:
                f.write(" ".join(repr(float(v)) for v in h) + "\n")
        else:
            h_file = os.path.join(base, e["H_file"])
        pairs.append({"name": name, "a": os.path.join(base, e["a"]), "b": os.path.join(base, e["b"]), "H": h_file})
    return pairs


def graf_pair():
    paths = [os.path.join(GRAF_DIR, f) for f in ("graf1.png", "graf3.png", "H1to3p.xml")]
    for p in paths:
        if not os.path.exists(p):
            fail(f"--graf: {p} not found (apt-get install opencv-doc)")
    return {"name": "graf1-graf3", "a": paths[0], "b": paths[1], "H": paths[2]}


def run_pair(pair, method, args, out_dir):
    detector = make_detector(method, args.nfeatures)
    img_a, img_b = read_gray(pair["a"]), read_gray(pair["b"])
    kp_a, des_a, t_a = detect_timed(detector, img_a, args.runs)
    kp_b, des_b, t_b = detect_timed(detector, img_b, args.runs)
    binary = method != "sift"
    stem = os.path.join(out_dir, f"{pair['name']}_{method}")
    write_features(stem + "_a.json", img_a, kp_a, des_a, binary)
    write_features(stem + "_b.json", img_b, kp_b, des_b, binary)
    cmd = [args.ocellus, "match", "--features", stem + "_a.json", stem + "_b.json", pair["a"], pair["b"]]
    speed = (len(kp_a) + len(kp_b)) / (t_a + t_b) if t_a + t_b > 0 else 0.0
    return match_row(cmd, stem, pair, method, args, speed)


def match_row(cmd, stem, pair, method, args, keypoints_per_s=None):
    """Runs `ocellus match` (cmd, without the scoring options) against the pair's homography and
    returns the method's row for the pair; keypoints/s from the report unless given."""
    cmd = cmd + ["--homography", pair["H"], "--json", stem + "_match.json"]
    if args.pictures:
        cmd += ["--out", stem + "_matches.png"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    with open(stem + "_match.json") as f:
        m = json.load(f)
    mma = dict(zip(m["thresholds_px"], m["mma"]))
    return {
        "pair": pair["name"], "method": method,
        "keypoints": (m["a"]["keypoints"] + m["b"]["keypoints"]) / 2, "matches": m["matches"],
        "mma@1": mma[1], "mma@3": mma[3], "mma@5": mma[5], "mma@10": mma[10],
        "correct_3px": m["correct_3px"], "repeatability_3px": m["repeatability_3px"],
        "corner_error_px": m["corner_error_px"], "ransac_inliers": m["ransac"]["inliers"],
        "keypoints_per_s": m.get("keypoints_per_s", 0.0) if keypoints_per_s is None else keypoints_per_s,
    }


LIFT_VARIANTS = {  # row name -> the extra `ocellus match` arguments (SIFT's files as keypoints)
    "sift kp+ori, lift desc": ["--keypoints", "{sift_a}", "{sift_b}", "--given-orientation"],
    "sift kp, lift ori+desc": ["--keypoints", "{sift_a}", "{sift_b}"],
    "lift": [],
}


def run_lift(pair, variant, args, out_dir):
    """A LIFT model's row for one pair, through `ocellus match CONFIG --checkpoint` (SIFT's features
    files of this pair, written by run_pair, give the keypoints of the ablations)."""
    sift = os.path.join(out_dir, f"{pair['name']}_sift")
    stem = os.path.join(out_dir, f"{pair['name']}_{variant.replace(' ', '_').replace(',', '').replace('+', '_')}")
    extra = [a.format(sift_a=sift + "_a.json", sift_b=sift + "_b.json") for a in LIFT_VARIANTS[variant]]
    cmd = [args.ocellus, "match", args.lift, "--checkpoint", args.checkpoint] + extra[:3] + \
          [pair["a"], pair["b"]] + extra[3:]
    return match_row(cmd, stem, pair, variant, args)


def average(rows):
    """Means over the pairs; the corner error over the pairs where RANSAC found a homography."""
    out = {"pairs": len(rows)}
    for key in ("keypoints", "matches", "mma@1", "mma@3", "mma@5", "mma@10", "correct_3px", "repeatability_3px",
                "keypoints_per_s"):
        out[key] = statistics.mean(r[key] for r in rows)
    errors = [r["corner_error_px"] for r in rows if r["corner_error_px"] is not None]
    out["corner_error_px"] = statistics.mean(errors) if errors else None
    out["ransac_failures"] = len(rows) - len(errors)
    return out


def markdown(title, table):
    lines = [f"### {title}", "", "| method | " + " | ".join(c[0] for c in TABLE_COLUMNS) + " |",
             "|---|" + "---:|" * len(TABLE_COLUMNS)]
    for method, row in table.items():
        cells = ["-" if row[key] is None else fmt.format(row[key]) for _, key, fmt in TABLE_COLUMNS]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", help="a pairs file (see above)")
    ap.add_argument("--graf", action="store_true", help="graf1 -> graf3 with H1to3p.xml (opencv-doc)")
    ap.add_argument("--ocellus", default="build/ocellus", help="the ocellus binary (default build/ocellus)")
    ap.add_argument("--out", default="runs/lift_opencv", help="where features, reports and tables go")
    ap.add_argument("--methods", default="sift,orb,akaze")
    ap.add_argument("--nfeatures", type=int, default=2000, help="SIFT's and ORB's feature cap")
    ap.add_argument("--runs", type=int, default=3, help="detect+compute runs per image (median)")
    ap.add_argument("--pictures", action="store_true", help="also draw each pair's matches (ocellus match --out)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N pairs of --pairs")
    ap.add_argument("--lift", help="a LIFT config: its model's rows too (needs --checkpoint)")
    ap.add_argument("--checkpoint", help="the LIFT model's checkpoint")
    args = ap.parse_args()
    if bool(args.lift) != bool(args.checkpoint):
        fail("--lift CONFIG and --checkpoint F go together")
    if not args.pairs and not args.graf:
        fail("nothing to do: give --pairs FILE and/or --graf")
    if args.runs < 1 or args.nfeatures < 1:
        fail("--runs and --nfeatures must be >= 1")
    if not os.access(args.ocellus, os.X_OK):
        fail(f"--ocellus {args.ocellus}: not an executable (build it first, or pass its path)")
    methods = [m for m in args.methods.split(",") if m]
    if args.lift and "sift" not in methods:
        methods.insert(0, "sift")  # its keypoints feed the LIFT ablations
    for m in methods:
        make_detector(m, args.nfeatures)  # an unknown name fails before any work
    os.makedirs(args.out, exist_ok=True)
    groups = {}
    if args.graf:
        groups["graf1 -> graf3"] = [graf_pair()]
    if args.pairs:
        pairs = load_pairs(args.pairs, args.out)
        groups[f"pairs of {args.pairs}"] = pairs[:args.limit] if args.limit > 0 else pairs
    results = {"opencv": cv2.__version__, "threads": cv2.getNumThreads(), "nfeatures": args.nfeatures,
               "runs": args.runs, "groups": {}}
    text = f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads; SIFT/ORB nfeatures={args.nfeatures}; " \
           f"keypoints/s: median of {args.runs} runs\n\n"
    for title, pairs in groups.items():
        rows = [run_pair(p, m, args, args.out) for p in pairs for m in methods]
        names = list(methods)
        if args.lift:
            rows += [run_lift(p, v, args, args.out) for p in pairs for v in LIFT_VARIANTS]
            names += list(LIFT_VARIANTS)
        table = {m: average([r for r in rows if r["method"] == m]) for m in names}
        results["groups"][title] = {"per_pair": rows, "mean": table}
        text += markdown(title, table) + "\n"
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    print(text, end="")
    print(f"written: {os.path.join(args.out, 'results.json')}, {os.path.join(args.out, 'results.md')}")


if __name__ == "__main__":
    main()
