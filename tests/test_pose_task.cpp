// The pose task end to end on a small synthetic set: config checks, and a short training run in
// which the integral (soft-argmax) model's joint error falls well below its starting value.
#include <catch2/catch.hpp>

#include "tests/helpers.h"
#include "train/pose_dataset.h"
#include "train/pose_synth.h"
#include "train/trainer.h"

using namespace oc;

namespace {

// One person per 64x64 image, plain backgrounds (no photos needed).
void write_single_person_set(const std::string& dir, int64_t count, uint64_t seed) {
  PoseSynthOptions o;
  o.count = count;
  o.size = 64;
  o.min_people = o.max_people = 1;
  o.seed = seed;
  write_pose_synth(dir, o);
}

json pose_config(const std::string& train_dir, const std::string& test_dir, const std::string& head) {
  json c = json::parse(R"({
    "model": {"input": [3, 64, 64], "layers": [
      {"name": "c1", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "b1", "type": "batchnorm2d"}, {"type": "relu"},
      {"name": "c2", "type": "conv2d", "out_channels": 32, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "b2", "type": "batchnorm2d"}, {"type": "relu"},
      {"name": "c3", "type": "conv2d", "out_channels": 32, "kernel": 3, "padding": 2, "dilation": 2},
      {"name": "b3", "type": "batchnorm2d"}, {"type": "relu"},
      {"name": "heatmaps", "type": "conv2d", "out_channels": 17, "kernel": 1}]},
    "data": {"dataset": "pose_coco", "batch_size": 16, "workers": 1, "mean": 0.45, "std": 0.25},
    "train": {"epochs": 12, "seed": 2, "log_every": 0, "optimizer": {"type": "adam", "lr": 0.003}},
    "task": {"type": "pose", "stride": 4}})");
  c["data"]["train_dir"] = train_dir;
  c["data"]["test_dir"] = test_dir;
  c["task"]["head"] = head;
  return c;
}

}  // namespace

TEST_CASE("pose task: config errors name the key") {
  json c = pose_config("a", "b", "integral");
  c["task"]["head"] = "integrel";
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.head", "did you mean \"integral\""});
  c = pose_config("a", "b", "integral");
  c["data"] = {{"dataset", "fashion_mnist"}};
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"needs data.dataset \"pose_coco\""});
  c = pose_config("a", "b", "integral");
  c["task"]["max_people"] = 3;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.max_people"});
  c = pose_config("a", "b", "integral");
  c["data"]["augment"] = {{"horizontal_flip", true}};
  Experiment e = experiment_from_json(c, "p.json");
  test::TempDir dir("ocellus_pose_cfg");
  write_single_person_set(dir.file("train"), 4, 1);
  e.data.train_dir = e.data.test_dir = dir.file("train");
  RunOptions opt;
  opt.out_dir = dir.file("run");
  test::require_error([&] { train_experiment(e, opt); }, {"augmentation would not move them"});
}

TEST_CASE("pose task: targets are the annotations in pixel-centre coordinates") {
  test::TempDir dir("ocellus_pose_targets");
  write_single_person_set(dir.str(), 3, 4);
  PoseDataset ds = load_pose_dataset(dir.str(), 1);
  REQUIRE(ds.data.targets.shape() == Shape{3, 1, 17, 3});
  std::vector<float> t = to_vector<float>(ds.data.targets);
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t k = 0; k < 17; ++k) {
      const Keypoint& kp = ds.people[i][0].keypoints[k];
      REQUIRE(t[(i * 17 + k) * 3 + 2] == static_cast<float>(kp.v));
      if (kp.v > 0) REQUIRE(t[(i * 17 + k) * 3] == Approx(kp.x - 0.5f));
    }
  test::require_error([&] { load_pose_dataset(dir.file("nope"), 1); }, {"no annotations.json"});
}

TEST_CASE("pose task: the integral model's joint error falls well below its initial value") {
  test::TempDir dir("ocellus_pose_train");
  write_single_person_set(dir.file("train"), 512, 1);
  write_single_person_set(dir.file("test"), 64, 2);
  Experiment e = experiment_from_json(pose_config(dir.file("train"), dir.file("test"), "integral"), "pose.json");
  const double before = make_task(e, false)->evaluate(*e.model, Device::cpu()).metrics["mean_pixel_error"];
  RunOptions opt;
  opt.out_dir = dir.file("run");
  EvalResult r = train_experiment(e, opt);
  const double after = r.metrics["mean_pixel_error"];
  INFO("mean pixel error " << before << " -> " << after << ", PCK@0.1 " << r.accuracy);
  REQUIRE(r.score_name == "pck@0.1");
  REQUIRE(after < 0.6 * before);
  REQUIRE(r.metrics.contains("oks_ap"));
}
