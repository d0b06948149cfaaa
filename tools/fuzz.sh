#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets of tests/fuzz/ with clang (AddressSanitizer, UndefinedBehavior-
# Sanitizer and the fuzzer's coverage in every file of the library) and runs each for SECONDS, JOBS at a
# time, from its seed corpus (tests/fuzz/corpus/<reader>/) and its regression inputs
# (tests/fuzz/regressions/<reader>/).
#   tools/fuzz.sh [BUILD_DIR [SECONDS [JOBS [READER...]]]]     (defaults: build-fuzz 120 nproc, every reader)
# What the fuzzer learns grows BUILD_DIR/corpus/<reader>/ (kept between runs; the seeds in git stay small).
# A crash, a leak, a hang (-timeout) or an input that needs more than -rss_limit_mb lands in
# BUILD_DIR/findings/<reader>/ and the script exits 1; fix the reader, then copy the input to
# tests/fuzz/regressions/<reader>/ so that `make test` replays it from then on (tests/fuzz/README.md).
# BUILD_DIR/fuzz_report.txt gets one line per target: executions, seconds, corpus size, result.
# FUZZ_SEED=N fixes libFuzzer's mutation sequence (CI sets it: a finding there replays with the same seed);
# FUZZ_RUNS=N stops each target after N inputs if its time is not up first.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-120}
jobs=${3:-$(nproc)}
shift $(( $# < 3 ? $# : 3 ))

for tool in clang++-15 clang-15; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool is missing (apt-get install clang-15 libfuzzer-15-dev; tools/setup.sh does)" >&2; exit 1; }
done
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# -O1 with line tables only: the sanitizers' reports keep file:line, and the build takes half the time
# of -O2 -g.
mkdir -p "$build"
CXX=clang++-15 CC=clang-15 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DOCELLUS_CUDA=OFF -DOCELLUS_TESTS=OFF \
  -DOCELLUS_FUZZ=ON "${launcher[@]}" > "$build/configure.log" || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_targets -j "$jobs"

readers=("$@")
if [ ${#readers[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do
    r=$(basename "$f" .cpp); r=${r#fuzz_}
    [ "$r" = support ] || readers+=("$r")
  done
fi

# One target: its own corpus and findings directories, a log, one report line.
run_one() {
  local build=$1 seconds=$2 r=$3
  local corpus="$build/corpus/$r" findings="$build/findings/$r" log="$build/fuzz_$r.log"
  mkdir -p "$corpus" "$findings"
  local dirs=("$corpus" "tests/fuzz/corpus/$r")
  [ -d "tests/fuzz/regressions/$r" ] && dirs+=("tests/fuzz/regressions/$r")
  local status=ok
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz_$r" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -seed="${FUZZ_SEED:-0}" -runs="${FUZZ_RUNS:--1}" \
    -print_final_stats=1 -artifact_prefix="$findings/" "${dirs[@]}" > "$log" 2>&1 || status=FAILED
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  printf '%-16s %10s executions in %4s s, corpus %5s inputs: %s\n' "$r" "${execs:-?}" "$seconds" \
    "$(find "$corpus" -type f | wc -l)" "$status" | tee -a "$build/fuzz_report.txt"
  if [ "$status" != ok ]; then
    echo "fuzz: $r failed; the input is in $findings/, the report in $log:" >&2
    grep -m1 -A12 -E 'ERROR: |runtime error|deadly signal|uncaught exception' "$log" >&2 || tail -20 "$log" >&2
    return 1
  fi
}
export -f run_one
echo "fuzz: $(date -u +%FT%TZ), ${#readers[@]} targets, $seconds s each, $jobs at a time" >> "$build/fuzz_report.txt"
printf '%s\n' "${readers[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ "$build" "$seconds" {}
