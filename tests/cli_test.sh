#!/usr/bin/env bash
# End-to-end checks of the `ocellus` command: exit codes and messages for bad input, training with
# Ctrl-C (SIGINT saves a checkpoint and exits 130), --resume, eval, infer and infer --out.
# Usage: tests/cli_test.sh BUILD_DIR SOURCE_DIR
set -u
OCELLUS="$1/ocellus"
SRC="$2"
CFG="$SRC/tests/data/tiny_cnn.json"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

expect_error() {  # expected-substring, command...
  local want=$1; shift
  out=$("$@" 2>&1); rc=$?
  [ "$rc" -ne 0 ] || fail "expected a non-zero exit from: $*"
  echo "$out" | grep -qF -- "$want" || fail "expected \"$want\" in the output of: $*; got: $out"
}

expect_error "unknown command" "$OCELLUS" trian
# `ocellus info` lists every registry with its names and keys.
info=$("$OCELLUS" info) || fail "info: exit $?"
for want in "model.layers[].type (layer types):" "data.dataset (data sets):" "task.type (task types):" \
            "task.head (pose heads):" "train.optimizer.type (optimizers):" "train.schedule.kind (schedules):" \
            "train.loss.type (losses):"; do
  echo "$info" | grep -qF -- "$want" || fail "info: no \"$want\" in: $info"
done
echo "$info" | grep -qE "^ +adamw +lr, beta1, beta2, eps, weight_decay$" || fail "info: adamw's keys missing: $info"
echo "$info" | grep -qE "^ +paf +stride, sigma, limb_width" || fail "info: paf's keys missing: $info"
echo "$info" | grep -qF "CPU memory cache:" || fail "info: no CPU memory cache line: $info"
# bench train: the step and loop figures, the allocator's reuse, the profile's rows, clear errors.
"$OCELLUS" bench train "$CFG" --steps 2 --warmup 1 --profile --json "$WORK/bt.json" > "$WORK/bt.log" 2>&1 \
  || fail "bench train: $(cat "$WORK/bt.log")"
for want in '"step_images_per_s"' '"loop_images_per_s"' '"fastest_step_ms"' '"host_allocator"' '"kernels"'; do
  grep -qF -- "$want" "$WORK/bt.json" || fail "bench train --json: no $want in $(cat "$WORK/bt.json")"
done
for want in "bare step" "epoch loop" "conv2d_forward" "(outside kernels)"; do
  grep -qF -- "$want" "$WORK/bt.log" || fail "bench train: no \"$want\" in $(cat "$WORK/bt.log")"
done
expect_error "cannot open" "$OCELLUS" bench train "$WORK/missing.json"
expect_error "--steps must be positive" "$OCELLUS" bench train "$CFG" --steps 0
expect_error "usage: ocellus bench train CONFIG" "$OCELLUS" bench train
printf '{"model": {"input": [1, 28, 28], "layers": [{"type": "flatten"}]}, "train": {"optimizer": {"type": "adma"}}}' > "$WORK/opt.json"
expect_error "opt.json: train.optimizer.type: unknown optimizer \"adma\" (did you mean \"adam\"?)" "$OCELLUS" train "$WORK/opt.json"
expect_error "cannot open" "$OCELLUS" train "$WORK/missing.json"
printf '{"model": {"input": [1, 28, 28], "layers": [{"type": "conv2d", "out_channels": 4, "kernal": 3}]}}' > "$WORK/typo.json"
expect_error "model.layers[0].kernal: unknown key (did you mean \"kernel\"?)" "$OCELLUS" train "$WORK/typo.json"
printf '{"model": ' > "$WORK/broken.json"
expect_error "broken.json: invalid JSON" "$OCELLUS" train "$WORK/broken.json"
expect_error "unknown option --epochs" "$OCELLUS" train "$CFG" --epochs 3
expect_error "--set" "$OCELLUS" train "$CFG" --set novalue

