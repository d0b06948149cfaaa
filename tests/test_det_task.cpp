// The detection task end to end on small det-synth sets: the data set's targets are the file's boxes,
// config errors name the key, and short YOLO and Faster R-CNN runs lower the loss and raise the box AP.
#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/helpers.h"
#include "train/data/dataset.h"
#include "train/data/det_dataset.h"
#include "train/data/det_synth.h"
#include "train/data/pose_synth.h"
#include "train/tasks/task.h"
#include "train/trainer.h"

using namespace oc;

namespace {

// det-synth needs Fashion-MNIST and the opencv-doc photos; without them the test is skipped.
void write_set(const std::string& dir, int64_t count, int64_t size, uint64_t seed, const std::string& split) {
  DetSynthOptions o;
  o.backgrounds = default_pose_backgrounds();
  if (o.backgrounds.empty()) test::skip_test("no opencv-doc photos (apt-get install opencv-doc)");
  if (!std::filesystem::is_directory(default_fashion_mnist_dir()))
    test::skip_test(default_fashion_mnist_dir() + " not found (apt-get install dataset-fashion-mnist)");
  o.count = count, o.size = size, o.seed = seed, o.split = split;
  o.min_objects = 1, o.max_objects = 2;
  write_det_synth(dir, o);
}

json det_config(const std::string& train_dir, const std::string& test_dir) {
  json c = json::parse(R"({
    "model": {"input": [3, 64, 64], "layers": [
      {"name": "c1", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "b1", "type": "batchnorm2d"}, {"type": "relu"},
      {"name": "c2", "type": "conv2d", "out_channels": 32, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "b2", "type": "batchnorm2d"}, {"type": "relu"},
      {"name": "c3", "type": "conv2d", "out_channels": 48, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "b3", "type": "batchnorm2d"}, {"type": "relu"},
      {"name": "c4", "type": "conv2d", "out_channels": 48, "kernel": 3, "padding": 1},
      {"name": "b4", "type": "batchnorm2d"}, {"type": "relu"},
      {"name": "grid", "type": "conv2d", "out_channels": 45, "kernel": 1}]},
    "data": {"dataset": "det_coco", "batch_size": 16, "workers": 1, "mean": 0.45, "std": 0.25},
    "train": {"epochs": 14, "seed": 2, "log_every": 0, "optimizer": {"type": "adam", "lr": 0.003}},
    "task": {"type": "detection", "head": "yolo", "stride": 8, "anchors": [[10, 10], [20, 20], [36, 36]],
             "max_objects": 4}})");
  c["data"]["train_dir"] = train_dir;
  c["data"]["test_dir"] = test_dir;
  return c;
}

}  // namespace

TEST_CASE("det task: the targets are the file's non-crowd boxes as corners, by category id order", "[may_skip]") {
  test::TempDir dir("ocellus_det_data");
  write_set(dir.file("set"), 6, 64, 3, "test");
  const DetDataset ds = load_detection_dataset(dir.file("set"), 2, 5);
  REQUIRE(ds.data.images.shape() == (Shape{5, 3, 64, 64}));
  REQUIRE(ds.data.targets.shape() == (Shape{5, 2, 5}));
  REQUIRE(ds.coco.images.size() == 5);
  REQUIRE(ds.data.num_classes == 10);
  CHECK(ds.data.class_names[0] == "T-shirt/top");
  const std::vector<float> t = to_vector<float>(ds.data.targets);
  for (size_t i = 0; i < 5; ++i) {
    std::vector<const CocoDetAnnotation*> mine;
    for (const CocoDetAnnotation& a : ds.coco.annotations)
      if (a.image_id == ds.coco.images[i].id) mine.push_back(&a);
    REQUIRE(!mine.empty());
    for (size_t k = 0; k < 2; ++k) {
      const float* s = &t[(i * 2 + k) * 5];
      if (k >= mine.size()) {
        CHECK(s[0] == -1);
        continue;
      }
      const CocoDetAnnotation& a = *mine[k];
      CHECK(ds.category_ids[static_cast<size_t>(s[0])] == a.category_id);
      CHECK(s[1] == static_cast<float>(a.bbox[0]));
      CHECK(s[2] == static_cast<float>(a.bbox[1]));
      CHECK(s[3] == static_cast<float>(a.bbox[0] + a.bbox[2]));
      CHECK(s[4] == static_cast<float>(a.bbox[1] + a.bbox[3]));
    }
  }
  // Only the kept images' annotations stay in the ground truth.
  for (const CocoDetAnnotation& a : ds.coco.annotations) CHECK(a.image_id <= ds.coco.images.back().id);
  test::require_error([&] { load_detection_dataset(dir.file("nothing"), 2); }, {"nothing", "no annotations.json"});
  test::require_error([&] { load_detection_dataset(dir.file("set"), 0); }, {"max_objects", "got 0"});
}

