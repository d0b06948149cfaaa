#!/usr/bin/env bash
# Data-parallel training under mpirun (docs/distributed.md), started by the test itself. One part
# per ctest entry:
#   units     the [.mpi] tests of tests/test_dist_mpi.cpp in 3 processes (collectives, buckets, sync BN)
#   parity    2 processes x batch 32 train as 1 process x batch 64 (losses, accuracy, final weights
#             within float tolerance; with sync batch norm too), and a 2-process run repeats exactly
#   resume    Ctrl-C to one rank stops every rank at the same step, rank 0 saves, `mpirun ... --resume`
#             ends exactly where an uninterrupted 2-process run ends; --resume with another count is refused
#   failure   a rank killed with SIGKILL, or stopped (SIGSTOP: a hang), ends the job with an error
#             within a bounded time, never a silent hang
#   mismatch  ranks with different configs are refused at start, naming the key
#   nccl      on 2 GPUs, the CUDA path (NCCL) trains as 1 GPU with the same global batch, and as the CPU
# Exit 77 (skipped) when mpirun is missing, or when the build has no MPI (after checking that
# `ocellus info` says so and that a process started as one of several is refused, naming the fix).
# Usage: tests/dist_test.sh PART BUILD_DIR SOURCE_DIR HAS_MPI   (HAS_MPI: CMake's OCELLUS_HAS_MPI, 0 or 1)
set -u
PART="$1"
BUILD="$2"
SRC="$3"
HAS_MPI="${4:-1}"
OCELLUS="$BUILD/ocellus"
WORK=$(mktemp -d)
STOPPED=""  # a process this test stopped, killed on exit whatever happens
trap '[ -n "$STOPPED" ] && kill -KILL $STOPPED 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
fail() { echo "FAIL ($PART): $*"; exit 1; }

if [ "$HAS_MPI" != 1 ]; then
  "$OCELLUS" info | grep -q "distributed: *no (built without MPI" || fail "info does not say that this build has no MPI"
  out=$(OMPI_COMM_WORLD_SIZE=2 "$OCELLUS" train "$SRC/tests/data/tiny_cnn.json" --out "$WORK/nompi" 2>&1) \
    && fail "a build without MPI trained as one of 2 processes: $out"
  echo "$out" | grep -qF "this build of ocellus has no MPI" || fail "no clear refusal without MPI: $out"
  echo "skipped: this build has no MPI (it says so and refuses launched runs)"
  exit 77
fi
"$OCELLUS" info | grep -q "distributed: *yes (MPI" || fail "a build with MPI: ocellus info does not say so: $("$OCELLUS" info)"
command -v mpirun > /dev/null || { echo "skipped: no mpirun (tools/setup.sh installs openmpi-bin)"; exit 77; }
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OCELLUS_NUM_THREADS=1  # one thread per process: the processes share the machine's cores
MPIRUN=(mpirun --oversubscribe)

