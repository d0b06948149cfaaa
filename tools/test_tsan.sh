#!/usr/bin/env bash
# make test-tsan: the code that runs on several threads, under ThreadSanitizer, in its own build tree.
#   tools/test_tsan.sh [BUILD_DIR [JOBS]]        (defaults: build-tsan, nproc)
# What runs, and why (Catch2 filters over ocellus_tests; OCELLUS_NUM_THREADS=4, so even a 2-core
# machine has three pool workers racing the caller; ThreadSanitizer needs no real overlap, only two
# threads touching the same memory without a happens-before edge between them):
#   threads hammer:*   tests/test_threads_hammer.cpp: parallel regions started from four threads at once,
#                      nested, throwing, and the pool resized under them; the host caching allocator and
#                      the CUDA caching allocator from four threads each (blocks marked and checked,
#                      counters balanced); loaders whose workers call the pool while the consumer runs
#                      regions too, abandoned mid-epoch, and a sample that fails in a worker
#   thread pool, GEMM  the pool's own test; GEMM with 1 and 3 threads and from inside regions (its
#                      shared packing flags and panels)
#   cpu allocator:*    the host caching allocator's tests
#   loaders            [loader] and "data: loader*": every loader test with workers (classification,
#                      detection boxes and masks through a data set's transform), restarts, shutdown
#                      mid-epoch; "*thread count*": the data generators that split their work over the
#                      pool (pose-synth, det_synth, homography pairs) give the same bytes on any count
#   kernels            every test of tests/kernels/ and the op case tables' forward and gradient cases
#                      (about 2500): every CPU kernel whose large cases split over the pool (reductions,
#                      the scatters of backward passes), less the few cases listed below
#   conv direct*       the AVX-512 direct convolutions (skipped, exit 77, on a machine without AVX-512)
#   training           "train: resuming mid-epoch ...": a small CNN with two loader workers, forward and
#                      backward, an epoch interrupted (its loader destroyed with batches in flight)
# The build is -DOCELLUS_CUDA=EMULATE so that the CUDA caching allocator (core/cuda_allocator.cpp) exists
# without a GPU; its hammer test allocates and frees on two emulated devices from four threads and
# launches no kernel. The emulation's fibers tell ThreadSanitizer about every switch
# (core/cuda_emu/fiber.cpp), so a kernel launched in this build is followed correctly, but the CUDA test
# program is not built here. Only ocellus_tests is built: not the command, nor the fuzz replays.
# TSAN_OPTIONS: halt_on_error=1 (the first report ends the run, exit code 66), second_deadlock_stack=1
# (lock-order reports show both stacks). No suppression file: no third-party code starts threads.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-tsan}
jobs=${2:-$(nproc)}
started=$SECONDS

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
fi
mkdir -p "$build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCELLUS_CUDA=EMULATE -DOCELLUS_TSAN=ON \
  "${launcher[@]}" > "$build/configure.log" || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target ocellus_tests
built=$SECONDS

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
export OCELLUS_NUM_THREADS=${OCELLUS_NUM_THREADS:-4}

# The kernels: every test of tests/kernels/ (by file) and every op case table's forward and gradient
# cases, written to a list (Catch2 -f; commas, brackets and quotes escaped). Left out: the golden cases
# (PyTorch's values for the forward cases: the same kernels again), a few cases whose single-threaded
# reference loops take most of the time under TSan while their kernel runs parallel in other cases,
# and the tests that may skip (exit 77 ends the process), which run on their own below.
escape_names() { sed 's/\\/\\\\/g; s/,/\\,/g; s/\[/\\[/g; s/"/\\"/g'; }
list_names() { "$build/ocellus_tests" --list-test-names-only "$@" || true; }  # its exit code is the count
kernel_list=$build/tsan_kernel_tests.txt
kernel_tags=$(for f in tests/kernels/*/test_*.cpp; do
  case $f in *_cuda.cpp) ;; *) printf '[#%s],' "$(basename "$f" .cpp)" ;; esac
done)
list_names "[may_skip]" | escape_names > "$kernel_list.may_skip"
list_names -# "${kernel_tags}[#register_test]" | awk '
  / golden$/ || /^golden_/ { next }
  /^nms \[50000,/ { next }                         # NMS is sequential; its O(n^2) reference: 40 s
  /^roi_align \[2,256,50,68\] \[1000,/ { next }    # the same kernel over 100 boxes stays
  /^matmul \[4,515,67\]/ { next }                  # GEMM threading: the [gemm_cpu] tests
  /^(adam|sgd)_update \[1048579\]/ && seen[$1]++ { next }  # one large case per optimizer
  NF { print }' | escape_names | grep -vxF -f "$kernel_list.may_skip" > "$kernel_list" || true
[ -s "$kernel_list" ] || { echo "tsan: no kernel tests listed in $kernel_list" >&2; exit 1; }

run() {  # run LABEL FILTER...: one process, all the filters' tests in it (Catch2's echo of them left out)
  local label=$1 t0=$SECONDS
  shift
  echo "== tsan: $label"
  "$build/ocellus_tests" -w NoTests "$@" | grep -v '^Filters: '
  echo "== tsan: $label: $((SECONDS - t0)) s"
}

run "threads hammer" "threads hammer:*"
run "thread pool, GEMM, host allocator" "thread pool:*,gemm_cpu float32 gives*,gemm_cpu called from inside*,cpu allocator:*"
run "data loaders and threaded generators" "[loader],data: loader*,*thread count*"
run "CPU kernels ($(wc -l < "$kernel_list") tests)" -f "$kernel_list"
# The direct convolutions exist only with AVX-512: elsewhere their tests exit 77 (skipped).
echo "== tsan: direct convolutions"
rc=0
"$build/ocellus_tests" -w NoTests "conv direct*" | grep -v '^Filters: ' || rc=$?
case $rc in 0) ;; 77) echo "== tsan: direct convolutions skipped (no AVX-512 here)" ;; *) exit "$rc" ;; esac
run "training with loader workers" "train: resuming mid-epoch*"
echo "tsan: clean: build $((built - started)) s, tests $((SECONDS - built)) s"
