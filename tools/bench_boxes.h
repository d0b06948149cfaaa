// The box IoU and NMS benchmarks (tools/bench_boxes.cpp), called by `ocellus bench box_iou` and
// `ocellus bench nms`.
#pragma once
#include <string>

#include "tools/commands.h"

namespace oc::cli {

// op: "box_iou" or "nms". Prints the table (and writes --json FILE, and with --inputs DIR the
// inputs and results for bench/boxes_torchvision.py); returns the exit code.
int bench_boxes(const std::string& op, const ArgParser& p);

}  // namespace oc::cli
