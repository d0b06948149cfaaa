#!/usr/bin/env bash
# One command for the GPU machine: configure and build with all cores (CUDA on, sm_90 unless
# CMAKE_CUDA_ARCHITECTURES is set), run every test including the CUDA parity tests (a skipped CUDA
# test is a failure here), run the benchmarks, and copy logs and JSON to $OUT when it is set.
# Budget: under 8 minutes on a 16-core H100 machine.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu_check_out}
mkdir -p "$OUT"
BUILD=${BUILD:-build-gpu}
ARCH=${CMAKE_CUDA_ARCHITECTURES:-90}
status=0
log() { echo "[gpu_check $(date +%H:%M:%S)] $*" | tee -a "$OUT/summary.txt"; }

log "machine: $(nproc) cores; $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1)"
log "nvcc: $(nvcc --version 2>&1 | tail -1); cmake: $(cmake --version | head -1)"

start=$(date +%s)
if ! cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DOCELLUS_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$ARCH" \
     > "$OUT/configure.log" 2>&1; then
  log "FAIL: configure (see configure.log)"; tail -30 "$OUT/configure.log"; exit 1
fi
if ! cmake --build "$BUILD" -j "$(nproc)" > "$OUT/build.log" 2>&1; then
  log "FAIL: build (see build.log)"; grep -E "error" "$OUT/build.log" | head -30; exit 1
fi
log "build: $(( $(date +%s) - start )) s"

start=$(date +%s)
(cd "$BUILD" && ctest -j "$(nproc)" --output-on-failure --timeout 300) > "$OUT/ctest.log" 2>&1
ctest_rc=$?
skipped=$(grep -c "Skipped" "$OUT/ctest.log" || true)
log "ctest: rc=$ctest_rc, $(grep -E "tests passed|tests failed" "$OUT/ctest.log" | tail -1), skipped lines: $skipped ($(( $(date +%s) - start )) s)"
if [ "$ctest_rc" -ne 0 ] || [ "$skipped" -ne 0 ]; then
  status=1
  grep -E "Failed|\*\*\*|Skipped" "$OUT/ctest.log" | head -40 | tee -a "$OUT/summary.txt"
fi
"$BUILD/ocellus_cuda_tests" --reporter junit --out "$OUT/cuda_tests.xml" > /dev/null 2>&1 || true

run_bench() {  # name, command...
  local name=$1; shift
  if timeout 240 "$@" > "$OUT/$name.log" 2>&1; then
    log "bench $name: ok"; cat "$OUT/$name.log" >> "$OUT/summary.txt"
  else
    log "FAIL: bench $name (see $name.log)"; tail -20 "$OUT/$name.log"; status=1
  fi
}
run_bench gemm_cuda "$BUILD/ocellus" bench gemm --device cuda --json "$OUT/bench_gemm_cuda.json"
run_bench gemm_cpu "$BUILD/ocellus" bench gemm --device cpu --json "$OUT/bench_gemm_cpu.json"
run_bench conv2d_cuda "$BUILD/ocellus" bench conv2d --device cuda --json "$OUT/bench_conv2d_cuda.json"
run_bench spatial_cuda "$BUILD/ocellus" bench affine_grid grid_sample --device cuda --json "$OUT/bench_spatial_cuda.json"
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  run_bench spatial_torch_cuda python3 bench/torch_grid_sample.py --device cuda --ours "$OUT/bench_spatial_cuda.json" \
    --json "$OUT/bench_spatial_torch_cuda.json"
fi
run_bench soft_argmax_cuda "$BUILD/ocellus" bench soft_argmax --device cuda --json "$OUT/bench_soft_argmax_cuda.json"
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  run_bench soft_argmax_torch_cuda python3 bench/torch_soft_argmax.py --device cuda --ours "$OUT/bench_soft_argmax_cuda.json" \
    --json "$OUT/bench_soft_argmax_torch_cuda.json"
fi
# The detection blocks, ours beside torchvision on the same boxes when torchvision has CUDA.
run_bench box_iou_cuda "$BUILD/ocellus" bench box_iou --device cuda --json "$OUT/bench_box_iou_cuda.json" \
  --inputs "$BUILD/bench_boxes_cuda"
run_bench nms_cuda "$BUILD/ocellus" bench nms --device cuda --json "$OUT/bench_nms_cuda.json" --inputs "$BUILD/bench_boxes_cuda"
run_bench roi_align_cuda "$BUILD/ocellus" bench roi_align --device cuda --json "$OUT/bench_roi_align_cuda.json"
run_bench roi_pool_cuda "$BUILD/ocellus" bench roi_pool --device cuda --json "$OUT/bench_roi_pool_cuda.json"
if python3 -c "import torch, torchvision; assert torch.cuda.is_available()" 2>/dev/null; then
  run_bench boxes_torchvision_cuda python3 bench/boxes_torchvision.py --device cuda --inputs "$BUILD/bench_boxes_cuda" \
    --ours "$OUT/bench_box_iou_cuda.json" --ours "$OUT/bench_nms_cuda.json" --json "$OUT/bench_boxes_torchvision_cuda.json"
  for op in roi_align roi_pool; do
    run_bench ${op}_torchvision_cuda python3 bench/roi_align_torchvision.py --device cuda \
      --ours "$OUT/bench_${op}_cuda.json" --json "$OUT/bench_${op}_torchvision_cuda.json"
  done
fi
# Training on the GPU end to end (a tiny config), and the same on the CPU for comparison.
run_bench train_tiny_cuda "$BUILD/ocellus" train tests/data/tiny_cnn.json --device cuda --out "$OUT/train_tiny_cuda"
run_bench train_tiny_cpu "$BUILD/ocellus" train tests/data/tiny_cnn.json --device cpu --out "$OUT/train_tiny_cpu"
# The spatial transformer demo config on the GPU, one epoch (its CPU time is in the README).
run_bench train_stn_cuda "$BUILD/ocellus" train configs/fashion_rts_stn.json --device cuda --out "$OUT/train_stn_cuda" \
  --set train.epochs=1
if [ -x "$BUILD/gemm_openblas" ]; then
  run_bench gemm_openblas "$BUILD/gemm_openblas" --json "$OUT/bench_gemm_openblas.json"
fi
"$BUILD/ocellus" info >> "$OUT/summary.txt" 2>&1

log "done, status $status"
echo "----- summary -----"
cat "$OUT/summary.txt"
exit $status
