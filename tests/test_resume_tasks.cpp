// Exact resume for the tasks that draw their own random numbers: a two-stage detector's anchor and
// RoI samplers are keyed by the batch (the head keeps no generator that runs on from the start), so
// a run stopped mid-epoch and resumed ends with the uninterrupted run's weights and metrics. (LIFT's
// orientation turns: tests/test_lift_task.cpp.)
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "nets/det/det_head.h"
#include "tests/helpers.h"
#include "train/data/det_synth.h"
#include "train/data/pose_synth.h"
#include "train/trainer.h"

using namespace oc;

namespace {

// A small det-synth split (skips without Fashion-MNIST or the opencv-doc photos).
void write_det_set(const std::string& dir, int64_t count, uint64_t seed, const std::string& split) {
  DetSynthOptions o;
  o.backgrounds = default_pose_backgrounds();
  if (o.backgrounds.empty()) test::skip_test("no opencv-doc photos (apt-get install opencv-doc)");
  if (!std::filesystem::is_directory(default_fashion_mnist_dir()))
    test::skip_test(default_fashion_mnist_dir() + " not found (apt-get install dataset-fashion-mnist)");
  o.count = count, o.size = 32, o.seed = seed, o.split = split;
  o.min_objects = 1, o.max_objects = 2;
  write_det_synth(dir, o);
}

// Faster R-CNN on 32 x 32 images: stride 8 (4 x 4 cells, 3 anchors each), 40 proposals, 8 RoIs
// sampled per image out of them, so both samplers draw (the RPN samples 6 of 48 anchors).
json faster_rcnn_config(const std::string& train_dir, const std::string& test_dir) {
  json c = json::parse(R"({
    "model": {"input": [3, 32, 32], "layers": [
      {"name": "c1", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1, "stride": 2}, {"type": "relu"},
      {"name": "c2", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1, "stride": 2}, {"type": "relu"},
      {"name": "c3", "type": "conv2d", "out_channels": 12, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "features", "type": "relu"},
      {"name": "objectness", "type": "conv2d", "out_channels": 3, "kernel": 1},
      {"name": "deltas", "type": "conv2d", "out_channels": 12, "kernel": 1, "inputs": ["features"]}],
      "outputs": ["features", "objectness", "deltas"]},
    "data": {"dataset": "det_coco", "batch_size": 8, "workers": 2, "mean": 0.45, "std": 0.25},
    "train": {"epochs": 2, "seed": 6, "log_every": 0, "optimizer": {"type": "adam", "lr": 0.003}},
    "task": {"type": "detection", "head": "faster_rcnn", "stride": 8, "anchor_sizes": [8, 16, 24],
             "aspect_ratios": [1], "max_objects": 2,
             "rpn": {"batch_size": 6, "pre_nms_top_k_train": 48, "post_nms_top_k_train": 40, "post_nms_top_k_test": 20},
             "roi": {"size": 2, "batch_size": 8},
             "box_head": {"layers": [{"type": "flatten"}, {"name": "fc", "type": "linear", "out_features": 16},
                                     {"name": "h", "type": "relu"}, {"name": "cls", "type": "linear", "out_features": 11},
                                     {"name": "box", "type": "linear", "out_features": 40, "inputs": ["h"]}],
                          "outputs": ["cls", "box"]}}})");
  c["data"]["train_dir"] = train_dir;
  c["data"]["test_dir"] = test_dir;
  return c;
}

std::map<std::string, std::vector<float>> tensors_of(Network& model) {
  std::map<std::string, std::vector<float>> m;
  for (auto& [name, t] : model.named_parameters()) m[name] = to_vector<float>(t);
  for (auto& [name, t] : model.named_buffers())
    if (t.dtype() == DType::f32) m[name] = to_vector<float>(t);
  return m;
}

// metrics.jsonl without the timings, which no two runs share.
std::vector<json> metrics_of(const std::string& dir) {
  std::ifstream in(dir + "/metrics.jsonl");
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    j.erase("seconds"), j.erase("images_per_s");
    out.push_back(j);
  }
  return out;
}

}  // namespace

TEST_CASE("resume: a Faster R-CNN run stopped mid-epoch ends with the uninterrupted run's weights and metrics",
          "[slow][may_skip]") {
  test::TempDir dir("ocellus_resume_frcnn");
  write_det_set(dir.file("train"), 32, 1, "train");  // 4 steps per epoch
  write_det_set(dir.file("test"), 8, 2, "test");
  const json c = faster_rcnn_config(dir.file("train"), dir.file("test"));
  Experiment full = experiment_from_json(c, "frcnn.json");
  RunOptions a;
  a.out_dir = dir.file("full");
  train_experiment(full, a);

  Experiment first = experiment_from_json(c, "frcnn.json");
  RunOptions b;
  b.out_dir = dir.file("cut");
  b.stop_after_steps = 6;  // the second step of the second epoch
  bool interrupted = false;
  train_experiment(first, b, &interrupted);
  REQUIRE(interrupted);
  Experiment second = experiment_from_json(c, "frcnn.json");
  b.resume = true;
  b.stop_after_steps = 0;
  train_experiment(second, b);
  CHECK(tensors_of(*second.model) == tensors_of(*full.model));
  // The second epoch's train_loss_* terms span the resume: the task's sums came back with it.
  const std::vector<json> want = metrics_of(a.out_dir), got = metrics_of(b.out_dir);
  REQUIRE(want.size() == 2);
  CHECK(want[1].contains("train_loss_class"));
  CHECK(got == want);
}

TEST_CASE("resume: the two-stage loss depends on its draw key alone, and the key matters", "[may_skip]") {
  test::TempDir dir("ocellus_resume_key");
  write_det_set(dir.file("set"), 8, 3, "test");
  Experiment e = experiment_from_json(faster_rcnn_config(dir.file("set"), dir.file("set")), "frcnn.json");
  const std::unique_ptr<DetHead> head = make_det_head(e.task.det, *e.model, 10, "frcnn.json");
  Generator g(9);
  const Tensor x = uniform({4, 3, 32, 32}, -1, 1, &g);
  // Two boxes per image, label, x1 y1 x2 y2, away from each other so both sample positives.
  std::vector<float> boxes;
  for (int n = 0; n < 4; ++n)
    for (float v : {float(n), 2.f + n, 3.f, 14.f + n, 15.f, float(9 - n), 16.f, 17.f, 29.f, 30.f - n})
      boxes.push_back(v);
  const Tensor gt = from_vector(boxes, {4, 2, 5});
  const std::vector<Tensor> outs = forward_outputs(*e.model, x);
  auto terms = [&](uint64_t key) {
    std::vector<double> v;
    for (const auto& [name, t] : head->loss(outs, gt, Tensor(), key).terms) v.push_back(item<double>(t));
    return v;
  };
  const std::vector<double> first = terms(7);
  CHECK(terms(8) != first);   // another key samples other anchors and RoIs
  CHECK(terms(7) == first);   // the same key, after other calls, the same ones
}
