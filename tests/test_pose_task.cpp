// The pose task end to end on a small synthetic set: config checks, and a short training run in
// which the integral (soft-argmax) model's joint error falls well below its starting value.
#include <catch2/catch.hpp>

#include <cmath>

#include "nets/pose/keypoints.h"
#include "tests/helpers.h"
#include "train/data/homography.h"
#include "train/data/pose_dataset.h"
#include "train/data/pose_synth.h"
#include "train/tasks/task.h"
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
  REQUIRE_THROWS_WITH(experiment_from_json(c, "p.json"),
                      "p.json: task.head: unknown pose head \"integrel\" (did you mean \"integral\"?); known: direct, "
                      "heatmap, integral, paf");
  c = pose_config("a", "b", "heatmap");
  c["task"]["heatmap_loss"] = "mes";
  REQUIRE_THROWS_WITH(experiment_from_json(c, "p.json"),
                      "p.json: task.heatmap_loss: unknown heatmap loss \"mes\" (did you mean \"mse\"?); known: "
                      "cross_entropy, mse");
  c = pose_config("a", "b", "integral");
  c["data"] = {{"dataset", "fashion_mnist"}};
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"needs data.dataset \"pose_coco\""});
  c = pose_config("a", "b", "integral");
  c["task"]["max_people"] = 3;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.max_people"});
  c = pose_config("a", "b", "integral");
  c["data"]["crop"] = {{"margin", 1.5}};
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"data.crop.size"});
  c["data"]["crop"] = {{"size", 64}, {"scale_min", 2.0}, {"scale_max", 1.0}};
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"data.crop", "scale"});
  c = pose_config("a", "b", "integral");
  c["data"]["augment"] = {{"affine_degrees", 200}};
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"p.json", "data.augment", "affine_degrees"});
}

TEST_CASE("pose task: data.augment trains, the joints moving with the pixels") {
  test::TempDir dir("ocellus_pose_augment_run");
  write_single_person_set(dir.file("train"), 8, 1);
  json c = pose_config(dir.file("train"), dir.file("train"), "integral");
  c["train"]["epochs"] = 1;
  c["data"]["augment"] = {{"horizontal_flip", true}, {"affine_degrees", 20}, {"random_crop_padding", 4}};
  Experiment e = experiment_from_json(c, "p.json");
  RunOptions opt;
  opt.out_dir = dir.file("run");
  const EvalResult r = train_experiment(e, opt);  // refused before: the loader would not move the joints
  REQUIRE(std::isfinite(r.metrics.at("mean_pixel_error").get<double>()));
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

TEST_CASE("pose task: the integral model's joint error falls well below its initial value", "[slow]") {
  test::TempDir dir("ocellus_pose_train");
  write_single_person_set(dir.file("train"), 512, 1);
  write_single_person_set(dir.file("test"), 64, 2);
  Experiment e = experiment_from_json(pose_config(dir.file("train"), dir.file("test"), "integral"), "pose.json");
  const double before = make_task(e, false)->evaluate(*e.model, Device::cpu()).metrics["mean_pixel_error"];
  RunOptions opt;
  opt.out_dir = dir.file("run");
  EvalResult r = train_experiment(e, opt);
  const double after = r.metrics["mean_pixel_error"];
  INFO("mean pixel error " << before << " -> " << after << ", PCK@0.1 " << r.score);
  REQUIRE(r.score_name == "pck@0.1");
  REQUIRE(after < 0.6 * before);
  REQUIRE(r.metrics.contains("oks_ap"));
}

namespace {

// Two stages of (S, L) from a small stride-4 trunk on 64x64 images; 17 joints, 19 COCO limbs.
json paf_config(const std::string& train_dir, const std::string& test_dir) {
  json c = json::parse(R"({
    "model": {"input": [3, 64, 64], "layers": [
      {"name": "c1", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "r1", "type": "relu"},
      {"name": "c2", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1, "stride": 2},
      {"name": "trunk", "type": "relu"},
      {"name": "s1", "type": "conv2d", "out_channels": 17, "kernel": 3, "padding": 1},
      {"name": "l1", "type": "conv2d", "out_channels": 38, "kernel": 3, "padding": 1, "inputs": ["trunk"]},
      {"name": "cat1", "type": "concat", "inputs": ["trunk", "s1", "l1"]},
      {"name": "s2", "type": "conv2d", "out_channels": 17, "kernel": 3, "padding": 1},
      {"name": "l2", "type": "conv2d", "out_channels": 38, "kernel": 3, "padding": 1, "inputs": ["cat1"]}],
      "outputs": ["s1", "l1", "s2", "l2"]},
    "data": {"dataset": "pose_coco", "batch_size": 8, "workers": 1, "mean": 0.45, "std": 0.25},
    "train": {"epochs": 10, "seed": 2, "log_every": 0, "optimizer": {"type": "adam", "lr": 0.003}},
    "task": {"type": "pose", "head": "paf", "stride": 4, "max_people": 3, "sigma": 3, "limb_width": 3}})");
  c["data"]["train_dir"] = train_dir;
  c["data"]["test_dir"] = test_dir;
  return c;
}

}  // namespace

