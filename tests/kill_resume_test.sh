#!/usr/bin/env bash
# Crash-safe training: `ocellus train` is killed with SIGKILL again and again (at random steps and
# moments, and twice inside a file write through OCELLUS_CRASH_IN_WRITE, the test-only hook of
# train/io/atomic_file.cpp that kills the Nth write_file_atomic call of a process halfway through its
# temporary file) and resumed with --resume each time. After every kill each *.safetensors must load,
# metrics.jsonl must hold complete lines only, and at most the one temporary of the killed write may
# be left (the resume removes it). The finished run must equal an uninterrupted one with the same
# seed: every deterministic metric exactly, and the tensors of last.safetensors and best.safetensors
# bytewise.
# Usage: tests/kill_resume_test.sh BUILD_DIR SOURCE_DIR   (KILL_SEED=N replays a failed run's kills)
set -u
OCELLUS="$1/ocellus"
SRC="$2"
CFG="$SRC/tests/data/tiny_cnn.json"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL (KILL_SEED=$SEED): $*"; exit 1; }

SEED=${KILL_SEED:-$RANDOM}
RANDOM=$SEED
echo "kill_resume_test: KILL_SEED=$SEED (set it to replay these kills)"

# 5 epochs of 40 steps (1280 images, batch 32), a checkpoint every 4 steps, one log line per step, a
# step schedule (so the lr of each metrics line depends on the step). With seed 13 epochs 1, 2 and 5
# score best, so epochs 3 and 4 must leave best.safetensors alone.
STEPS_PER_EPOCH=40
EVERY=4
TOTAL_STEPS=$((5 * STEPS_PER_EPOCH))
SET=(--set train.epochs=5 --set data.train_limit=1280 --set data.test_limit=300 --set train.checkpoint_every=$EVERY
     --set train.log_every=1 --set data.workers=2 --set train.seed=13
     --set train.schedule.kind=step --set train.schedule.step_size=50 --set train.schedule.gamma=0.7)
"$OCELLUS" train "$CFG" "${SET[@]}" --out "$WORK/ref" > "$WORK/ref.log" 2>&1 || fail "reference run: $(cat "$WORK/ref.log")"

