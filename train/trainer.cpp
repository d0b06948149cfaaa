// The training loop (see trainer.h).
#include "train/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "core/log.h"
#include "layers/basic.h"
#include "losses/losses.h"
#include "train/data/distorted_mnist.h"
#include "train/io/safetensors.h"

namespace oc {
namespace {

std::atomic<bool> g_interrupt{false};
void on_sigint(int) { g_interrupt = true; }

constexpr const char* kFormat = "ocellus-checkpoint-1";

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string format_eta(double s) {
  int64_t t = static_cast<int64_t>(s);
  return str_cat(t / 60, ":", (t % 60) < 10 ? "0" : "", t % 60);
}

// Dropout layers own generators: their offsets are part of the state to resume exactly.
std::vector<std::pair<std::string, Dropout*>> dropout_layers(Network& model) {
  std::vector<std::pair<std::string, Dropout*>> out;
  for (const auto& l : model.layers())
    if (auto* d = dynamic_cast<Dropout*>(l.module.get())) out.emplace_back(l.name, d);
  return out;
}

struct Position {
  int64_t epoch = 0;          // epochs completed
  int64_t step_in_epoch = 0;  // batches done in the current epoch
  int64_t global_step = 0;
  double best_accuracy = -1;
};

void save_checkpoint(const std::string& path, Network& model, const Optimizer& opt, const Experiment& e,
                     const Position& pos) {
  std::vector<NamedTensor> tensors;
  for (auto& [name, t] : model.named_parameters()) tensors.push_back({name, t});
  for (auto& [name, t] : model.named_buffers()) tensors.push_back({name, t});
  for (auto& p : opt.state()) tensors.push_back({"optimizer." + p.name, p.param});
  std::map<std::string, std::string> meta{{"format", kFormat},
                                          {"config", e.config.dump()},
                                          {"resolved_config", e.resolved.dump()},
                                          {"epoch", std::to_string(pos.epoch)},
                                          {"step_in_epoch", std::to_string(pos.step_in_epoch)},
                                          {"global_step", std::to_string(pos.global_step)},
                                          {"optimizer_steps", std::to_string(opt.steps())},
                                          {"best_accuracy", std::to_string(pos.best_accuracy)}};
  for (auto& [name, d] : dropout_layers(model)) meta["rng." + name] = std::to_string(d->generator().offset);
  save_safetensors(path, tensors, meta);
}

int64_t meta_int(const std::map<std::string, std::string>& m, const std::string& key, const std::string& file) {
  auto it = m.find(key);
  OC_CHECK(it != m.end(), file, ": checkpoint metadata lacks \"", key, "\"");
  try {
    return std::stoll(it->second);
  } catch (...) {
    OC_FAIL(file, ": checkpoint metadata \"", key, "\" is not a number: ", it->second);
  }
}

NamedTensors model_tensors_of(const SafetensorsFile& f) {
  NamedTensors out;
  for (const auto& t : f.tensors)
    if (t.name.rfind("optimizer.", 0) != 0) out.emplace_back(t.name, t.tensor);
  return out;
}

}  // namespace

ImageDataset load_split(const DataSettings& d, const std::string& split) {
  int64_t limit = split == "train" ? d.train_limit : d.test_limit;
  const Distortion kind = distortion_from_string(d.distortion);
  if (d.dataset == "fashion_mnist") {
    ImageDataset ds = load_fashion_mnist(d.dir.empty() ? default_fashion_mnist_dir() : d.dir, split, limit);
    // The test split's distortions are fixed, so every run is scored on the same images.
    return distort_dataset(ds, kind, split == "test" ? kDistortionTestSeed : d.distortion_seed);
  }
  OC_CHECK(kind == Distortion::none, "data.distortion: \"", d.distortion, "\" needs dataset \"fashion_mnist\", got \"",
           d.dataset, "\"");
  ImageDataset ds = load_image_folder(split == "train" ? d.train_dir : d.test_dir);
  if (limit > 0 && limit < ds.size()) {
    ds.images = slice(ds.images, 0, 0, limit);
    ds.labels = slice(ds.labels, 0, 0, limit);
  }
  return ds;
}

std::map<std::string, std::string> load_model_checkpoint(const std::string& path, Network& model) {
  SafetensorsFile f = load_safetensors(path);
  auto it = f.metadata.find("format");
  OC_CHECK(it != f.metadata.end() && it->second == kFormat, path, ": not an ocellus checkpoint (metadata format is ",
           it == f.metadata.end() ? "missing" : "\"" + it->second + "\"", ")");
  model.load_values(model_tensors_of(f), path);
  return f.metadata;
}

EvalResult evaluate(Network& model, const ImageDataset& data, const LoaderOptions& loader, Device device,
                    double label_smoothing) {
  auto t0 = std::chrono::steady_clock::now();
  LoaderOptions lo = loader;
  lo.shuffle = false;
  lo.drop_last = false;
  lo.augment = AugmentOptions{};
  DataLoader dl(data, lo);
  dl.start_epoch(0);
  bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  CrossEntropyOptions ce;
  ce.label_smoothing = label_smoothing;
  ce.reduction = Reduction::sum;
  double loss = 0;
  int64_t correct = 0, count = 0;
  Batch b;
  while (dl.next(b)) {
    Tensor x = to(b.images, device), y = to(b.labels, device);
    Tensor logits = model.forward(x);
    loss += item<double>(cross_entropy(logits, y, ce));
    std::vector<int64_t> pred = to_vector<int64_t>(argmax(logits, 1)), want = to_vector<int64_t>(b.labels);
    for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == want[i];
    count += static_cast<int64_t>(pred.size());
  }
  model.train(was_training);
  EvalResult r;
  r.count = count;
  r.loss = count ? loss / count : 0;
  r.accuracy = count ? static_cast<double>(correct) / count : 0;
  r.seconds = seconds_since(t0);
  return r;
}

EvalResult train_experiment(Experiment& e, const RunOptions& opt, bool* interrupted) {
  Device device = Device::parse(opt.device.empty() ? e.train.device : opt.device);
  if (device.is_cuda()) require_cuda("train");
  Network& model = *e.model;
  namespace fs = std::filesystem;
  fs::create_directories(opt.out_dir);
  const std::string last_path = opt.out_dir + "/last.safetensors", best_path = opt.out_dir + "/best.safetensors";

  std::unique_ptr<Task> task = make_task(e, true);
  const ImageDataset& train_data = task->train_data();

  model.to(device);
  model.train();
  std::vector<NamedParam> params;
  for (auto& [name, t] : model.named_parameters()) params.push_back({name, t});
  std::unique_ptr<Optimizer> optimizer =
      e.train.optimizer == "sgd" ? make_sgd(params, e.train.sgd) : make_adam(params, e.train.adam);
  DataLoader loader(train_data, e.data.loader);
  const int64_t steps_per_epoch = loader.batches_per_epoch();
  ScheduleOptions schedule = e.train.schedule;
  schedule.total_steps = steps_per_epoch * e.train.epochs;

  Position pos;
  if (opt.resume) {
    OC_CHECK(fs::exists(last_path), "--resume: ", last_path, " does not exist");
    SafetensorsFile f = load_safetensors(last_path);
    model.load_values(model_tensors_of(f), last_path);
    std::vector<NamedParam> state;
    for (const auto& t : f.tensors)
      if (t.name.rfind("optimizer.", 0) == 0) state.push_back({t.name.substr(10), to(t.tensor, device)});
    optimizer->load_state(state, meta_int(f.metadata, "optimizer_steps", last_path));
    pos.epoch = meta_int(f.metadata, "epoch", last_path);
    pos.step_in_epoch = meta_int(f.metadata, "step_in_epoch", last_path);
    pos.global_step = meta_int(f.metadata, "global_step", last_path);
    pos.best_accuracy = std::stod(f.metadata.at("best_accuracy"));
    for (auto& [name, d] : dropout_layers(model))
      d->generator().offset = static_cast<uint64_t>(meta_int(f.metadata, "rng." + name, last_path));
    log_info("resuming ", last_path, " at epoch ", pos.epoch + 1, ", step ", pos.step_in_epoch, "/", steps_per_epoch);
  }

  g_interrupt = false;
  auto previous_handler = std::signal(SIGINT, on_sigint);
  struct RestoreSignal {
    void (*h)(int);
    ~RestoreSignal() { std::signal(SIGINT, h); }
  } restore{previous_handler};
  if (interrupted) *interrupted = false;

  EvalResult last_eval;
  std::ofstream metrics(opt.out_dir + "/metrics.jsonl", opt.resume ? std::ios::app : std::ios::trunc);
  OC_CHECK(metrics.good(), opt.out_dir, "/metrics.jsonl: cannot write");
  for (int64_t epoch = pos.epoch; epoch < e.train.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    loader.start_epoch(epoch, pos.step_in_epoch);
    double loss_sum = 0;
    int64_t loss_count = 0, images = 0;
    Batch b;
    while (loader.next(b)) {
      double lr = lr_at(schedule, pos.global_step);
      optimizer->set_lr(lr);
      Tensor loss = task->loss(model, b, device);
      double lv = item<double>(loss);
      OC_CHECK(std::isfinite(lv), e.path, ": the loss became ", lv, " at step ", pos.global_step + 1, " (epoch ",
               epoch + 1, ", batch ", pos.step_in_epoch + 1, "); ", last_path,
               " keeps the last good state. Lower the learning rate or enable train.clip_grad_norm");
      optimizer->zero_grad();
      loss.backward();
      if (e.train.clip_grad_norm > 0) clip_grad_norm(params, e.train.clip_grad_norm);
      optimizer->step();
      pos.step_in_epoch++;
      pos.global_step++;
      loss_sum += lv;
      loss_count++;
      images += b.images.size(0);
      double secs = seconds_since(t0);
      double ips = images / std::max(secs, 1e-9);
      int64_t left = steps_per_epoch - pos.step_in_epoch;
      log_progress(str_cat("epoch ", epoch + 1, "/", e.train.epochs, "  step ", pos.step_in_epoch, "/", steps_per_epoch,
                           "  loss ", loss_sum / loss_count, "  ", static_cast<int64_t>(ips), " img/s  ETA ",
                           format_eta(left * secs / std::max<int64_t>(loss_count, 1))));
      if (!log_is_terminal() && e.train.log_every > 0 && pos.step_in_epoch % e.train.log_every == 0)
        log_info("epoch ", epoch + 1, " step ", pos.step_in_epoch, "/", steps_per_epoch, " loss ", loss_sum / loss_count,
                 " lr ", lr, " ", static_cast<int64_t>(ips), " img/s");
      if (g_interrupt || (opt.stop_after_steps > 0 && pos.global_step >= opt.stop_after_steps)) {
        save_checkpoint(last_path, model, *optimizer, e, pos);
        log_info("interrupted: saved ", last_path, " at epoch ", epoch + 1, ", step ", pos.step_in_epoch,
                 " (continue with --resume)");
        if (interrupted) *interrupted = true;
        return last_eval;
      }
    }
    double train_secs = seconds_since(t0);
    last_eval = task->evaluate(model, device);
    pos.epoch = epoch + 1;
    pos.step_in_epoch = 0;
    bool best = last_eval.accuracy > pos.best_accuracy;
    if (best) pos.best_accuracy = last_eval.accuracy;
    save_checkpoint(last_path, model, *optimizer, e, pos);
    if (best) save_checkpoint(best_path, model, *optimizer, e, pos);
    double train_loss = loss_count ? loss_sum / loss_count : 0;
    json m = {{"epoch", epoch + 1},
              {"train_loss", train_loss},
              {"test_loss", last_eval.loss},
              {"test_" + last_eval.score_name, last_eval.accuracy},
              {"lr", optimizer->lr()},
              {"seconds", train_secs},
              {"images_per_s", images / std::max(train_secs, 1e-9)}};
    for (auto& [name, value] : last_eval.metrics.items())
      if (!m.contains("test_" + name)) m["test_" + name] = value;
    metrics << m.dump() << "\n";
    metrics.flush();
    log_info("epoch ", epoch + 1, "/", e.train.epochs, "  train loss ", train_loss, "  test loss ", last_eval.loss,
             "  test ", last_eval.score_name, " ", last_eval.accuracy, "  ", static_cast<int64_t>(train_secs), " s",
             best ? "  (best)" : "");
  }
  return last_eval;
}

}  // namespace oc