# Out of memory (a batch far too large for the memory allowed): a clear error naming the sizes, a
# non-zero exit, not a crash (a signal's exit status is 128 + N). On CUDA too where a device exists (the
# emulation's devices are capped the same way by OCELLUS_EMU_DEVICE_MB).
expect_oom() {  # expected-substring, env assignment, train options...
  local want=$1 limit=$2; shift 2
  out=$(env "$limit" "$OCELLUS" train "$CFG" --out "$WORK/oom" --set data.batch_size=60000 --set data.train_limit=60000 "$@" 2>&1); rc=$?
  [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "out of memory ($limit $*): expected an error exit, got $rc: $out"
  echo "$out" | grep -qF -- "$want" || fail "out of memory ($limit $*): expected \"$want\", got: $out"
}
expect_oom "out of host memory allocating" OCELLUS_CPU_MEMORY_MB=64
if "$OCELLUS" info | grep -qE "CUDA devices: +[1-9]"; then
  expect_oom "CUDA out of memory allocating" OCELLUS_EMU_DEVICE_MB=64 --set train.device=cuda
fi

# A full disk while saving (a file-size limit, so the checkpoint's write fails): a clear error naming
# the file, exit non-zero, the previous checkpoint intact and no temporary file left.
"$OCELLUS" train "$CFG" --out "$WORK/full" --set train.epochs=1 > "$WORK/full.log" 2>&1 || fail "train for the full-disk test: $(cat "$WORK/full.log")"
before=$(cksum < "$WORK/full/last.safetensors")
out=$(ulimit -f 16; "$OCELLUS" train "$CFG" --out "$WORK/full" --resume --set train.epochs=2 2>&1); rc=$?
[ "$rc" -ne 0 ] || fail "full disk: expected a non-zero exit, got 0: $out"
echo "$out" | grep -qF "last.safetensors" || fail "full disk: the error does not name the checkpoint: $out"
echo "$out" | grep -qF "File too large" || fail "full disk: the error does not say why: $out"
[ "$(cksum < "$WORK/full/last.safetensors")" = "$before" ] || fail "full disk: last.safetensors changed"
ls -A "$WORK/full" | grep -q "tmp" && fail "full disk: a temporary file was left: $(ls -A "$WORK/full")"

# Ctrl-C during training: a checkpoint at the current step, exit code 130.
"$OCELLUS" train "$CFG" --out "$WORK/run" --set train.epochs=20 > "$WORK/train.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "step 10/" "$WORK/train.log" 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: expected exit 130, got $rc; log: $(cat "$WORK/train.log")"
grep -q "interrupted: saved" "$WORK/train.log" || fail "SIGINT: no 'interrupted' line"
[ -f "$WORK/run/last.safetensors" ] || fail "SIGINT: no last.safetensors"

# --resume continues (here: finishes 2 epochs) and writes metrics and the best checkpoint.
"$OCELLUS" train "$CFG" --out "$WORK/run" --resume > "$WORK/resume.log" 2>&1 || fail "resume: $(cat "$WORK/resume.log")"
grep -q "resuming" "$WORK/resume.log" || fail "resume: no 'resuming' line"
[ "$(wc -l < "$WORK/run/metrics.jsonl")" -ge 1 ] || fail "resume: metrics.jsonl is empty"
[ -f "$WORK/run/best.safetensors" ] || fail "resume: no best.safetensors"

# eval and infer on the result; a corrupt checkpoint is an error naming it.
"$OCELLUS" eval "$CFG" --checkpoint "$WORK/run/best.safetensors" --json | grep -q '"accuracy"' || fail "eval --json"
python3 - "$WORK/img.pgm" <<'PY' || fail "writing a test image"
import sys
open(sys.argv[1], "wb").write(b"P5\n28 28\n255\n" + bytes((i * 7) % 256 for i in range(784)))
PY
"$OCELLUS" infer "$CFG" --checkpoint "$WORK/run/best.safetensors" --image "$WORK/img.pgm" --json | grep -q '"top5"' || fail "infer --json"
head -c 100 "$WORK/run/best.safetensors" > "$WORK/bad.safetensors"
expect_error "bad.safetensors" "$OCELLUS" eval "$CFG" --checkpoint "$WORK/bad.safetensors"
printf 'not an image' > "$WORK/bad.png"
expect_error "bad.png" "$OCELLUS" infer "$CFG" --checkpoint "$WORK/run/best.safetensors" --image "$WORK/bad.png"
# infer --out on a tiny spatial transformer: the rectified image is written (20x20, as configured);
# a model without one is a clear error.
STN="$SRC/tests/data/tiny_stn.json"
"$OCELLUS" train "$STN" --out "$WORK/stn" > "$WORK/stn.log" 2>&1 || fail "train tiny_stn: $(cat "$WORK/stn.log")"
"$OCELLUS" infer "$STN" --checkpoint "$WORK/stn/last.safetensors" --image "$WORK/img.pgm" --out "$WORK/rect.png" --json \
  | grep -q '"rectified"' || fail "infer --out --json"
python3 - "$WORK/rect.png" <<'PY' || fail "infer --out: not a 20x20 PNG"
import struct, sys
d = open(sys.argv[1], "rb").read()
sys.exit(0 if d[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", d[16:24]) == (20, 20) else 1)
PY
expect_error "has no spatial_transformer layer" "$OCELLUS" infer "$CFG" --checkpoint "$WORK/run/best.safetensors" \
  --image "$WORK/img.pgm" --out "$WORK/none.png"
# demo --checkpoint: no training, the evaluation and the picture of that model.
"$OCELLUS" demo --config "$STN" --checkpoint "$WORK/stn/last.safetensors" --out "$WORK/demo" --min-accuracy 0 \
  > "$WORK/demo.log" 2>&1 || fail "demo --checkpoint: $(cat "$WORK/demo.log")"
grep -q "evaluation took" "$WORK/demo.log" && [ -s "$WORK/demo/stn.png" ] || fail "demo --checkpoint: $(cat "$WORK/demo.log")"
# data pose-synth: a COCO-format set; the same seed writes the same bytes; bad arguments are errors.
"$OCELLUS" data pose-synth --out "$WORK/synth_a" --count 3 --size 64 --people 1..2 --seed 5 > /dev/null 2>&1 \
  || fail "data pose-synth"
"$OCELLUS" data pose-synth --out "$WORK/synth_b" --count 3 --size 64 --people 1..2 --seed 5 > /dev/null 2>&1 \
  || fail "data pose-synth (second run)"
[ -f "$WORK/synth_a/annotations.json" ] && [ -f "$WORK/synth_a/images/000002.png" ] || fail "pose-synth: files missing"
diff -r "$WORK/synth_a" "$WORK/synth_b" > /dev/null || fail "pose-synth: the same seed wrote different files"
expect_error "people must satisfy" "$OCELLUS" data pose-synth --out "$WORK/synth_c" --count 3 --people 3..1
expect_error "unknown" "$OCELLUS" data pose-nope --out "$WORK/synth_c"
# data det-synth: COCO detection with masks; the same seed writes the same bytes, the test split others.
DET=(data det-synth --count 3 --size 64 --objects 1..3 --seed 5)
"$OCELLUS" "${DET[@]}" --out "$WORK/det_a" > /dev/null 2>&1 || fail "data det-synth"
"$OCELLUS" "${DET[@]}" --out "$WORK/det_b" > /dev/null 2>&1 || fail "data det-synth (second run)"
"$OCELLUS" "${DET[@]}" --out "$WORK/det_t" --split test > /dev/null 2>&1 || fail "data det-synth --split test"
[ -f "$WORK/det_a/annotations.json" ] && [ -f "$WORK/det_a/images/000002.png" ] || fail "det-synth: files missing"
diff -r "$WORK/det_a" "$WORK/det_b" > /dev/null || fail "det-synth: the same seed wrote different files"
cmp -s "$WORK/det_a/images/000000.png" "$WORK/det_t/images/000000.png" && fail "det-synth: train and test wrote the same image"
expect_error "objects must satisfy" "$OCELLUS" data det-synth --out "$WORK/det_c" --count 3 --objects 3..1
expect_error "split must be \"train\" or \"test\"" "$OCELLUS" data det-synth --out "$WORK/det_c" --count 3 --split val
expect_error "unknown option --people" "$OCELLUS" data det-synth --out "$WORK/det_c" --count 3 --people 1..2
expect_error "(did you mean \"det-synth\"?)" "$OCELLUS" data det-synht --out "$WORK/det_c" --count 3
# data anchors on that set: k anchor lines and a mean IoU; --json with k positive pairs; bad k named.
anc=$("$OCELLUS" data anchors "$WORK/det_a" --k 2 --stride 8) || fail "data anchors: exit $?"
[ "$(echo "$anc" | grep -c '^anchor [0-9]: .* cells of 8 px$')" -eq 2 ] && echo "$anc" | grep -qE '^mean IoU [01]\.' ||
  fail "data anchors: not 2 anchor lines and a mean IoU: $anc"
"$OCELLUS" data anchors "$WORK/det_a/annotations.json" --k 2 --json | python3 -c 'import json, sys; d = json.load(sys.stdin)
assert len(d["anchors"]) == 2 and all(len(a) == 2 and min(a) > 0 for a in d["anchors"]) and 0 < d["mean_iou"] <= 1, d' ||
  fail "data anchors --json: not 2 positive anchors and a mean IoU"
expect_error "fewer than --k 1000" "$OCELLUS" data anchors "$WORK/det_a" --k 1000
expect_error "--k is required" "$OCELLUS" data anchors "$WORK/det_a"
expect_error "no such file or directory" "$OCELLUS" data anchors "$WORK/nothing_here" --k 2
# A pose model end to end: train on the synthetic set, eval prints PCK and OKS AP, infer draws the
# skeleton and prints the keypoints as JSON.
POSE="$SRC/tests/data/tiny_pose.json"
PSET=(--set "data.train_dir=$WORK/synth_a" --set "data.test_dir=$WORK/synth_b")
"$OCELLUS" train "$POSE" "${PSET[@]}" --out "$WORK/pose" > "$WORK/pose.log" 2>&1 || fail "train tiny_pose: $(cat "$WORK/pose.log")"
"$OCELLUS" eval "$POSE" "${PSET[@]}" --checkpoint "$WORK/pose/last.safetensors" --json --results "$WORK/res.json" \
  | grep -q '"oks_ap"' || fail "eval pose --json: no oks_ap"
python3 - "$WORK/res.json" <<'PY' || fail "eval --results: not a COCO keypoint results file"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r and all(len(d["keypoints"]) == 51 and d["category_id"] == 1 and "score" in d for d in r) else 1)
PY
expect_error "only pose and detection tasks" "$OCELLUS" eval "$CFG" --checkpoint "$WORK/run/best.safetensors" --results "$WORK/x.json"
"$OCELLUS" infer "$POSE" "${PSET[@]}" --checkpoint "$WORK/pose/last.safetensors" --image "$WORK/synth_a/images/000000.png" \
  --out "$WORK/pose.png" --json | grep -q '"left_ankle"' || fail "infer pose --json: no keypoint names"
[ -s "$WORK/pose.png" ] || fail "infer pose --out: no picture"
# eval --maps (docs/pose_maps.md): the maps picture of the first images.
"$OCELLUS" eval "$POSE" "${PSET[@]}" --checkpoint "$WORK/pose/last.safetensors" --maps "$WORK/maps.png" --maps-count 2 \
  > "$WORK/maps.log" 2>&1 && [ -s "$WORK/maps.png" ] || fail "eval --maps: $(cat "$WORK/maps.log")"
# A detector end to end: train the tiny YOLO on the det-synth set, eval writes COCO box results,
# infer draws boxes on a photo of another size and lists them as JSON.
TDET="$SRC/tests/data/tiny_det.json"
DSET=(--set "data.train_dir=$WORK/det_a" --set "data.test_dir=$WORK/det_t")
"$OCELLUS" train "$TDET" "${DSET[@]}" --out "$WORK/det" > "$WORK/det.log" 2>&1 || fail "train tiny_det: $(cat "$WORK/det.log")"
grep -q '"test_ap".*"train_loss_box"' "$WORK/det/metrics.jsonl" ||
  fail "train tiny_det: no test_ap and train_loss_box in metrics.jsonl"
"$OCELLUS" eval "$TDET" "${DSET[@]}" --checkpoint "$WORK/det/last.safetensors" --json --results "$WORK/det_res.json" \
  | grep -q '"ap50"' || fail "eval det --json: no ap50"
python3 - "$WORK/det_res.json" <<'PY' || fail "eval det --results: not a COCO box results file"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r and all(len(d["bbox"]) == 4 and 1 <= d["category_id"] <= 10 and "score" in d for d in r) else 1)
PY
PHOTO=$(ls /usr/share/doc/opencv-doc/examples/data/graf1.png 2>/dev/null || echo "$WORK/det_a/images/000000.png")
"$OCELLUS" infer "$TDET" "${DSET[@]}" --checkpoint "$WORK/det/last.safetensors" --image "$PHOTO" --out "$WORK/det.png" \
  --json | python3 -c 'import json, sys; d = json.load(sys.stdin)
assert d["detections"] and all(len(x["box"]) == 4 and x["name"] for x in d["detections"]), d' ||
  fail "infer det --json: no named boxes"
[ -s "$WORK/det.png" ] || fail "infer det --out: no picture"
# The two-stage detector the same way: its attached box head travels in the checkpoint.
TFR="$SRC/tests/data/tiny_faster_rcnn.json"
"$OCELLUS" train "$TFR" "${DSET[@]}" --out "$WORK/frcnn" > "$WORK/frcnn.log" 2>&1 || fail "train tiny_faster_rcnn: $(cat "$WORK/frcnn.log")"
grep -q '"test_ap".*"train_loss_rpn_object"' "$WORK/frcnn/metrics.jsonl" ||
  fail "train tiny_faster_rcnn: no test_ap and train_loss_rpn_object in metrics.jsonl"
"$OCELLUS" eval "$TFR" "${DSET[@]}" --checkpoint "$WORK/frcnn/last.safetensors" --json --results "$WORK/frcnn_res.json" \
  | grep -q '"loss_class"' || fail "eval faster_rcnn --json: no loss_class"
"$OCELLUS" infer "$TFR" "${DSET[@]}" --checkpoint "$WORK/frcnn/last.safetensors" --image "$PHOTO" --json |
  python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["detections"], d' ||
  fail "infer faster_rcnn --json: no boxes"
# Mask R-CNN: mask AP in the metrics, segmentations in the results, masks in infer's JSON and picture.
TMR="$SRC/tests/data/tiny_mask_rcnn.json"
"$OCELLUS" train "$TMR" "${DSET[@]}" --out "$WORK/mrcnn" > "$WORK/mrcnn.log" 2>&1 || fail "train tiny_mask_rcnn: $(cat "$WORK/mrcnn.log")"
grep -q '"test_mask_ap".*"train_loss_mask"' "$WORK/mrcnn/metrics.jsonl" ||
  fail "train tiny_mask_rcnn: no test_mask_ap and train_loss_mask in metrics.jsonl"
"$OCELLUS" eval "$TMR" "${DSET[@]}" --checkpoint "$WORK/mrcnn/last.safetensors" --results "$WORK/mrcnn_res.json" \
  > /dev/null || fail "eval mask_rcnn --results"
python3 - "$WORK/mrcnn_res.json" <<'PY' || fail "eval mask_rcnn --results: no segmentations"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r and all(d["segmentation"]["size"] == [64, 64] and d["segmentation"]["counts"] for d in r) else 1)
PY
"$OCELLUS" infer "$TMR" "${DSET[@]}" --checkpoint "$WORK/mrcnn/last.safetensors" --image "$PHOTO" --out "$WORK/mask.png" \
  --json | python3 -c 'import json, sys; d = json.load(sys.stdin)
