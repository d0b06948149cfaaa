// The LIFT task end to end on a small set generated from two opencv-doc photos: each stage trains
// only its own network (the others' tensors stay bit-identical), the stages chain through
// train.init_from, the descriptor stage lowers its test loss, the pair evaluation reports matching
// scores in range, and config errors name the key.
#include <catch2/catch.hpp>

#include "tests/helpers.h"
#include "train/checkpoint.h"
#include "train/data/homography_pairs.h"
#include "train/experiment.h"
#include "train/tasks/task.h"
#include "train/trainer.h"

using namespace oc;

namespace {

// A quadruplet set from the first two training photos (skips without opencv-doc).
struct LiftSet {
  test::TempDir train{"lift_task_train"}, test{"lift_task_test"};
  LiftSet() {
    std::vector<std::string> photos = homography_pairs_photos("train");
    if (photos.size() < 2) test::skip_test("opencv-doc's photos are missing (tools/setup.sh installs opencv-doc)");
    HomographyPairsOptions opt;
    opt.photos = {photos[0], photos[1]};
    opt.pairs_per_photo = 3;
    opt.points_per_pair = 24;
    opt.seed = 5;
    write_homography_pairs(train.str(), opt);
    opt.pairs_per_photo = 1;
    opt.seed = 6;
    write_homography_pairs(test.str(), opt);
  }
};

const LiftSet& lift_set() {
  static LiftSet set;
  return set;
}

json lift_config(const std::string& stage) {
  json c = json::parse(R"({
    "model": {"input": [1, 64, 64], "layers": [
      {"name": "d1", "type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
      {"name": "score", "type": "conv2d", "out_channels": 1, "kernel": 3, "padding": 1}]},
    "data": {"dataset": "homography_patches", "batch_size": 16, "workers": 1, "mean": 0.45, "std": 0.25},
    "train": {"epochs": 1, "seed": 4, "log_every": 0, "optimizer": {"type": "adam", "lr": 0.003}},
    "task": {"type": "lift", "crop": 16, "crop_extent": 32, "max_keypoints": 100,
             "orientation": {"layers": [{"name": "o1", "type": "conv2d", "out_channels": 4, "kernel": 3, "stride": 2},
                                        {"type": "relu"}, {"type": "flatten"}, {"name": "o2", "type": "linear", "out_features": 2}]},
             "descriptor": {"layers": [{"name": "c1", "type": "conv2d", "out_channels": 8, "kernel": 3, "stride": 2},
                                       {"name": "bn", "type": "batchnorm2d"}, {"type": "relu"},
                                       {"type": "flatten"}, {"name": "c2", "type": "linear", "out_features": 16}]}}})");
  c["data"]["train_dir"] = lift_set().train.str();
  c["data"]["test_dir"] = lift_set().test.str();
  c["task"]["stage"] = stage;
  return c;
}

std::map<std::string, std::vector<float>> tensors_of(Network& model) {
  std::map<std::string, std::vector<float>> m;
  for (auto& [name, t] : model.named_parameters()) m[name] = to_vector<float>(t);
  for (auto& [name, t] : model.named_buffers())
    if (t.dtype() == DType::f32) m[name] = to_vector<float>(t);
  return m;
}

std::string part_of(const std::string& name) {
  if (name.rfind("orientation.", 0) == 0) return "orientation";
  if (name.rfind("descriptor.", 0) == 0) return "descriptor";
  return "detector";
}

// Trains `stage` one epoch (from `init_from` when given); checks that exactly its part changed.
void train_stage(const std::string& stage, const std::string& init_from, const std::string& out) {
  json c = lift_config(stage);
  if (!init_from.empty()) c["train"]["init_from"] = init_from;
  Experiment e = experiment_from_json(c, stage + ".json");
  if (!init_from.empty()) init_model_from(init_from, *e.model);  // what train_experiment starts from
  const auto before = tensors_of(*e.model);
  RunOptions opt;
  opt.out_dir = out;
  train_experiment(e, opt);
  const auto after = tensors_of(*e.model);
  for (const auto& [name, v] : before) {
    INFO(stage << " stage, tensor " << name);
    if (part_of(name) == stage) CHECK(after.at(name) != v);
    else CHECK(after.at(name) == v);
  }
}

}  // namespace

