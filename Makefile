# ocellus: the two commands of the README, and a few more.
#   make demo    install what is missing, build, train the spatial transformer demo (runs/demo/stn.png)
#   make test    install what is missing, build, run every test (CUDA tests report "skipped" without a GPU)
#   make test-sanitize   the CPU tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-emulated   the CUDA kernels run on the CPU (core/cuda_emu/) under the sanitizers, with the CPU
#                        tests: every CUDA parity test executes, in two thread orders (a skip is a failure)
#   make test-tsan   the threaded code (thread pool, data loader workers, CUDA allocator) under ThreadSanitizer
#   make fuzz    every libFuzzer target of tests/fuzz/ for FUZZ_SECONDS each (clang-15, libfuzzer-15-dev);
#                what it finds lands in build-fuzz/findings/<reader>/ (tests/fuzz/README.md)
#   make goldens the PyTorch golden files tests/data/golden_*.json (the op case tables' inputs, then
#                tools/make_goldens.py with /usr/bin/python3, which needs Debian's python3-torch)
#   make pose-data   the synthetic pose data sets of configs/pose_*.json
#   make det-data    the synthetic detection data sets of configs/det_*.json
#   make lift-data   LIFT's homography pairs and patch quadruplets (configs/lift_*.json)
#   make lift        LIFT's three training stages in order (descriptor, orientation, detector)
#   make bench-lift  LIFT beside OpenCV's SIFT, ORB and AKAZE on graf1 -> graf3 and the held-out pairs
#   make bench-train  the training step of four configs, ours beside the same networks in PyTorch
#   make bench   GEMM (ours beside OpenBLAS); conv2d, affine_grid, grid_sample, soft_argmax (ours beside
#                PyTorch CPU when /usr/bin/python3 has torch); box_iou, nms, roi_align (beside torchvision);
#                then bench-train
JOBS ?= $(shell nproc)
BUILD ?= build
CUDA ?= AUTO

.PHONY: all setup build demo test test-sanitize test-emulated test-tsan fuzz bench bench-train goldens pose-data det-data lift-data lift bench-lift clean

all: build

setup:
	@tools/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DOCELLUS_CUDA=$(CUDA)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Trains the spatial transformer on distorted Fashion-MNIST (GPU when present), writes runs/demo/stn.png.
demo: build
	$(BUILD)/ocellus info
	$(BUILD)/ocellus demo --config configs/fashion_rts_stn.json --device auto --out runs/demo

test: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

# CPU tests only (the sanitizers do not see into CUDA kernels), in their own build tree. The Catch2
# program runs once, all its tests in one process: one process per ctest entry would repeat ASan's
# start-up and the case tables' construction 5000 times (about 35 minutes here). The tests that may
# skip (exit 77 ends the process) and the shell tests go through ctest.
test-sanitize: setup
	cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCELLUS_CUDA=OFF -DOCELLUS_SANITIZE=ON
	cmake --build build-sanitize -j $(JOBS)
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./ocellus_tests "~[may_skip]"
	cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest -j $(JOBS) --output-on-failure -R '^(lint|cli|fuzz):|gemm_cpu float32|conv direct|Python [(]json|Fashion-MNIST loads'

# The emulation checks the kernels' logic (indices, barriers, shuffles, bounds), not their speed. As
# test-sanitize, each Catch2 program runs once in one process; the CUDA tests run twice: forward
# thread order at the GPU's sizes, then reverse order with 4 multiprocessors and every grid capped
# at 3 blocks (the second pass of each capped loop). Under emulation nothing skips: exit 77 fails.
EMU_ENV = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
test-emulated: setup
	cmake -S . -B build-emulated -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCELLUS_CUDA=EMULATE -DOCELLUS_SANITIZE=ON
	cmake --build build-emulated -j $(JOBS)
	cd build-emulated && $(EMU_ENV) ./ocellus_tests "~[may_skip]"
	cd build-emulated && $(EMU_ENV) ./ocellus_cuda_tests
	cd build-emulated && $(EMU_ENV) OCELLUS_EMU_ORDER=reverse OCELLUS_EMU_SMS=4 OCELLUS_GRID_CAP=3 ./ocellus_cuda_tests
	cd build-emulated && $(EMU_ENV) ctest -j $(JOBS) --output-on-failure \
	  -R '^(lint|cli|fuzz):|gemm_cpu float32|conv direct|Python [(]json|Fashion-MNIST loads'

# The CPU tests that start threads, in their own build tree under ThreadSanitizer (tools/test_tsan.sh).
test-tsan: setup
	tools/test_tsan.sh build-tsan $(JOBS)

# Each fuzz target for FUZZ_SECONDS seconds from its seed corpus (tools/fuzz.sh). CI runs it briefly.
FUZZ_SECONDS ?= 300
fuzz: setup
	tools/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(JOBS)