assert d["detections"] and all(x["mask"]["size"] == [d["height"], d["width"]] for x in d["detections"]), d' ||
  fail "infer mask_rcnn --json: no masks at the image size"
[ -s "$WORK/mask.png" ] || fail "infer mask_rcnn --out: no picture"
"$OCELLUS" infer "$TMR" "${DSET[@]}" --checkpoint "$WORK/mrcnn/last.safetensors" --image "$PHOTO" --json \
  --set task.resize=letterbox | python3 -c 'import json, sys; d = json.load(sys.stdin); w, h = d["width"], d["height"]
assert d["detections"] and all(0 <= x["box"][0] <= x["box"][2] <= w and 0 <= x["box"][1] <= x["box"][3] <= h
                               and x["mask"]["size"] == [h, w] for x in d["detections"]), d' ||
  fail "infer mask_rcnn letterboxed: boxes outside the image or masks of another size"
expect_error 'task.resize: expected "stretch" or "letterbox"' "$OCELLUS" infer "$TMR" "${DSET[@]}" \
  --checkpoint "$WORK/mrcnn/last.safetensors" --image "$PHOTO" --set task.resize=pad
# match --features: two small features files of a 64x48 image and its copy moved by (3, 2), scored
# against that translation; missing files, a bad homography file and a wrong image size are errors.
python3 - "$WORK" <<'PY' || fail "writing match test files"
import json, random, sys
w = sys.argv[1]
rng = random.Random(5)
img = bytes(rng.randrange(256) for _ in range(64 * 48))
moved = bytes(img[(y - 2) * 64 + x - 3] if y >= 2 and x >= 3 else 0 for y in range(48) for x in range(64))
for name, data in (("m1.pgm", img), ("m2.pgm", moved)):
    open(f"{w}/{name}", "wb").write(b"P5\n64 48\n255\n" + data)