TEST_CASE("pose task: the paf head trains on several people per image and is scored by OKS AP", "[slow]") {
  test::TempDir dir("ocellus_pose_paf");
  PoseSynthOptions o;
  o.count = 48;
  o.size = 64;
  o.min_people = 1;
  o.max_people = 3;
  o.seed = 7;
  write_pose_synth(dir.file("train"), o);
  Experiment e = experiment_from_json(paf_config(dir.file("train"), dir.file("train")), "paf.json");
  std::unique_ptr<Task> task = make_task(e, true);
  // The stage losses are mean squared errors to rendered maps: the untrained loss is finite and positive.
  DataLoader dl(task->train_data(), e.data.loader);
  dl.start_epoch(0);
  Batch b;
  REQUIRE(dl.next(b));
  REQUIRE(b.targets.shape() == Shape{8, 3, 17, 3});
  const double before = item<double>(task->loss(*e.model, b, Device::cpu()));
  REQUIRE(std::isfinite(before));
  REQUIRE(before > 0);
  RunOptions opt;
  opt.out_dir = dir.file("run");
  EvalResult r = train_experiment(e, opt);
  REQUIRE(r.score_name == "oks_ap");
  REQUIRE(r.metrics.contains("oks_ap50"));
  REQUIRE_FALSE(r.metrics.contains("pck@0.1"));  // PCK pairs one person per image: not for paf
  e.model->eval();
  NoGradGuard no_grad;
  const double after = item<double>(task->loss(*e.model, b, Device::cpu()));
  // Predicting all zeros (no people anywhere) costs sum over 2 stages of the targets' mean squares:
  // the trained model must do better than that, i.e. have learned where people are.
  Tensor s = render_heatmaps(b.targets, 16, 16, 4, 3), l = render_pafs(b.targets, coco_person_skeleton().limbs, 16, 16, 4, 3);
  const double zero_baseline = 2 * (item<double>(mean(mul(s, s))) * 17 + item<double>(mean(mul(l, l))) * 38);
  INFO("paf loss on the first batch " << before << " -> " << after << ", all-zero prediction " << zero_baseline);
  REQUIRE(after < before);
  REQUIRE(after < zero_baseline);

  json bad = paf_config(dir.file("train"), dir.file("train"));
  bad["model"]["layers"][8]["out_channels"] = 36;
  Experiment eb = experiment_from_json(bad, "paf.json");
  test::require_error([&] { make_task(eb, false); }, {"paf.json", "\"l2\"", "[38, 16, 16]"});
}