bench: build
	$(BUILD)/ocellus bench gemm --json $(BUILD)/bench_gemm.json
	@if [ -x $(BUILD)/gemm_openblas ]; then $(BUILD)/gemm_openblas --json $(BUILD)/bench_gemm_openblas.json; fi
	$(BUILD)/ocellus bench conv2d --json $(BUILD)/bench_conv2d.json
	@if /usr/bin/python3 -c "import torch" 2>/dev/null; then /usr/bin/python3 bench/torch_conv.py --ours $(BUILD)/bench_conv2d.json; \
	  else echo "bench: PyTorch not installed (apt-get install python3-torch) - skipping the conv2d comparison"; fi
	$(BUILD)/ocellus bench affine_grid grid_sample --json $(BUILD)/bench_spatial.json
	@if /usr/bin/python3 -c "import torch" 2>/dev/null; then /usr/bin/python3 bench/torch_grid_sample.py --ours $(BUILD)/bench_spatial.json; fi
	$(BUILD)/ocellus bench soft_argmax --json $(BUILD)/bench_soft_argmax.json
	@if /usr/bin/python3 -c "import torch" 2>/dev/null; then /usr/bin/python3 bench/torch_soft_argmax.py --ours $(BUILD)/bench_soft_argmax.json; fi
	$(BUILD)/ocellus bench box_iou --json $(BUILD)/bench_box_iou.json --inputs $(BUILD)/bench_boxes
	$(BUILD)/ocellus bench nms --json $(BUILD)/bench_nms.json --inputs $(BUILD)/bench_boxes
	@if /usr/bin/python3 -c "import torchvision" 2>/dev/null; then /usr/bin/python3 bench/boxes_torchvision.py --inputs $(BUILD)/bench_boxes --ours $(BUILD)/bench_box_iou.json --ours $(BUILD)/bench_nms.json; \
	  else echo "bench: torchvision not installed (apt-get install python3-torchvision) - skipping the box and RoI comparisons"; fi
	$(BUILD)/ocellus bench roi_align --json $(BUILD)/bench_roi_align.json
	@if /usr/bin/python3 -c "import torchvision" 2>/dev/null; then /usr/bin/python3 bench/roi_align_torchvision.py --ours $(BUILD)/bench_roi_align.json; fi
	$(MAKE) bench-train

# The training step of four configs beside the same networks in PyTorch: three rounds each, ours and
# PyTorch's runs alternating, the median ratio (bench/train_vs_torch.py). The pose configs read the
# pose data (make pose-data).
TRAIN_BENCH_CONFIGS = configs/fashion_cnn.json configs/fashion_rts_stn.json configs/pose_heatmap.json configs/pose_integral.json
bench-train: build
	@test -f runs/data/pose_single_train/annotations.json || $(MAKE) pose-data
	@if /usr/bin/python3 -c "import torch" 2>/dev/null; then \
	  /usr/bin/python3 bench/train_vs_torch.py --ocellus $(BUILD)/ocellus --json $(BUILD)/bench_train.json $(TRAIN_BENCH_CONFIGS); \
	else for c in $(TRAIN_BENCH_CONFIGS); do $(BUILD)/ocellus bench train $$c; done; fi

# The golden files: the case tables write their golden cases' inputs, PyTorch computes the rest.
# FAMILIES="soft_argmax core" limits it to some families.
goldens: build
	rm -rf $(BUILD)/op_cases
	$(BUILD)/ocellus_tests --write-op-cases $(BUILD)/op_cases
	OCELLUS_OP_CASES=$(BUILD)/op_cases /usr/bin/python3 tools/make_goldens.py $(FAMILIES)

# The synthetic pose sets the pose configs read (README: Pose): single-person and multi-person,
# 128x128, fixed seeds, about 40 s and 400 MB.
pose-data: build
	$(BUILD)/ocellus data pose-synth --out runs/data/pose_single_train --count 4000 --size 128 --people 1..1 --seed 1
	$(BUILD)/ocellus data pose-synth --out runs/data/pose_single_test --count 500 --size 128 --people 1..1 --seed 2
	$(BUILD)/ocellus data pose-synth --out runs/data/pose_multi_train --count 4000 --size 128 --people 1..3 --seed 11
	$(BUILD)/ocellus data pose-synth --out runs/data/pose_multi_test --count 500 --size 128 --people 1..3 --seed 12

# The synthetic detection sets configs/det_*.json read (README: Detection): 128x128 photos with 1..4
# Fashion-MNIST items, fixed seeds.
det-data: build
	$(BUILD)/ocellus data det-synth --out runs/data/det_train --count 4000 --size 128 --objects 1..4 --seed 1 --split train
	$(BUILD)/ocellus data det-synth --out runs/data/det_test --count 500 --size 128 --objects 1..4 --seed 2 --split test

# LIFT's data (docs/data.md: Homography pairs): opencv-doc photos in fixed splits, fixed seeds.
lift-data: build
	$(BUILD)/ocellus data homography-pairs --out runs/data/lift_train --split train --seed 0
	$(BUILD)/ocellus data homography-pairs --out runs/data/lift_test --split test --seed 0

# LIFT's stages in LIFT's order, each from the previous stage's best checkpoint (README: LIFT).
lift: build
	$(BUILD)/ocellus train configs/lift_descriptor.json --out runs/lift_descriptor
	$(BUILD)/ocellus train configs/lift_orientation.json --out runs/lift_orientation
	$(BUILD)/ocellus train configs/lift_detector.json --out runs/lift_detector

# LIFT (its three rows: one learned stage added at a time) beside OpenCV's SIFT, ORB and AKAZE, one
# run, one scorer (ocellus match), on graf1 -> graf3 and the held-out synthetic pairs.
bench-lift: build
	@/usr/bin/python3 -c "import cv2" 2>/dev/null || { echo "bench-lift: needs OpenCV for Python (apt-get install python3-opencv)"; exit 1; }
	/usr/bin/python3 bench/lift_opencv.py --graf --pairs runs/data/lift_test/pairs.json --ocellus $(BUILD)/ocellus \
	  --lift configs/lift_detector.json --checkpoint runs/lift_detector/best.safetensors --out runs/bench_lift

clean:
	rm -rf $(BUILD) build-sanitize build-emulated