RUN="$WORK/run"
# The files a kill may leave: complete checkpoints and metrics lines, at most one temporary.
check_after_kill() {  # what
  local f
  for f in "$RUN"/*.safetensors; do
    [ -e "$f" ] || continue
    python3 "$SRC/tests/read_safetensors.py" "$f" > /dev/null || fail "$1: $(basename "$f") does not load"
  done
  if [ -e "$RUN/metrics.jsonl" ]; then
    python3 - "$RUN/metrics.jsonl" <<'PY' || fail "$1: metrics.jsonl holds a partial line: $(cat "$RUN/metrics.jsonl")"
import json, sys
text = open(sys.argv[1]).read()
assert text == "" or text.endswith("\n")
for line in text.splitlines():
    json.loads(line)
PY
  fi
  local tmps
  tmps=$(ls -A "$RUN" | grep -c '\.tmp\.')
  [ "$tmps" -le 1 ] || fail "$1: $tmps temporaries left: $(ls -A "$RUN")"
}

# The arguments of the next start: --resume once a checkpoint exists.
resume_args() { [ -e "$RUN/last.safetensors" ] && echo "--resume"; }

# Steps done by the checkpoint a resume starts from (0 without one), from the run's "resuming" line.
steps_done() {  # log
  local line
  line=$(grep -o 'resuming .* at epoch [0-9]*, step [0-9]*' "$1")
  [ -n "$line" ] || { echo 0; return; }
  local e s
  e=$(echo "$line" | sed 's/.*at epoch \([0-9]*\), step \([0-9]*\)/\1/')
  s=$(echo "$line" | sed 's/.*at epoch \([0-9]*\), step \([0-9]*\)/\2/')
  echo $(((e - 1) * STEPS_PER_EPOCH + s))
}

kills=0
# Two kills inside a file write: the Nth write of a process is the metrics file rewritten at start
# (N = 1), then a checkpoint every 4 steps, then at the end of the epoch the metrics file,
# best.safetensors and last.safetensors. Round 1 (a fresh start) dies in one of the three writes at
# the end of epoch 1, round 2 at start or in one of its first checkpoints. Then five kills at random
# steps plus a random delay of up to 40 ms (which lands in steps, checkpoint writes, evaluations or
# the epoch's writes).
for round in 1 2 3 4 5 6 7; do
  args=$(resume_args)
  log="$WORK/round$round.log"
  if [ "$round" -le 2 ]; then
    if [ "$round" -eq 1 ]; then n=$((1 + STEPS_PER_EPOCH / EVERY + 1 + RANDOM % 3)); else n=$((1 + RANDOM % 4)); fi
    echo "round $round: $args, killed inside write number $n"
    OCELLUS_CRASH_IN_WRITE=$n "$OCELLUS" train "$CFG" "${SET[@]}" --out "$RUN" $args > "$log" 2>&1
    rc=$?
    [ "$rc" -eq 137 ] || fail "round $round: OCELLUS_CRASH_IN_WRITE=$n: expected death by SIGKILL (137), got $rc: $(cat "$log")"
    ls -A "$RUN" | grep -q '\.tmp\.' || fail "round $round: the killed write left no temporary: $(ls -A "$RUN")"
  else
    "$OCELLUS" train "$CFG" "${SET[@]}" --out "$RUN" $args > "$log" 2>&1 &
    pid=$!
    for _ in $(seq 300); do grep -q "resuming\|step 1/" "$log" 2>/dev/null && break; sleep 0.02; done
    done_steps=$(steps_done "$log")
    # A resume starts from a checkpoint of train.checkpoint_every (or an epoch's end), never later.
    [ $((done_steps % EVERY)) -eq 0 ] || fail "round $round: resumed at step $done_steps, not a checkpoint's"
    left=$((TOTAL_STEPS - done_steps))
    [ "$left" -ge 21 ] || fail "round $round: only $left steps left to kill in"
    span=$((left - 20 < 12 ? left - 20 : 12))
    want=$((1 + RANDOM % span))  # this process's steps before the kill, 20 at least left after them
    delay_ms=$((RANDOM % 41))
    echo "round $round: $args, killed after $want of the $left steps left + $delay_ms ms"
    for _ in $(seq 1000); do
      [ "$(grep -c 'epoch [0-9]* step [0-9]*/' "$log")" -ge "$want" ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.01
    done
    sleep "$(printf '0.%03d' "$delay_ms")"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    [ "$rc" -eq 137 ] || fail "round $round: expected death by SIGKILL (137), got $rc: $(cat "$log")"
  fi
  kills=$((kills + 1))
  check_after_kill "round $round"
done
[ "$kills" -ge 5 ] || fail "only $kills kills"

# Let it finish.
"$OCELLUS" train "$CFG" "${SET[@]}" --out "$RUN" $(resume_args) > "$WORK/final.log" 2>&1 || fail "final run: $(cat "$WORK/final.log")"
ls -A "$RUN" | grep -q '\.tmp\.' && fail "temporaries left at the end: $(ls -A "$RUN")"

# The same metrics (all but the timings) and the same tensors as the uninterrupted run.
python3 - "$WORK/ref" "$RUN" <<'PY' || fail "the resumed run differs from the uninterrupted one"
import json, struct, sys
ref, run = sys.argv[1], sys.argv[2]

def metrics(d):
    rows = [json.loads(l) for l in open(d + "/metrics.jsonl").read().splitlines()]
    for r in rows:
        r.pop("seconds"), r.pop("images_per_s")
    return rows

def tensors(path):  # name -> (dtype, shape, data bytes); the metadata is left out
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header, data = json.loads(blob[8:8 + n]), blob[8 + n:]
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items() if k != "__metadata__"}

a, b = metrics(ref), metrics(run)
if [r["epoch"] for r in b] != [1, 2, 3, 4, 5] or a != b:
    sys.exit("metrics differ:\nreference %s\nresumed   %s" % (a, b))
for name in ("last.safetensors", "best.safetensors"):
    ta, tb = tensors(ref + "/" + name), tensors(run + "/" + name)
    if ta.keys() != tb.keys():
        sys.exit("%s: tensor names differ" % name)
    for k in ta:
        if ta[k] != tb[k]:
            sys.exit("%s: tensor %s differs" % (name, k))
print("metrics of %d epochs and %d tensors equal" % (len(a), len(tensors(run + "/last.safetensors"))))
PY
echo "kill_resume_test: OK ($kills kills)"