TEST_CASE("det task: config errors name the key") {
  json c = det_config("a", "b");
  c["task"]["head"] = "yolo3";
  test::require_error([&] { experiment_from_json(c, "d.json"); }, {"d.json: task.head", "unknown detection head",
                                                                     "\"yolo3\"", "did you mean \"yolo\""});
  c = det_config("a", "b");
  c["task"]["anchors"] = json::parse("[[10, 10], [20]]");
  test::require_error([&] { experiment_from_json(c, "d.json"); }, {"d.json: task.anchors", "[number, number] pairs"});
  c = det_config("a", "b");
  c["task"]["anchors"] = json::parse("[[10, -1]]");
  test::require_error([&] { experiment_from_json(c, "d.json"); }, {"task.anchors", "positive", "-1"});
  c = det_config("a", "b");
  c["task"]["box_loss"] = "iou";
  test::require_error([&] { experiment_from_json(c, "d.json"); }, {"task.box_loss", "\"l2\" or \"giou\""});
  c = det_config("a", "b");
  c["task"]["nms_treshold"] = 0.4;
  test::require_error([&] { experiment_from_json(c, "d.json"); }, {"task.nms_treshold", "nms_threshold"});
  c = det_config("a", "b");
  c["task"]["score_threshold"] = 1;
  test::require_error([&] { experiment_from_json(c, "d.json"); }, {"task.score_threshold", "must be in [0, 1)", "got 1"});
  c = det_config("a", "b");
  c["task"]["max_detections"] = 0;
  test::require_error([&] { experiment_from_json(c, "d.json"); }, {"task.max_detections", "must be >= 1, got 0"});
  c = det_config("a", "b");
  c["data"] = {{"dataset", "fashion_mnist"}};
  test::require_error([&] { experiment_from_json(c, "d.json"); }, {"task.type", "\"detection\" needs data.dataset \"det_coco\""});
}

TEST_CASE("det task: a model whose grid does not fit the head is an error naming the shapes", "[may_skip]") {
  test::TempDir dir("ocellus_det_fit");
  write_set(dir.file("test"), 2, 64, 4, "test");
  json c = det_config(dir.file("test"), dir.file("test"));
  c["model"]["layers"].back()["out_channels"] = 44;
  Experiment e = experiment_from_json(c, "d.json");
  test::require_error([&] { make_task(e, false); }, {"d.json", "3 anchors, 10 classes", "[45, 8, 8]", "[44, 8, 8]"});
}

TEST_CASE("det task: a short YOLO run lowers the loss and raises the box AP", "[slow][may_skip]") {
  test::TempDir dir("ocellus_det_train");
  write_set(dir.file("train"), 1024, 64, 1, "train");
  write_set(dir.file("test"), 64, 64, 2, "test");
  Experiment e = experiment_from_json(det_config(dir.file("train"), dir.file("test")), "det.json");
  const EvalResult before = make_task(e, false)->evaluate(*e.model, Device::cpu());
  RunOptions opt;
  opt.out_dir = dir.file("run");
  const EvalResult after = train_experiment(e, opt);
  INFO("loss " << before.loss << " -> " << after.loss << ", AP " << before.score << " -> " << after.score << ", AP50 "
               << before.metrics["ap50"] << " -> " << after.metrics["ap50"]);
  REQUIRE(after.score_name == "ap");
  CHECK(after.loss < 0.5 * before.loss);
  CHECK(after.metrics["ap50"].get<double>() > before.metrics["ap50"].get<double>() + 0.05);
  CHECK(after.metrics.contains("loss_box"));
  CHECK(after.metrics.contains("train_loss_class"));
}