pts = [[rng.uniform(5, 55), rng.uniform(5, 40)] for _ in range(12)]
desc = [[rng.uniform(0, 100) for _ in range(8)] for _ in range(12)]
a = {"width": 64, "height": 48, "keypoints": [[x, y, 4, -1, 1] for x, y in pts], "descriptors": desc}
# b: the first 10 moved with slightly perturbed descriptors, then 2 strangers
b = {"width": 64, "height": 48,
     "keypoints": [[x + 3, y + 2, 4, -1, 1] for x, y in pts[:10]] + [[1, 1, 4, -1, 1], [60, 45, 4, -1, 1]],
     "descriptors": [[v + rng.uniform(-0.1, 0.1) for v in d] for d in desc[:10]] +
                    [[rng.uniform(300, 400) for _ in range(8)] for _ in range(2)]}
json.dump(a, open(f"{w}/fa.json", "w"))
json.dump(b, open(f"{w}/fb.json", "w"))
open(f"{w}/H.txt", "w").write("1 0 3\n0 1 2\n0 0 1\n")
open(f"{w}/H_bad.txt", "w").write("1 0 3\n0 1 2\n0 0\n")
PY
"$OCELLUS" match --features "$WORK/fa.json" "$WORK/fb.json" "$WORK/m1.pgm" "$WORK/m2.pgm" --homography "$WORK/H.txt" \
  --json "$WORK/match.json" --out "$WORK/match.png" > "$WORK/match.log" 2>&1 || fail "match: $(cat "$WORK/match.log")"