# A small CNN with batch norm and dropout; 640 training images (10 steps of 64 images an epoch).
CFG="$WORK/cnn.json"
cat > "$CFG" <<'EOF'
{
  "model": {"input": [1, 28, 28], "layers": [
    {"name": "conv1", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1, "bias": false},
    {"name": "bn1", "type": "batchnorm2d"}, {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
    {"type": "flatten"}, {"name": "drop", "type": "dropout", "p": 0.2},
    {"name": "fc", "type": "linear", "out_features": 10}]},
  "data": {"batch_size": 32, "workers": 1, "mean": 0.286, "std": 0.353, "train_limit": 640, "test_limit": 300,
           "augment": {"horizontal_flip": true}},
  "train": {"epochs": 2, "seed": 7, "log_every": 1, "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
            "schedule": {"kind": "cosine", "warmup_steps": 3}, "distributed": {"timeout_s": 60}}
}
EOF
NO_DROPOUT=(--set model.layers.5.p=0)

# compare.py MODE A B [TOL]: A and B are output directories. exact: metrics.jsonl (all but timings)
# equal and last.safetensors' tensors equal bytewise; close: the losses, accuracy and lr within TOL
# relative, each tensor within TOL of its largest magnitude.
cat > "$WORK/compare.py" <<'EOF'
import json, struct, sys
mode, a_dir, b_dir = sys.argv[1:4]
tol = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0

def metrics(d):
    rows = [json.loads(l) for l in open(d + "/metrics.jsonl").read().splitlines()]
    for r in rows:
        r.pop("seconds"), r.pop("images_per_s")
    return rows

def tensors(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    header, data = json.loads(blob[8:8 + n]), blob[8 + n:]
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items() if k != "__metadata__"}

def close(x, y):
    return abs(x - y) <= tol * max(abs(x), abs(y), 1e-3)

ma, mb = metrics(a_dir), metrics(b_dir)
ta, tb = tensors(a_dir + "/last.safetensors"), tensors(b_dir + "/last.safetensors")
if sorted(ta) != sorted(tb):
    sys.exit("tensor names differ: %s / %s" % (sorted(ta), sorted(tb)))
if mode == "exact":
    if ma != mb:
        sys.exit("metrics differ:\n%s\n%s" % (ma, mb))
    for k in ta:
        if ta[k] != tb[k]:
            sys.exit("tensor %s differs" % k)
else:
    if len(ma) != len(mb):
        sys.exit("metrics lines differ: %s / %s" % (ma, mb))
    for ra, rb in zip(ma, mb):
        for k in ("train_loss", "test_loss", "test_accuracy", "lr"):
            if not close(ra[k], rb[k]):
                sys.exit("epoch %d %s: %r against %r (tolerance %g)" % (ra["epoch"], k, ra[k], rb[k], tol))
    for k, (dt, shape, raw) in ta.items():
        if not k.startswith("optimizer.") and not k.endswith("num_batches_tracked"):
            fmt = {"F32": "f", "F64": "d"}.get(dt)
            if fmt is None:
                continue
            xa = struct.unpack("<%d%s" % (len(raw) // struct.calcsize(fmt), fmt), raw)
            xb = struct.unpack("<%d%s" % (len(raw) // struct.calcsize(fmt), fmt), tb[k][2])
            # Relative to the tensor's largest magnitude: rounding in a few early steps moves every
            # later value, small ones included, by about the same absolute amount.
            scale = max(max(abs(x) for x in xa), 1e-6)
            worst = max(abs(x - y) for x, y in zip(xa, xb)) / scale
            if worst > tol:
                sys.exit("tensor %s differs by %g of its largest magnitude (tolerance %g)" % (k, worst, tol))
EOF

# The PID of rank RANK started under PID (`timeout` -> mpirun -> the ranks; 0 when not found yet).
rank_pid() {
  local c p
  for c in $(pgrep -P "$1"); do
    for p in $(pgrep -P "$c"); do
      if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then echo "$p"; return; fi
    done
  done
  echo 0
}

# Waits (up to 60 s) until LOG holds PATTERN.
wait_for() {  # log pattern
  for _ in $(seq 3000); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.02; done
  fail "waited 60 s for \"$2\" in: $(cat "$1")"
}

train2() {  # out log args... : 2 processes
  local out=$1 log=$2; shift 2
  timeout 300 "${MPIRUN[@]}" -np 2 "$OCELLUS" train "$CFG" --out "$out" "$@" > "$log" 2>&1
}

case "$PART" in
units)
  timeout 300 "${MPIRUN[@]}" -np 3 "$BUILD/ocellus_tests" "[.mpi]" > "$WORK/units.log" 2>&1 \
    || fail "the [.mpi] tests: $(tail -60 "$WORK/units.log")"
  [ "$(grep -c "All tests passed" "$WORK/units.log")" -eq 3 ] || fail "not every process passed: $(cat "$WORK/units.log")"
  ;;

parity)
  # Without dropout (its draws differ with the split) and with sync batch norm, the global batch of
  # 2 x 32 is the one-process batch of 64: the same samples, the same statistics, the mean gradient.
  "$OCELLUS" train "$CFG" --out "$WORK/one" "${NO_DROPOUT[@]}" --set data.batch_size=64 > "$WORK/one.log" 2>&1 \
    || fail "one process: $(cat "$WORK/one.log")"
  train2 "$WORK/two" "$WORK/two.log" "${NO_DROPOUT[@]}" --set train.distributed.sync_batchnorm=true \
    || fail "two processes: $(cat "$WORK/two.log")"
  grep -q "data-parallel: 2 processes (MPI), global batch 32 x 2 = 64" "$WORK/two.log" || fail "no start-up line: $(cat "$WORK/two.log")"
  grep -q "gradient sums over 2 processes" "$WORK/two.log" || fail "no gradient-sum timing: $(cat "$WORK/two.log")"
  python3 "$WORK/compare.py" close "$WORK/one" "$WORK/two" 1e-3 || fail "2 x 32 with sync batch norm differs from 1 x 64"
  # The rank-order sums make a run repeat exactly, dropout and per-process batch norm included.
  train2 "$WORK/a" "$WORK/a.log" || fail "run a: $(cat "$WORK/a.log")"
  train2 "$WORK/b" "$WORK/b.log" || fail "run b: $(cat "$WORK/b.log")"
  python3 "$WORK/compare.py" exact "$WORK/a" "$WORK/b" || fail "two identical 2-process runs differ"
  # Only rank 0 writes and prints: one start-up line, one line per epoch.
  [ "$(grep -c "^epoch 1/2  train loss" "$WORK/a.log")" -eq 1 ] || fail "epoch lines not from rank 0 alone: $(cat "$WORK/a.log")"
  ;;

nccl)
  # The CUDA path: NCCL sums the CUDA gradients of 2 processes, one GPU each (NCCL refuses two ranks
  # on one device), against one process on one GPU with the same global batch, as parity does on
  # the CPU; and against the 2-process CPU run. Skipped without NCCL in the build or 2 GPUs.
  info=$("$OCELLUS" info 2>&1) || fail "ocellus info failed: $info"
  echo "$info" | grep -q "CUDA tensors by NCCL" || { echo "skipped: this build has no NCCL"; exit 77; }
  gpus=$(echo "$info" | sed -n 's/^ *CUDA devices: *\([0-9]*\).*/\1/p')
  [ "${gpus:-0}" -ge 2 ] || { echo "skipped: the NCCL parity needs 2 CUDA devices, here ${gpus:-0}"; exit 77; }
  CUDA=(--set train.device=cuda "${NO_DROPOUT[@]}")
  "$OCELLUS" train "$CFG" --out "$WORK/one" "${CUDA[@]}" --set data.batch_size=64 > "$WORK/one.log" 2>&1 \
    || fail "one process on CUDA: $(cat "$WORK/one.log")"
  train2 "$WORK/two" "$WORK/two.log" "${CUDA[@]}" --set train.distributed.sync_batchnorm=true \
    || fail "two processes on CUDA: $(cat "$WORK/two.log")"
  grep -q "gradient sums over 2 processes (NCCL)" "$WORK/two.log" \
    || fail "the gradients were not summed by NCCL: $(cat "$WORK/two.log")"
  python3 "$WORK/compare.py" close "$WORK/one" "$WORK/two" 1e-3 \
    || fail "2 x 32 on CUDA with sync batch norm differs from 1 x 64"
  train2 "$WORK/cpu" "$WORK/cpu.log" "${NO_DROPOUT[@]}" --set train.distributed.sync_batchnorm=true \
    || fail "two processes on the CPU: $(cat "$WORK/cpu.log")"
  python3 "$WORK/compare.py" close "$WORK/cpu" "$WORK/two" 1e-3 \
    || fail "2 processes on CUDA (NCCL) differ from 2 on the CPU (MPI)"
  ;;

resume)
  SET=(--set train.epochs=4 --set train.checkpoint_every=3)
  train2 "$WORK/ref" "$WORK/ref.log" "${SET[@]}" || fail "uninterrupted run: $(cat "$WORK/ref.log")"
  # Ctrl-C (SIGINT) to rank 1 alone: the ranks agree on it with the next step's loss, so every rank
  # stops after the same step and rank 0 saves there.
  timeout 120 "${MPIRUN[@]}" -np 2 "$OCELLUS" train "$CFG" --out "$WORK/run" "${SET[@]}" > "$WORK/int.log" 2>&1 &
  mpi=$!
  wait_for "$WORK/int.log" "epoch 2 step 3/"
  pid=$(rank_pid "$mpi" 1)
  [ "$pid" -ne 0 ] || fail "no rank 1 under mpirun $mpi"
  kill -INT "$pid"
  wait "$mpi"
  rc=$?
  [ "$rc" -ne 0 ] || fail "interrupted run: expected a non-zero exit (130 from the ranks), got 0: $(cat "$WORK/int.log")"
  grep -q "interrupted: saved" "$WORK/int.log" || fail "no 'interrupted: saved' line: $(cat "$WORK/int.log")"
  grep -q "epoch 4/4  train loss" "$WORK/int.log" && fail "the run was not interrupted: $(cat "$WORK/int.log")"
  # Another process count is refused, naming the right one.
  out=$("$OCELLUS" train "$CFG" --out "$WORK/run" "${SET[@]}" --resume 2>&1) && fail "resumed with 1 process: $out"
  echo "$out" | grep -qF "was written by a run of 2 process(es), this one has 1: resume with as many (mpirun -np 2)" \
    || fail "resume with 1 process: unexpected message: $out"
  train2 "$WORK/run" "$WORK/resume.log" "${SET[@]}" --resume || fail "resume: $(cat "$WORK/resume.log")"
  grep -q "resuming" "$WORK/resume.log" || fail "no 'resuming' line: $(cat "$WORK/resume.log")"
  python3 "$WORK/compare.py" exact "$WORK/ref" "$WORK/run" || fail "the resumed 2-process run differs from the uninterrupted one"
  ;;

failure)
  # SIGKILL: mpirun sees a rank die and ends the job.
  SET=(--set train.epochs=100 --set train.distributed.timeout_s=5)
  start=$(date +%s)
  timeout 60 "${MPIRUN[@]}" -np 2 "$OCELLUS" train "$CFG" --out "$WORK/kill" "${SET[@]}" > "$WORK/kill.log" 2>&1 &
  mpi=$!
  wait_for "$WORK/kill.log" "epoch 1 step 3/"
  pid=$(rank_pid "$mpi" 1)
  [ "$pid" -ne 0 ] || fail "no rank 1 under mpirun $mpi"
  kill -KILL "$pid"
  wait "$mpi"
  rc=$?
  took=$(($(date +%s) - start))
  [ "$rc" -ne 0 ] || fail "SIGKILL of rank 1: expected a non-zero exit, got 0"
  [ "$rc" -ne 124 ] || fail "SIGKILL of rank 1: the job hung until the test's timeout: $(cat "$WORK/kill.log")"
  grep -qi "signal 9\|killed" "$WORK/kill.log" || fail "SIGKILL of rank 1: no message saying so: $(cat "$WORK/kill.log")"
  echo "SIGKILL of rank 1: the job ended after ${took} s in all, exit $rc"
  # SIGSTOP: a rank that hangs. The others' next collective waits train.distributed.timeout_s (5 s),
  # then ends the job with a message naming the wait; mpirun kills the stopped rank.
  start=$(date +%s)
  timeout 60 "${MPIRUN[@]}" -np 2 "$OCELLUS" train "$CFG" --out "$WORK/hang" "${SET[@]}" > "$WORK/hang.log" 2>&1 &
  mpi=$!
  wait_for "$WORK/hang.log" "epoch 1 step 3/"
  pid=$(rank_pid "$mpi" 1)
  [ "$pid" -ne 0 ] || fail "no rank 1 under mpirun $mpi"
  kill -STOP "$pid"
  STOPPED=$pid
  wait "$mpi"
  rc=$?
  took=$(($(date +%s) - start))
  [ "$rc" -ne 0 ] || fail "stopped rank 1: expected a non-zero exit, got 0"
  [ "$rc" -ne 124 ] || fail "stopped rank 1: the job hung until the test's timeout: $(cat "$WORK/hang.log")"
  grep -q "rank 0 of 2: .* waited [0-9]* s for the other processes (train.distributed.timeout_s is 5): one of them has died or hangs" \
    "$WORK/hang.log" || fail "stopped rank 1: no timeout message: $(cat "$WORK/hang.log")"
  [ "$took" -le 40 ] || fail "stopped rank 1: the job took $took s to end"
  state=$(ps -o stat= -p "$pid" 2>/dev/null)  # gone, or a zombie not yet reaped: killed either way
  case "$state" in "" | Z*) ;; *) fail "stopped rank 1 ($pid) still runs (state $state) after the job ended" ;; esac
  STOPPED=""
  echo "SIGSTOP of rank 1: the job ended after ${took} s in all (timeout 5 s), exit $rc"
  ;;