TEST_CASE("pose task: heatmap head with mse to Gaussian targets learns, unweighted and weighted", "[slow]") {
  test::TempDir dir("ocellus_pose_mse");
  write_single_person_set(dir.file("train"), 128, 3);
  // The same seed gives the same untrained model, so the weighted error of its outputs lies between
  // the unweighted one and 4 times it (only the target cells count 4 times).
  std::vector<double> before;
  for (double weight : {1.0, 4.0}) {
    json c = pose_config(dir.file("train"), dir.file("train"), "heatmap");
    c["task"]["heatmap_loss"] = "mse";
    c["task"]["target_weight"] = weight;
    c["train"]["epochs"] = 10;
    Experiment e = experiment_from_json(c, "mse.json");
    before.push_back(make_task(e, false)->evaluate(*e.model, Device::cpu()).loss);
    RunOptions opt;
    opt.out_dir = dir.file("run" + std::to_string(static_cast<int>(weight)));
    EvalResult r = train_experiment(e, opt);
    INFO("target_weight " << weight << ": mse loss " << before.back() << " -> " << r.loss);
    REQUIRE(r.loss < (weight == 1 ? 0.5 : 1.0) * before.back());
  }
  REQUIRE(before[1] > before[0]);
  REQUIRE(before[1] < 4 * before[0]);
  json c = pose_config(dir.file("train"), dir.file("train"), "heatmap");
  c["task"]["target_weight"] = 0.5;
  test::require_error([&] { experiment_from_json(c, "mse.json"); }, {"task.target_weight", "must be >= 1"});
}

TEST_CASE("pose task: one crop per person, and crop coordinates map back to the image") {
  test::TempDir dir("ocellus_pose_crops");
  PoseSynthOptions o;
  o.count = 6;
  o.size = 96;
  o.min_people = 1;
  o.max_people = 3;
  o.seed = 9;
  CocoKeypoints coco = write_pose_synth(dir.str(), o);
  int64_t people = 0;
  for (const auto& ps : coco.people) people += static_cast<int64_t>(ps.size());
  PoseAugmentOptions crop;
  crop.size = 48;
  for (bool augment : {false, true}) {
    INFO((augment ? "augmented" : "plain") << " crops");
    PoseDataset ds = load_pose_crops(dir.str(), crop, augment, 5);
    REQUIRE(ds.data.images.shape() == Shape{people, 3, 48, 48});
    REQUIRE(ds.data.targets.shape() == Shape{people, 1, 17, 3});
    // Crop i's joints, taken back through to_image, land on the annotated joints of its person.
    int64_t i = 0, checked = 0;
    for (size_t img = 0; img < coco.people.size(); ++img)
      for (const Person& p : coco.people[img]) {
        const Homography& h = ds.to_image[static_cast<size_t>(i)];
        REQUIRE(ds.image_ids[static_cast<size_t>(i)] == coco.images[img].id);
        const std::vector<Keypoint>& kc = ds.people[static_cast<size_t>(i)][0].keypoints;
        for (size_t k = 0; k < 17; ++k) {
          if (kc[k].v == 0) continue;
          double x, y;
          homography_apply(h, kc[k].x, kc[k].y, &x, &y);
          // A flip swaps left and right joints: crop joint k is the person's joint k or its mirror.
          size_t mirror = k;
          for (const auto& pr : ds.skeleton.flip_pairs) {
            if (static_cast<size_t>(pr[0]) == k) mirror = static_cast<size_t>(pr[1]);
            if (static_cast<size_t>(pr[1]) == k) mirror = static_cast<size_t>(pr[0]);
          }
          auto near = [&](const Keypoint& want) { return std::abs(x - want.x) < 1e-2 && std::abs(y - want.y) < 1e-2; };
          const bool matched = near(p.keypoints[k]) || (augment && near(p.keypoints[mirror]));
          REQUIRE(matched);
          ++checked;
        }
        ++i;
      }
    REQUIRE(checked > people * 5);
  }
}