grep -q "MMA @ 1..10 px: 1.000" "$WORK/match.log" || fail "match: no MMA line in: $(cat "$WORK/match.log")"
python3 - "$WORK/match.json" "$WORK/match.png" <<'PY' || fail "match --json/--out: $(cat "$WORK/match.json")"
import json, struct, sys
r = json.load(open(sys.argv[1]))
# the 10 moved keypoints match exactly; the strangers are far from everything
assert r["a"]["keypoints"] == 12 and r["matches"] >= 10 and r["correct_3px"] == 10, r
assert r["mma"][0] == 10 / r["matches"] and r["ransac"]["ok"] and r["ransac"]["inliers"] == 10, r
assert r["corner_error_px"] < 1e-6, r
d = open(sys.argv[2], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", d[16:24]) == (128, 48), "not a 128x48 PNG"
PY
expect_error "missing.json: cannot open" "$OCELLUS" match --features "$WORK/missing.json" "$WORK/fb.json" \
  "$WORK/m1.pgm" "$WORK/m2.pgm"
expect_error "H_bad.txt: expected the 9 numbers of a 3x3 matrix, got 8" "$OCELLUS" match --features "$WORK/fa.json" \
  "$WORK/fb.json" "$WORK/m1.pgm" "$WORK/m2.pgm" --homography "$WORK/H_bad.txt"
expect_error "img.pgm: the image is 28 x 28 but" "$OCELLUS" match --features "$WORK/fa.json" "$WORK/fb.json" \
  "$WORK/img.pgm" "$WORK/m2.pgm"
expect_error "usage: ocellus match" "$OCELLUS" match "$WORK/fa.json" "$WORK/fb.json" "$WORK/m1.pgm" "$WORK/m2.pgm"
"$OCELLUS" match --features "$WORK/fa.json" "$WORK/fb.json" "$WORK/m1.pgm" "$WORK/m2.pgm" --homography "$WORK/H.txt" \
  --out "$WORK/match1.png" --draw-max 1 > /dev/null 2>&1 && [ -s "$WORK/match1.png" ] || fail "match --draw-max 1: no picture"
expect_error "--draw-max: expected a number > 0" "$OCELLUS" match --features "$WORK/fa.json" "$WORK/fb.json" \
  "$WORK/m1.pgm" "$WORK/m2.pgm" --out "$WORK/match1.png" --draw-max 0
expect_error "--ransac-threshold: expected a number > 0" "$OCELLUS" match --features "$WORK/fa.json" \
  "$WORK/fb.json" "$WORK/m1.pgm" "$WORK/m2.pgm" --ransac-threshold -1
# LIFT: a tiny set from one photo, two chained stages, match with the model (own keypoints, given
# ones, the saved features), eval on a pair; errors of match's model path.
mkdir -p "$WORK/lift_photos" && cp "$PHOTO" "$WORK/lift_photos/"
"$OCELLUS" data homography-pairs --out "$WORK/lift_d" --photos "$WORK/lift_photos" --pairs-per-photo 2 \
  --points-per-pair 16 --seed 1 > "$WORK/lift_data.log" 2>&1 || fail "homography-pairs: $(cat "$WORK/lift_data.log")"
TLIFT="$SRC/tests/data/tiny_lift.json"
LSET=(--set "data.train_dir=$WORK/lift_d" --set "data.test_dir=$WORK/lift_d")
"$OCELLUS" train "$TLIFT" "${LSET[@]}" --out "$WORK/lift1" > "$WORK/lift1.log" 2>&1 ||
  fail "train tiny_lift descriptor: $(cat "$WORK/lift1.log")"
"$OCELLUS" train "$TLIFT" "${LSET[@]}" --set task.stage=orientation --set "train.init_from=$WORK/lift1/last.safetensors" \
  --out "$WORK/lift2" > "$WORK/lift2.log" 2>&1 || fail "train tiny_lift orientation: $(cat "$WORK/lift2.log")"
python3 - "$WORK/lift_d/pairs.json" "$WORK/lift_H.txt" <<'PY' || fail "reading the LIFT pair's homography"
import json, sys
h = json.load(open(sys.argv[1]))[0]["H"]
open(sys.argv[2], "w").write(" ".join(repr(v) for v in h) + "\n")
PY
LA="$WORK/lift_d/pairs/000000_a.png"
LB="$WORK/lift_d/pairs/000000_b.png"
"$OCELLUS" match "$TLIFT" "${LSET[@]}" --checkpoint "$WORK/lift2/last.safetensors" "$LA" "$LB" \
  --homography "$WORK/lift_H.txt" --json "$WORK/lift_match.json" --out "$WORK/lift_match.png" \
  --save-features "$WORK/lift_fa.json,$WORK/lift_fb.json" > "$WORK/lift_match.log" 2>&1 ||
  fail "match tiny_lift: $(cat "$WORK/lift_match.log")"
python3 - "$WORK/lift_match.json" <<'PY' || fail "match tiny_lift --json: $(cat "$WORK/lift_match.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert 0 < r["a"]["keypoints"] <= 200 and r["a"]["dim"] == 16 and r["keypoints_per_s"] > 0, r
assert len(r["mma"]) == 10 and all(0 <= v <= 1 for v in r["mma"]) and r["mma"] == sorted(r["mma"]), r
PY
[ -s "$WORK/lift_match.png" ] && [ -s "$WORK/lift_fa.json" ] || fail "match tiny_lift: no picture or saved features"
"$OCELLUS" match "$TLIFT" "${LSET[@]}" --checkpoint "$WORK/lift2/last.safetensors" --keypoints "$WORK/lift_fa.json" \
  "$WORK/lift_fb.json" "$LA" "$LB" --given-orientation --homography "$WORK/lift_H.txt" --json "$WORK/lift_given.json" \
  > "$WORK/lift_given.log" 2>&1 || fail "match tiny_lift --keypoints: $(cat "$WORK/lift_given.log")"
python3 - "$WORK/lift_match.json" "$WORK/lift_given.json" <<'PY' || fail "match --keypoints with the model's own keypoints and angles differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["a"]["keypoints"] == b["a"]["keypoints"] and a["matches"] == b["matches"] and a["mma"] == b["mma"], (a, b)
PY
"$OCELLUS" eval "$TLIFT" "${LSET[@]}" --checkpoint "$WORK/lift2/last.safetensors" --set task.stage=orientation \
  --set task.eval_pairs=1 --json | python3 -c 'import json, sys; d = json.load(sys.stdin)
assert d["pairs"] == 1 and 0 <= d["mma@3"] <= 1 and "orientation_error_deg" in d and 0 <= d["fpr95"] <= 1, d' ||
  fail "eval tiny_lift: no pair scores"
expect_error 'match needs a "lift" model' "$OCELLUS" match "$TDET" "${DSET[@]}" --checkpoint "$WORK/det/last.safetensors" "$LA" "$LB"
expect_error "--given-orientation needs --keypoints" "$OCELLUS" match "$TLIFT" "${LSET[@]}" \
  --checkpoint "$WORK/lift2/last.safetensors" "$LA" "$LB" --given-orientation
expect_error "train.init_from: $WORK/lift1/nothing.safetensors" "$OCELLUS" train "$TLIFT" "${LSET[@]}" \
  --set "train.init_from=$WORK/lift1/nothing.safetensors" --out "$WORK/lift3"
# plot (docs/plot.md) the classifier and pose runs above: a 720-px-wide PNG of 3 panels; a missing run
# and a metric no run holds are errors naming them.
"$OCELLUS" plot "$WORK/run" "$WORK/pose" --out "$WORK/curves.png" > "$WORK/plot.log" 2>&1 || fail "plot: $(cat "$WORK/plot.log")"
grep -q "3 panels, 2 runs" "$WORK/plot.log" || fail "plot: $(cat "$WORK/plot.log")"
python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24)
assert d[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", d[16:20])[0] == 720, d' "$WORK/curves.png" || fail "plot: not a PNG"
expect_error "$WORK/nothing: no such run directory" "$OCELLUS" plot "$WORK/nothing" --out "$WORK/c2.png"
expect_error 'metric "test_map" is in none of' "$OCELLUS" plot "$WORK/run" --metrics loss,test_map --out "$WORK/c2.png"
echo "cli: all checks passed"
