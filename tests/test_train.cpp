// Training end to end on a Fashion-MNIST subset: accuracy, exact resume (weights, metrics and best
// checkpoint, stale metrics lines dropped), NaN detection, checkpoint validation, stale temporaries.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include <sys/wait.h>
#include <unistd.h>

#include "core/thread_pool.h"
#include "tests/helpers.h"
#include "train/io/safetensors.h"
#include "train/trainer.h"

using namespace oc;
namespace fs = std::filesystem;

namespace {

json tiny_config(int64_t epochs, int64_t train_limit) {
  json c = json::parse(R"({
    "model": {"input": [1, 28, 28], "layers": [
      {"name": "conv1", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 1},
      {"name": "bn1", "type": "batchnorm2d"}, {"type": "relu"},
      {"type": "maxpool2d", "kernel": 2},
      {"name": "conv2", "type": "conv2d", "out_channels": 16, "kernel": 3, "padding": 1},
      {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
      {"type": "flatten"}, {"name": "drop", "type": "dropout", "p": 0.1},
      {"name": "fc", "type": "linear", "out_features": 10}]},
    "data": {"batch_size": 32, "workers": 2, "mean": 0.286, "std": 0.353, "test_limit": 1000,
             "augment": {"horizontal_flip": true}},
    "train": {"epochs": 1, "seed": 3, "log_every": 0,
              "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
              "schedule": {"kind": "cosine", "warmup_steps": 20}}})");
  c["train"]["epochs"] = epochs;
  c["data"]["train_limit"] = train_limit;
  return c;
}

bool have_fashion_mnist() { return fs::exists(default_fashion_mnist_dir()); }

std::vector<float> all_values(Network& net) {
  std::vector<float> v;
  for (auto& [name, t] : net.named_parameters()) {
    auto x = to_vector<float>(t);
    v.insert(v.end(), x.begin(), x.end());
  }
  for (auto& [name, t] : net.named_buffers()) {
    auto x = to_vector<float>(t);
    v.insert(v.end(), x.begin(), x.end());
  }
  return v;
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

// The tensors of a safetensors file by name (the metadata left out).
std::map<std::string, std::vector<float>> file_tensors(const std::string& path) {
  std::map<std::string, std::vector<float>> m;
  for (const auto& t : load_safetensors(path).tensors)
    if (t.tensor.dtype() == DType::f32) m[t.name] = to_vector<float>(t.tensor);
  return m;
}

}  // namespace

TEST_CASE("train: a small CNN learns Fashion-MNIST (300 steps, above 70% test accuracy)", "[slow]") {
  if (!have_fashion_mnist()) FAIL("Fashion-MNIST is missing: tools/setup.sh installs dataset-fashion-mnist");
  Experiment e = experiment_from_json(tiny_config(1, 9600), "tiny.json");  // 300 steps of 32
  test::TempDir dir("ocellus_train_learn");
  RunOptions opt;
  opt.out_dir = dir.str();
  EvalResult r = train_experiment(e, opt);
  INFO("test accuracy " << r.score);
  REQUIRE(r.count == 1000);
  REQUIRE(r.score > 0.70);
  // metrics.jsonl: one line per epoch; both checkpoints exist.
  std::ifstream m(opt.out_dir + "/metrics.jsonl");
  std::string line;
  REQUIRE(std::getline(m, line));
  json j = json::parse(line);
  REQUIRE(j["epoch"] == 1);
  REQUIRE(j["test_accuracy"].get<double>() == Approx(r.score));
  REQUIRE(fs::exists(opt.out_dir + "/last.safetensors"));
  REQUIRE(fs::exists(opt.out_dir + "/best.safetensors"));
  // The checkpoint loads into a fresh model and gives the same accuracy.
  Experiment fresh = experiment_from_json(tiny_config(1, 9600), "tiny.json");
  load_model_checkpoint(opt.out_dir + "/best.safetensors", *fresh.model);
  EvalResult again = evaluate(*fresh.model, load_split(fresh.data, "test"), fresh.data.loader, Device::cpu());
  REQUIRE(again.score == r.score);
}

TEST_CASE("train: resuming mid-epoch continues exactly (same data order, optimizer and RNG state)", "[slow]") {
  if (!have_fashion_mnist()) FAIL("Fashion-MNIST is missing: tools/setup.sh installs dataset-fashion-mnist");
  // Two epochs of 20 steps straight through...
  Experiment full = experiment_from_json(tiny_config(2, 640), "tiny.json");
  test::TempDir dir_a("ocellus_train_resume_a"), dir_b("ocellus_train_resume_b");
  RunOptions a;
  a.out_dir = dir_a.str();
  train_experiment(full, a);
  // ...against stopping after 30 steps (as Ctrl-C does) and resuming in a fresh model.
  Experiment first = experiment_from_json(tiny_config(2, 640), "tiny.json");
  RunOptions b;
  b.out_dir = dir_b.str();
  b.stop_after_steps = 30;
  bool interrupted = false;
  train_experiment(first, b, &interrupted);
  REQUIRE(interrupted);
  // What a process killed after writing epoch 2's metrics line (and a torn third line) leaves behind:
  // the checkpoint at step 30 predates both, so the resume drops them and writes epoch 2's again.
  {
    std::ifstream in(b.out_dir + "/metrics.jsonl");
    std::string one((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(std::count(one.begin(), one.end(), '\n') == 1);
    std::ofstream(b.out_dir + "/metrics.jsonl", std::ios::app) << "{\"epoch\": 2, \"train_loss\": 9}\n{\"epoch\": 3, \"tr";
  }
  Experiment second = experiment_from_json(tiny_config(2, 640), "tiny.json");
  b.resume = true;
  b.stop_after_steps = 0;
  train_experiment(second, b);
  REQUIRE(all_values(*second.model) == all_values(*full.model));
  // Epoch 2's train_loss spans the resume (its sums came back from the checkpoint): every metric but
  // the timings equals the uninterrupted run's, and so does best.safetensors.
  const std::vector<json> want = metrics_of(a.out_dir), got = metrics_of(b.out_dir);
  REQUIRE(want.size() == 2);
  CHECK(got == want);
  CHECK(file_tensors(b.out_dir + "/best.safetensors") == file_tensors(a.out_dir + "/best.safetensors"));
}

TEST_CASE("train: one thread and three give the same run, bit for bit", "[slow]") {
  if (!have_fashion_mnist()) FAIL("Fashion-MNIST is missing: tools/setup.sh installs dataset-fashion-mnist");
  struct ThreadsRestored {
    ~ThreadsRestored() { set_num_threads(0); }
  } restore;
  std::vector<std::vector<float>> values;
  std::vector<std::vector<json>> metrics;
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    Experiment e = experiment_from_json(tiny_config(1, 320), "tiny.json");
    test::TempDir dir("ocellus_train_threads");
    RunOptions o;
    o.out_dir = dir.str();
    train_experiment(e, o);
    values.push_back(all_values(*e.model));
    metrics.push_back(metrics_of(o.out_dir));
  }
  CHECK(values[1] == values[0]);
  CHECK(metrics[1] == metrics[0]);
}

TEST_CASE("train: temporaries of dead writers are removed, a live process's and other files kept") {
  test::TempDir dir("ocellus_train_stale");
  const pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  REQUIRE(waitpid(child, nullptr, 0) == child);  // now a pid no process has
  const std::string dead = dir.file(".last.safetensors.tmp." + std::to_string(child) + ".3");
  const std::string live = dir.file(".last.safetensors.tmp." + std::to_string(getpid()) + ".0");
  const std::string other_file = dir.file(".best.safetensors.tmp." + std::to_string(child) + ".0");
  const std::string not_ours = dir.file(".last.safetensors.tmp.notapid");
  for (const std::string& f : {dead, live, other_file, not_ours}) std::ofstream(f) << "partial";
  CHECK(remove_stale_temporaries(dir.file("last.safetensors")) == 1);
  CHECK(!fs::exists(dead));
  CHECK(fs::exists(live));
  CHECK(fs::exists(other_file));  // another target's: its own call removes it
  CHECK(fs::exists(not_ours));
  CHECK(remove_stale_temporaries(dir.file("best.safetensors")) == 1);
  CHECK(!fs::exists(other_file));
}

TEST_CASE("train: a NaN loss stops with the step named, bad checkpoints are clear errors", "[slow]") {
  if (!have_fashion_mnist()) FAIL("Fashion-MNIST is missing: tools/setup.sh installs dataset-fashion-mnist");
  json c = tiny_config(1, 320);
  c["train"]["optimizer"]["lr"] = 1e30;
  Experiment e = experiment_from_json(c, "nan.json");
  test::TempDir nan_dir("ocellus_train_nan"), dir("ocellus_train_mismatch");
  RunOptions opt;
  opt.out_dir = nan_dir.str();
  REQUIRE_THROWS_WITH(train_experiment(e, opt), Catch::Contains("nan.json: the loss became") &&
                                                    Catch::Contains("at step"));
  // A checkpoint from a different architecture: the mismatching tensor is named.
  Experiment ok = experiment_from_json(tiny_config(1, 64), "tiny.json");
  opt.out_dir = dir.str();
  train_experiment(ok, opt);
  json wider = tiny_config(1, 64);
  wider["model"]["layers"][0]["out_channels"] = 12;
  Experiment other = experiment_from_json(wider, "wider.json");
  REQUIRE_THROWS_WITH(load_model_checkpoint(opt.out_dir + "/last.safetensors", *other.model),
                      Catch::Contains("conv1.weight") && Catch::Contains("[8, 1, 3, 3]"));
  // A truncated file is an error naming it, not a crash.
  std::string path = opt.out_dir + "/last.safetensors";
  fs::resize_file(path, fs::file_size(path) / 2);
  REQUIRE_THROWS_WITH(load_model_checkpoint(path, *ok.model), Catch::Contains(path));
  REQUIRE_THROWS_WITH(load_model_checkpoint(opt.out_dir + "/missing.safetensors", *ok.model),
                      Catch::Contains("missing.safetensors"));
}

TEST_CASE("train: an unknown name in any registry is an error at its JSON path, with a suggestion") {
  struct Case {
    const char* path;  // JSON pointer into the config
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"/task/type", "clasification",
       "c.json: task.type: unknown task type \"clasification\" (did you mean \"classification\"?); known: "
       "classification, detection, lift, pose"},
      {"/data/dataset", "fashion_mnst",
       "c.json: data.dataset: unknown data set \"fashion_mnst\" (did you mean \"fashion_mnist\"?); known: "
       "det_coco, fashion_mnist, homography_patches, image_folder, pose_coco"},
      {"/train/optimizer/type", "adma",
       "c.json: train.optimizer.type: unknown optimizer \"adma\" (did you mean \"adam\"?); known: adam, adamw, sgd"},
      {"/train/schedule/kind", "cosin",
       "c.json: train.schedule.kind: unknown schedule \"cosin\" (did you mean \"cosine\"?); known: constant, "
       "cosine, step"},
      {"/train/loss/type", "cross_entropi",
       "c.json: train.loss.type: unknown loss \"cross_entropi\" (did you mean \"cross_entropy\"?); known: "
       "cross_entropy"},
      {"/model/layers/0/type", "conv2", "c.json: model.layers[0].type: unknown layer type \"conv2\" (did you mean "},
  };
  for (const Case& k : cases) {
    INFO(k.path << " = " << k.value);
    json c = tiny_config(1, 64);
    c[json::json_pointer(k.path)] = k.value;
    REQUIRE_THROWS_WITH(experiment_from_json(c, "c.json"), Catch::StartsWith(k.message));
  }
}

TEST_CASE("train: config errors in data and train sections name the path") {
  json c = tiny_config(1, 64);
  c["train"]["optimizer"]["type"] = "adma";
  REQUIRE_THROWS_WITH(experiment_from_json(c, "c.json"),
                      Catch::Contains("c.json: train.optimizer.type: unknown optimizer \"adma\" (did you mean \"adam\"?)"));
  c = tiny_config(1, 64);
  c["data"]["batchsize"] = 3;
  REQUIRE_THROWS_WITH(experiment_from_json(c, "c.json"),
                      "c.json: data.batchsize: unknown key (did you mean \"batch_size\"?)");
  c = tiny_config(1, 64);
  c["train"]["epochs"] = "three";
  REQUIRE_THROWS_WITH(experiment_from_json(c, "c.json"), "c.json: train.epochs: expected an integer, got \"three\"");
}

TEST_CASE("train: a config number out of range is an error naming the file, or the --set") {
  test::TempDir dir("ocellus_config_range");
  const std::string path = dir.file("big.json");
  {
    std::ofstream f(path);
    f << R"({"train": {"epochs": 1e999}})";
  }
  test::require_error([&] { load_experiment(path, {}); }, {path + ": invalid JSON", "1e999"});
  {
    std::ofstream f(path);
    f << tiny_config(1, 64).dump();
  }
  test::require_error([&] { load_experiment(path, {"train.epochs=1e999"}); }, {"--set train.epochs=1e999", "1e999"});
}
