// Shared by the detection head tests: a loss term by name, and the tiny two-stage model (32 x 32
// images, features [6, 8, 8] at stride 4, 2 anchors per cell, 3 classes) that the Faster R-CNN and
// Mask R-CNN tests build their configs from.
#pragma once
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "nets/det/det_head.h"
#include "train/experiment.h"

namespace oc::test {

inline double loss_term(const DetLoss& l, const std::string& name) {
  for (const auto& [n, t] : l.terms)
    if (n == name) return item<double>(t);
  FAIL("no loss term " << name);
  return 0;
}

// The faster_rcnn config of the tiny model; every anchor and every RoI is sampled (batch sizes above
// their counts, positive fraction 1), so the losses are deterministic.
inline json tiny_two_stage_config() {
  return json::parse(R"({
    "model": {"input": [3, 32, 32], "layers": [
      {"name": "c1", "type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1, "stride": 2},
      {"type": "relu"},
      {"name": "features", "type": "conv2d", "out_channels": 6, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "rpn_conv", "type": "conv2d", "out_channels": 6, "kernel": 3, "padding": 1},
      {"name": "rpn_relu", "type": "relu"},
      {"name": "objectness", "type": "conv2d", "out_channels": 2, "kernel": 1},
      {"name": "deltas", "type": "conv2d", "out_channels": 8, "kernel": 1, "inputs": ["rpn_relu"]}],
      "outputs": ["features", "objectness", "deltas"]},
    "data": {"dataset": "det_coco", "train_dir": "unused", "test_dir": "unused"},
    "train": {"seed": 3},
    "task": {"type": "detection", "head": "faster_rcnn", "stride": 4, "anchor_sizes": [8, 16], "aspect_ratios": [1],
             "rpn": {"batch_size": 1000, "positive_fraction": 1},
             "roi": {"size": 3, "batch_size": 1000, "positive_fraction": 1},
             "box_head": {"layers": [{"type": "flatten"}, {"name": "fc", "type": "linear", "out_features": 8},
                                     {"name": "h", "type": "relu"},
                                     {"name": "cls", "type": "linear", "out_features": 4},
                                     {"name": "box", "type": "linear", "out_features": 12, "inputs": ["h"]}],
                          "outputs": ["cls", "box"]}}})");
}

struct TinyDetector {
  Experiment e;
  std::unique_ptr<DetHead> head;
};

// The experiment of config `c` and its head for 3 classes.
inline TinyDetector tiny_detector(const json& c, const std::string& source = "tiny.json") {
  TinyDetector t{experiment_from_json(c, source), nullptr};
  t.head = make_det_head(t.e.task.det, *t.e.model, 3, source);
  return t;
}

}  // namespace oc::test