mismatch)
  # Another learning rate on rank 1: refused before the first step, naming the key and both values.
  out=$(timeout 120 "${MPIRUN[@]}" -np 1 "$OCELLUS" train "$CFG" --out "$WORK/m" --set train.optimizer.lr=0.1 : \
        -np 1 "$OCELLUS" train "$CFG" --out "$WORK/m" --set train.optimizer.lr=0.05 2>&1) && fail "mismatched ranks ran: $out"
  echo "$out" | grep -qF "rank 1's setup differs from rank 0's at train.optimizer.lr (0.1 against 0.05)" \
    || fail "mismatched lr: unexpected message: $out"
  # --resume on one rank only.
  out=$(timeout 120 "${MPIRUN[@]}" -np 1 "$OCELLUS" train "$CFG" --out "$WORK/m" : \
        -np 1 "$OCELLUS" train "$CFG" --out "$WORK/m" --resume 2>&1) && fail "mismatched --resume ran: $out"
  echo "$out" | grep -qF "rank 1's setup differs from rank 0's at resume (false against true)" \
    || fail "mismatched --resume: unexpected message: $out"
  [ -e "$WORK/m/last.safetensors" ] && fail "a refused run wrote a checkpoint"
  ;;

*)
  fail "unknown part (units, parity, resume, failure, mismatch)"
  ;;
esac
echo "dist_test $PART: ok"