TEST_CASE("lift task: each stage trains only its network, chained by init_from", "[lift]") {
  test::TempDir runs("lift_task_runs");
  train_stage("descriptor", "", runs.file("descriptor"));
  train_stage("orientation", runs.file("descriptor/last.safetensors"), runs.file("orientation"));
  train_stage("detector", runs.file("orientation/last.safetensors"), runs.file("detector"));
}

TEST_CASE("lift task: an interrupted orientation stage resumes to the uninterrupted run's weights", "[lift]") {
  // The stage turns its crops at random: the turns must come out the same after a resume.
  test::TempDir runs("lift_task_resume");
  json c = lift_config("orientation");
  c["train"]["epochs"] = 2;
  Experiment full = experiment_from_json(c, "o.json");
  RunOptions a;
  a.out_dir = runs.file("full");
  train_experiment(full, a);
  Experiment first = experiment_from_json(c, "o.json");
  RunOptions b;
  b.out_dir = runs.file("cut");
  const int64_t batches = (load_homography_patches(lift_set().train.str()).size() + 15) / 16;
  REQUIRE(batches >= 2);
  b.stop_after_steps = batches + 1;  // the second step of the second epoch
  bool interrupted = false;
  train_experiment(first, b, &interrupted);
  REQUIRE(interrupted);
  Experiment second = experiment_from_json(c, "o.json");
  b.resume = true;
  b.stop_after_steps = 0;
  train_experiment(second, b);
  CHECK(tensors_of(*second.model) == tensors_of(*full.model));
  // And the turns do matter: without them the run ends elsewhere.
  c["task"]["augment_degrees"] = 0;
  Experiment other = experiment_from_json(c, "o.json");
  RunOptions d;
  d.out_dir = runs.file("other");
  train_experiment(other, d);
  CHECK(tensors_of(*other.model) != tensors_of(*full.model));
}

TEST_CASE("lift task: the descriptor stage lowers its test loss, pairs are scored in range", "[lift]") {
  test::TempDir runs("lift_task_learn");
  json c = lift_config("descriptor");
  c["train"]["epochs"] = 4;
  c["task"]["eval_pairs"] = 2;
  Experiment e = experiment_from_json(c, "d.json");
  std::unique_ptr<Task> task = make_task(e, false);
  const EvalResult first = task->evaluate(*e.model, Device::cpu());
  RunOptions opt;
  opt.out_dir = runs.str();
  const EvalResult last = train_experiment(e, opt);
  CHECK(last.loss < first.loss);
  CHECK(last.score_name == "mma@3");
  for (const char* k : {"mma@1", "mma@3", "mma@10", "repeatability", "homography_accuracy@3", "fpr95"}) {
    INFO(k);
    const double v = last.metrics.at(k).get<double>();
    CHECK(v >= 0);
    CHECK(v <= 1);
  }
  CHECK(last.metrics.at("mma@1").get<double>() <= last.metrics.at("mma@10").get<double>());
  CHECK(last.metrics.at("keypoints").get<double>() > 10);
}

TEST_CASE("lift task: config errors name the key", "[lift]") {
  json c = lift_config("descriptor");
  c["task"]["stage"] = "detectr";
  test::require_error([&] { experiment_from_json(c, "l.json"); }, {"l.json: task.stage", "\"detectr\""});
  c = lift_config("descriptor");
  c["task"].erase("descriptor");
  test::require_error([&] { experiment_from_json(c, "l.json"); }, {"task.descriptor", "needs its descriptor network"});
  c = lift_config("descriptor");
  c["task"]["descriptor_loss"] = "triplet";
  test::require_error([&] { experiment_from_json(c, "l.json"); }, {"task.descriptor_loss", "hardest_triplet"});
  c = lift_config("descriptor");
  c["data"]["dataset"] = "fashion_mnist";
  c["data"].erase("train_dir");
  c["data"].erase("test_dir");
  test::require_error([&] { experiment_from_json(c, "l.json"); }, {"task.type", "homography_patches"});
  c = lift_config("descriptor");
  c["model"]["input"] = json::array({1, 32, 32});
  Experiment e = experiment_from_json(c, "l.json");
  test::require_error([&] { make_task(e, false); }, {"l.json: model.input", "[1, 64, 64]"});
}
