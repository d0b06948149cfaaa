// The `ocellus` command: dispatches to the subcommands; every error ends with a message and exit 1.
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

#include "tools/cmd_data.h"
#include "tools/commands.h"

namespace {

const char* kUsage = R"(usage: ocellus <command> [args]

commands:
  info                          build, devices, threads, CPU GEMM kernel
  bench gemm [--device cpu|cuda] [--json FILE] [--quick]
                                GFLOP/s of matmul on square and skinny shapes (median of runs)
  bench conv2d [--device cpu|cuda] [--json FILE]
                                conv2d forward, input- and weight-gradient on three CNN layer shapes
  bench affine_grid grid_sample [--device cpu|cuda] [--json FILE] [--quick]
                                the spatial transformer kernels, forward and forward+backward,
                                ms and GB/s against the copy bandwidth measured in the same run
  bench soft_argmax [--device cpu|cuda] [--json FILE] [--quick]
                                fused soft-argmax on pose heatmap shapes, forward and forward+backward
  bench box_iou|nms [--device cpu|cuda] [--json FILE] [--quick] [--inputs DIR]
                                IoU of 1000x1000 boxes, NMS of 1k/10k/50k proposals; --inputs writes
                                the boxes for bench/boxes_torchvision.py
  bench roi_align|roi_pool [--device cpu|cuda] [--json FILE] [--quick]
                                1000 RoIs over a 256-channel map, forward and forward+backward
  bench OP --cases              the shapes `bench OP` times: the bench rows of OP's case table
  bench train CONFIG [--steps N] [--warmup N] [--profile] [--json FILE] [--device cpu|cuda] [--set k=v ...]
                                images/s of a config's training step (one batch held in memory, and
                                the epoch loop with the real loader); --profile: ms per kernel
  data pose-synth --out DIR --count N [--size S] [--people MIN..MAX] [--seed X] [--backgrounds DIR|none]
                                write a COCO-format data set of synthetic people (docs/data.md)
  data det-synth --out DIR --count N [--size S] [--objects MIN..MAX] [--seed X] [--split train|test]
                 [--backgrounds DIR]
                                write a COCO-format detection set: Fashion-MNIST items pasted on
                                photos, with boxes and instance masks (docs/data.md)
  data anchors DATA --k A [--seed S] [--stride S] [--json]
                                anchor shapes (w, h) of a detection set by k-means under 1 - IoU,
                                with the mean IoU; DATA: a det-synth/COCO dir or its annotation file
  train CONFIG [--set key.path=value ...] [--out DIR] [--resume] [--device cpu|cuda] [--print-config]
                                train a network from a JSON config (see docs/config.md);
                                --print-config prints every setting, defaults included, and exits;
                                under `mpirun -np N`: data-parallel over N processes (docs/distributed.md)
  eval CONFIG --checkpoint FILE [--split test|train] [--device D] [--json] [--results FILE]
       [--maps OUT.png [--maps-count N]]
                                accuracy and loss of a checkpoint; pose: PCK, mean pixel error,
                                COCO keypoint AP; --results writes the detections as COCO results;
                                --maps draws the first N (4) images' pose maps beside their
                                targets (docs/pose_maps.md)
  infer CONFIG --checkpoint FILE --image IMG [--out PNG] [--device D] [--json]
                                pose: the people found (keypoints, scores), --out draws them;
                                classifiers: top-5 classes with probabilities; --out writes
                                what the first spatial transformer made of it
  match --features A.json B.json IMG1 IMG2 [--homography H] [--out PNG] [--json FILE] [--ransac-threshold PX]
                                match two images' local features (mutual nearest neighbours); with
                                the true homography (OpenCV XML/YAML or 9 numbers): MMA @ 1..10 px,
                                correct matches, repeatability, RANSAC's corner error (docs/matching.md)
  plot RUN_DIR... --out PNG [--metrics a,b,c] [--labels x,y,z] [--x epoch|seconds] [--log-y]
                                training curves of runs' metrics.jsonl on shared axes, one panel
                                per metric; default: loss, the task's score, lr (docs/plot.md)
  demo [--config F] [--out DIR] [--device auto|cpu|cuda] [--set key.path=value ...] [--checkpoint FILE]
                                train a spatial transformer on distorted Fashion-MNIST
                                (configs/fashion_rts_stn.json), print the test accuracy and
                                write DIR/stn.png (inputs beside rectified outputs; DIR: runs/demo);
                                --checkpoint: no training, the picture of that model
  demo spirals [--device cpu|cuda] [--steps N] [--seed S]
                                train a small MLP on a synthetic spiral data set, end to end
)";

}  // namespace

int main(int argc, char** argv) {
  // A file-size limit (ulimit -f) then fails the write with EFBIG, which the writers report like a
  // full disk (naming the file; the previous checkpoint intact), instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  oc::cli::Args args(argv + 2, argv + argc);
  try {
    if (cmd == "info") return oc::cli::cmd_info(args);
    if (cmd == "bench") return oc::cli::cmd_bench(args);
    if (cmd == "demo") return oc::cli::cmd_demo(args);
    if (cmd == "train") return oc::cli::cmd_train(args);
    if (cmd == "eval") return oc::cli::cmd_eval(args);
    if (cmd == "infer") return oc::cli::cmd_infer(args);
    if (cmd == "match") return oc::cli::cmd_match(args);
    if (cmd == "plot") return oc::cli::cmd_plot(args);
    if (cmd == "data") return oc::cli::cmd_data(args);
    std::fprintf(stderr, "ocellus: unknown command \"%s\"\n\n%s", cmd.c_str(), kUsage);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ocellus %s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  }
}