namespace {

// det_config's backbone with an RPN and a box head (and with `masks` a mask head): 3 anchors per
// cell at stride 8, RoIs pooled 4 x 4, 8 epochs.
json two_stage_config(const std::string& train_dir, const std::string& test_dir, bool masks) {
  json c = det_config(train_dir, test_dir);
  json& layers = c["model"]["layers"];
  layers.back() = json::parse(R"({"name": "features", "type": "relu"})");
  layers.push_back(json::parse(R"({"name": "rpn", "type": "conv2d", "out_channels": 48, "kernel": 3, "padding": 1})"));
  layers.push_back(json::parse(R"({"name": "rpn_relu", "type": "relu"})"));
  layers.push_back(json::parse(R"({"name": "objectness", "type": "conv2d", "out_channels": 3, "kernel": 1})"));
  layers.push_back(
      json::parse(R"({"name": "deltas", "type": "conv2d", "out_channels": 12, "kernel": 1, "inputs": ["rpn_relu"]})"));
  c["model"]["outputs"] = {"features", "objectness", "deltas"};
  c["train"]["epochs"] = 8;
  c["task"] = json::parse(R"({"type": "detection", "head": "faster_rcnn", "stride": 8, "anchor_sizes": [12, 24, 40],
    "aspect_ratios": [1], "max_objects": 4,
    "rpn": {"post_nms_top_k_train": 100, "post_nms_top_k_test": 50}, "roi": {"size": 4, "batch_size": 32},
    "box_head": {"layers": [{"type": "flatten"}, {"name": "fc", "type": "linear", "out_features": 64},
                            {"name": "h", "type": "relu"}, {"name": "cls", "type": "linear", "out_features": 11},
                            {"name": "box", "type": "linear", "out_features": 40, "inputs": ["h"]}],
                 "outputs": ["cls", "box"]}})");
  if (masks) {
    c["task"]["head"] = "mask_rcnn";
    c["task"]["roi"]["mask_size"] = 7;
    c["task"]["mask_head"] = json::parse(R"({"layers": [
      {"name": "m", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1}, {"type": "relu"},
      {"name": "up", "type": "conv_transpose2d", "out_channels": 16, "kernel": 2, "stride": 2}, {"type": "relu"},
      {"name": "maps", "type": "conv2d", "out_channels": 10, "kernel": 1}]})");
  }
  return c;
}

// Trains `c` and returns the test split's results before and after.
std::pair<EvalResult, EvalResult> train_and_compare(const json& c, const std::string& out_dir) {
  Experiment e = experiment_from_json(c, "two_stage.json");
  const EvalResult before = make_task(e, false)->evaluate(*e.model, Device::cpu());
  RunOptions opt;
  opt.out_dir = out_dir;
  const EvalResult after = train_experiment(e, opt);
  INFO("loss " << before.loss << " -> " << after.loss << ", AP " << before.score << " -> " << after.score << ", AP50 "
               << before.metrics["ap50"] << " -> " << after.metrics["ap50"]);
  CHECK(after.loss < 0.6 * before.loss);
  CHECK(after.metrics["ap50"].get<double>() > before.metrics["ap50"].get<double>() + 0.05);
  CHECK(after.metrics["loss_rpn_object"].get<double>() < before.metrics["loss_rpn_object"].get<double>());
  return {before, after};
}

}  // namespace

TEST_CASE("det task: a short Faster R-CNN run lowers the loss and raises the box AP", "[slow][may_skip]") {
  test::TempDir dir("ocellus_frcnn_train");
  write_set(dir.file("train"), 512, 64, 1, "train");
  write_set(dir.file("test"), 64, 64, 2, "test");
  train_and_compare(two_stage_config(dir.file("train"), dir.file("test"), false), dir.file("run"));
}

TEST_CASE("det task: a short Mask R-CNN run lowers the mask loss and raises the mask AP", "[slow][may_skip]") {
  test::TempDir dir("ocellus_mrcnn_train");
  write_set(dir.file("train"), 512, 64, 1, "train");
  write_set(dir.file("test"), 64, 64, 2, "test");
  const auto [before, after] = train_and_compare(two_stage_config(dir.file("train"), dir.file("test"), true), dir.file("run"));
  INFO("mask loss " << before.metrics["loss_mask"] << " -> " << after.metrics["loss_mask"] << ", mask AP50 "
                    << before.metrics["mask_ap50"] << " -> " << after.metrics["mask_ap50"]);
  CHECK(after.metrics["loss_mask"].get<double>() < 0.8 * before.metrics["loss_mask"].get<double>());
  CHECK(after.metrics["mask_ap50"].get<double>() > before.metrics["mask_ap50"].get<double>() + 0.05);
}
