// The training loop (see trainer.h): the device, the optimizer, resuming, the epochs and their steps,
// the metrics and the checkpoints (train/checkpoint.h), each in a small function.
#include "train/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/log.h"
#include "core/profile.h"
#include "core/timing.h"
#include "losses/losses.h"
#include "train/dist/data_parallel.h"
#include "train/eval_pass.h"
#include "train/io/atomic_file.h"
#include "train/optimizers.h"

namespace oc {
namespace {

std::atomic<bool> g_interrupt{false};
void on_sigint(int) { g_interrupt = true; }

// Ctrl-C sets g_interrupt while a run is on; the previous handler comes back after it.
struct SigintGuard {
  void (*previous)(int);
  SigintGuard() {
    g_interrupt = false;
    previous = std::signal(SIGINT, on_sigint);
  }
  ~SigintGuard() { std::signal(SIGINT, previous); }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string format_eta(double s) {
  int64_t t = static_cast<int64_t>(s);
  return str_cat(t / 60, ":", (t % 60) < 10 ? "0" : "", t % 60);
}

Device choose_device(const Experiment& e, const RunOptions& opt) {
  Device device = Device::parse(opt.device.empty() ? e.train.device : opt.device);
  if (device.is_cuda()) require_cuda("train");
  return device;
}

// Everything one run holds, shared by its steps.
struct Run {
  Run(Experiment& e, const RunOptions& opt, Device device)
      : e(e), opt(opt), dp(std::make_unique<DataParallel>(opt.comm, e.train.distributed)),
        device(dp->local_device(device)) {}
  Experiment& e;
  const RunOptions& opt;
  std::unique_ptr<DataParallel> dp;  // the processes of a data-parallel run (one: a plain run)
  Device device;
  std::unique_ptr<Task> task;
  std::vector<NamedParam> params;
  std::unique_ptr<Optimizer> optimizer;
  ScheduleOptions schedule;
  int64_t steps_per_epoch = 0;
  std::string last_path, best_path, metrics_path;
  std::vector<std::string> metrics_lines;  // metrics.jsonl, one line per finished epoch
  TrainPosition pos;
  bool interrupt_agreed = false;  // data-parallel: some process saw Ctrl-C by this step's loss
};

struct EpochStats {
  double loss_sum = 0;
  int64_t loss_count = 0, images = 0;
  double seconds_before = 0;  // spent on this epoch by the processes before a resume
  double seconds = 0;         // the whole epoch's, once it ended
  double mean_loss() const { return loss_count ? loss_sum / loss_count : 0; }
};

// The epoch's sums as a mid-epoch checkpoint keeps them (TrainPosition::epoch_sums; JSON numbers
// read back exactly), and back.
json epoch_sums_of(const EpochStats& st, const Task& task, double seconds) {
  return {{"loss_sum", st.loss_sum}, {"loss_count", st.loss_count}, {"images", st.images},
          {"seconds", seconds}, {"task", task.epoch_state()}};
}

EpochStats epoch_stats_from(const json& sums) {
  EpochStats st;
  st.loss_sum = sums.value("loss_sum", 0.0);
  st.loss_count = sums.value("loss_count", int64_t{0});
  st.images = sums.value("images", int64_t{0});
  st.seconds_before = sums.value("seconds", 0.0);
  return st;
}

// What a run builds before its first step: the task, the model on the device in training mode (from
// train.init_from unless resuming), the trained parameters (the rest frozen), the optimizer.
void prepare_run(Run& r) {
  Experiment& e = r.e;
  r.task = make_task(e, true);
  Network& model = *e.model;
  if (!e.train.init_from.empty() && !r.opt.resume) init_model_from(e.train.init_from, model);
  model.to(r.device);
  model.train();
  for (auto& [name, t] : model.named_parameters()) {
    if (r.task->trains(name)) r.params.push_back({name, t});
    else t.set_requires_grad(false);
  }
  OC_CHECK(!r.params.empty(), e.path, ": the task trains none of the model's parameters");
  // Data-parallel: the same setup on every process, rank 0's parameters everywhere, then the
  // gradient reducer and the sharded evaluation (no-ops for one process).
  DataParallel& dp = *r.dp;
  dp.check_same_setup({{"config", e.config}, {"resume", r.opt.resume}, {"device", r.device.is_cuda() ? "cuda" : "cpu"}},
                      r.params);
  dp.broadcast_model(model);
  dp.start(r.params);
  if (dp.active()) r.task->set_eval_shard({dp.rank(), dp.size(), [&dp](std::vector<double>& v) { dp.sum(v); }});
  r.pos.processes = dp.size();
  r.optimizer = make_optimizer(e.train, r.params, e.path);
  r.schedule = e.train.schedule;
}

// One optimizer step on batch b; returns the loss before the step.
double train_step(Run& r, const Batch& b, int64_t epoch) {
  r.optimizer->set_lr(lr_at(r.schedule, r.pos.global_step));
  Tensor loss = r.task->loss(*r.e.model, b, r.device);
  // Data-parallel: the loss reported is the mean over the processes (so a NaN anywhere stops every
  // process at this step), and the processes agree on Ctrl-C here.
  std::vector<double> agreed{item<double>(loss), g_interrupt ? 1.0 : 0.0};
  r.dp->sum(agreed);
  const double lv = agreed[0] / r.dp->size();
  r.interrupt_agreed = agreed[1] > 0;
  OC_CHECK(std::isfinite(lv), r.e.path, ": the loss became ", lv, " at step ", r.pos.global_step + 1, " (epoch ",
           epoch + 1, ", batch ", r.pos.step_in_epoch + 1, "); ", r.last_path,
           " keeps the last good state. Lower the learning rate or enable train.clip_grad_norm");
  r.optimizer->zero_grad();
  r.dp->backward(loss);  // loss.backward(), the gradients then averaged over the processes
  if (r.e.train.clip_grad_norm > 0) clip_grad_norm(r.params, r.e.train.clip_grad_norm);
  r.optimizer->step();
  r.pos.step_in_epoch++;
  r.pos.global_step++;
  return lv;
}

void log_step(const Run& r, int64_t epoch, const EpochStats& st, std::chrono::steady_clock::time_point t0) {
  if (!r.dp->is_main()) return;
  double secs = st.seconds_before + seconds_since(t0);
  double ips = st.images / std::max(secs, 1e-9);
  int64_t left = r.steps_per_epoch - r.pos.step_in_epoch;
  log_progress(str_cat("epoch ", epoch + 1, "/", r.e.train.epochs, "  step ", r.pos.step_in_epoch, "/",
                       r.steps_per_epoch, "  loss ", st.mean_loss(), "  ", static_cast<int64_t>(ips), " img/s  ETA ",
                       format_eta(left * secs / std::max<int64_t>(st.loss_count, 1))));
  if (!log_is_terminal() && r.e.train.log_every > 0 && r.pos.step_in_epoch % r.e.train.log_every == 0)
    log_info("epoch ", epoch + 1, " step ", r.pos.step_in_epoch, "/", r.steps_per_epoch, " loss ", st.mean_loss(),
             " lr ", r.optimizer->lr(), " ", static_cast<int64_t>(ips), " img/s");
}

// last.safetensors at the current step, with the epoch's sums so far (rank 0 of a data-parallel run).
void save_mid_epoch(Run& r, const EpochStats& st, std::chrono::steady_clock::time_point t0) {
  if (!r.dp->is_main()) return;
  r.pos.epoch_sums = epoch_sums_of(st, *r.task, st.seconds_before + seconds_since(t0));
  save_checkpoint(r.last_path, *r.e.model, *r.optimizer, r.e, r.pos);
}

// Trains the rest of one epoch, saving last.safetensors every train.checkpoint_every steps; false
// when interrupted (Ctrl-C or opt.stop_after_steps), after saving last.safetensors at the current step.
bool train_epoch(Run& r, DataLoader& loader, int64_t epoch, EpochStats& st) {
  auto t0 = std::chrono::steady_clock::now();
  loader.start_epoch(epoch, r.pos.step_in_epoch);
  const int64_t every = r.e.train.checkpoint_every;
  Batch b;
  while (loader.next(b)) {
    st.loss_sum += train_step(r, b, epoch);
    st.loss_count++;
    st.images += b.images.size(0) * r.dp->size();  // the global batch's
    log_step(r, epoch, st, t0);
    const bool interrupt = r.dp->active() ? r.interrupt_agreed : g_interrupt.load();
    if (interrupt || (r.opt.stop_after_steps > 0 && r.pos.global_step >= r.opt.stop_after_steps)) {
      save_mid_epoch(r, st, t0);
      if (r.dp->is_main())
        log_info("interrupted: saved ", r.last_path, " at epoch ", epoch + 1, ", step ", r.pos.step_in_epoch,
                 " (continue with --resume)");
      return false;
    }
    if (every > 0 && r.pos.global_step % every == 0) save_mid_epoch(r, st, t0);
  }
  st.seconds = st.seconds_before + seconds_since(t0);
  return true;
}

// One metrics.jsonl line: the score under "test_<its name>", then every other metric, prefixed
// "test_" unless it describes the training epoch (a name beginning "train_", e.g. a loss term).
std::string metrics_line(int64_t epoch, const EpochStats& st, const EvalResult& ev, double lr) {
  json m = {{"epoch", epoch + 1},
            {"train_loss", st.mean_loss()},
            {"test_loss", ev.loss},
            {"test_" + ev.score_name, ev.score},
            {"lr", lr},
            {"seconds", st.seconds},
            {"images_per_s", st.images / std::max(st.seconds, 1e-9)}};
  for (auto& [name, value] : ev.metrics.items()) {
    const std::string key = name.rfind("train_", 0) == 0 ? name : "test_" + name;
    if (!m.contains(key)) m[key] = value;
  }
  return m.dump();
}

// metrics.jsonl rewritten whole, atomically: after a crash every line is complete or absent.
void write_metrics_file(const Run& r) {
  std::string text;
  for (const std::string& line : r.metrics_lines) text += line + "\n";
  write_file_atomic(r.metrics_path, text);
}

// The lines of metrics.jsonl that belong to a checkpoint of `epochs` finished epochs: complete lines
// (newline-terminated JSON objects) up to that epoch. A crash after an epoch's line but before its
// checkpoint leaves a line that the resumed run writes again.
std::vector<std::string> metrics_lines_up_to(const std::string& path, int64_t epochs) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = text.substr(start, end - start);
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("epoch") || !j["epoch"].is_number_integer()) break;
    if (j["epoch"].get<int64_t>() > epochs) break;
    out.push_back(line);
  }
  return out;
}

// After an epoch: evaluate, then write in the order that keeps a crash at any point harmless: the
// metrics line (dropped on resume when the checkpoint predates it), best.safetensors when the score
// improved (a resume from an earlier checkpoint writes it again), last.safetensors.
// A data-parallel run evaluates rank 0's model (its batch norm statistics) on every process, and
// rank 0 alone writes and logs.
EvalResult finish_epoch(Run& r, int64_t epoch, const EpochStats& st) {
  r.dp->broadcast_buffers(*r.e.model);
  EvalResult ev = r.task->evaluate(*r.e.model, r.device);
  r.pos.epoch = epoch + 1;
  r.pos.step_in_epoch = 0;
  r.pos.epoch_sums = json::object();
  bool best = ev.score > r.pos.best_score;
  if (best) r.pos.best_score = ev.score;
  if (!r.dp->is_main()) return ev;
  r.metrics_lines.push_back(metrics_line(epoch, st, ev, r.optimizer->lr()));
  write_metrics_file(r);
  if (best) save_checkpoint(r.best_path, *r.e.model, *r.optimizer, r.e, r.pos);
  save_checkpoint(r.last_path, *r.e.model, *r.optimizer, r.e, r.pos);
  log_info("epoch ", epoch + 1, "/", r.e.train.epochs, "  train loss ", st.mean_loss(), "  test loss ", ev.loss,
           "  test ", ev.score_name, " ", ev.score, "  ", static_cast<int64_t>(st.seconds), " s",
           best ? "  (best)" : "");
  if (r.dp->active()) log_info(r.dp->timing_summary());
  return ev;
}

}  // namespace

EvalResult evaluate(Network& model, const ImageDataset& data, const LoaderOptions& loader, Device device,
                    double label_smoothing, const EvalShard& shard) {
  auto t0 = std::chrono::steady_clock::now();
  LoaderOptions sharded = loader;
  sharded.shard_index = shard.index, sharded.shard_count = shard.count;
  EvalPass pass(model, data, sharded);
  CrossEntropyOptions ce;
  ce.label_smoothing = label_smoothing;
  ce.reduction = Reduction::sum;
  double loss = 0;
  int64_t correct = 0, count = 0;
  Batch b;
  while (pass.next(b)) {
    Tensor x = to(b.images, device), y = to(b.labels, device);
    Tensor logits = model.forward(x);
    loss += item<double>(cross_entropy(logits, y, ce));
    std::vector<int64_t> pred = to_vector<int64_t>(argmax(logits, 1)), want = to_vector<int64_t>(b.labels);
    for (size_t i = 0; i < pred.size(); ++i) correct += pred[i] == want[i];
    count += static_cast<int64_t>(pred.size());
  }
  if (shard.count > 1) {  // every process's sums (counts are exact in a double up to 2^53)
    std::vector<double> sums{loss, static_cast<double>(correct), static_cast<double>(count)};
    shard.sum(sums);
    loss = sums[0], correct = static_cast<int64_t>(sums[1]), count = static_cast<int64_t>(sums[2]);
  }
  EvalResult r;
  r.count = count;
  r.loss = count ? loss / count : 0;
  r.score = count ? static_cast<double>(correct) / count : 0;
  r.seconds = seconds_since(t0);
  return r;
}

EvalResult train_experiment(Experiment& e, const RunOptions& opt, bool* interrupted) {
  namespace fs = std::filesystem;
  Run r(e, opt, choose_device(e, opt));
  const bool writes = r.dp->is_main();  // rank 0 of a data-parallel run writes; the others only train
  r.last_path = opt.out_dir + "/last.safetensors", r.best_path = opt.out_dir + "/best.safetensors";
  r.metrics_path = opt.out_dir + "/metrics.jsonl";
  if (writes) {
    fs::create_directories(opt.out_dir);
    for (const std::string* p : {&r.last_path, &r.best_path, &r.metrics_path}) remove_stale_temporaries(*p);
  }
  prepare_run(r);
  Network& model = *e.model;
  LoaderOptions shard = e.data.loader;  // this process's shard of every epoch (the whole with one process)
  shard.shard_index = r.dp->rank(), shard.shard_count = r.dp->size();
  DataLoader loader(r.task->train_data(), shard);
  r.steps_per_epoch = loader.batches_per_epoch();
  r.schedule.total_steps = r.steps_per_epoch * e.train.epochs;

  if (opt.resume) {
    if (writes) {  // rank 0 reads the checkpoint; a data-parallel run then sends it to the others
      OC_CHECK(fs::exists(r.last_path), "--resume: ", r.last_path, " does not exist");
      r.pos = load_checkpoint(r.last_path, model, *r.optimizer, r.device);
    }
    r.dp->broadcast_resumed(model, *r.optimizer, r.pos);
    OC_CHECK(r.pos.processes == r.dp->size(), "--resume: ", r.last_path, " was written by a run of ", r.pos.processes,
             " process(es), this one has ", r.dp->size(), ": resume with as many (mpirun -np ", r.pos.processes,
             "), since each process's share of an epoch depends on their number");
    r.task->restore_epoch_state(r.pos.epoch_sums.value("task", json::object()));
    // The rate the last step used, as the metrics line of an epoch that ends without another step reports.
    r.optimizer->set_lr(lr_at(r.schedule, std::max<int64_t>(r.pos.global_step - 1, 0)));
    if (writes) {
      r.metrics_lines = metrics_lines_up_to(r.metrics_path, r.pos.epoch);
      log_info("resuming ", r.last_path, " at epoch ", r.pos.epoch + 1, ", step ", r.pos.step_in_epoch, "/",
               r.steps_per_epoch);
    }
  }
  if (writes) write_metrics_file(r);

  SigintGuard sigint;
  if (interrupted) *interrupted = false;
  EvalResult last_eval;
  EpochStats st = epoch_stats_from(r.pos.epoch_sums);  // the resumed epoch's sums so far, else zeros
  for (int64_t epoch = r.pos.epoch; epoch < e.train.epochs; ++epoch, st = EpochStats()) {
    if (!train_epoch(r, loader, epoch, st)) {
      if (interrupted) *interrupted = true;
      return last_eval;
    }
    last_eval = finish_epoch(r, epoch, st);
  }
  r.dp->barrier();  // every process ends here, rank 0's last checkpoint written
  return last_eval;
}

StepTimes time_training_steps(Experiment& e, Device device, int steps, int warmup, bool profile) {
  OC_CHECK(steps > 0 && warmup >= 0, "bench train: --steps must be positive and --warmup not negative");
  RunOptions opt;
  Run r(e, opt, device);
  prepare_run(r);
  DataLoader loader(r.task->train_data(), e.data.loader);
  r.steps_per_epoch = loader.batches_per_epoch();
  r.schedule.total_steps = r.steps_per_epoch * e.train.epochs;
  StepTimes out;
  int64_t epoch = 0;
  loader.start_epoch(epoch);
  auto next_batch = [&](Batch& b) {
    while (!loader.next(b)) loader.start_epoch(++epoch);
  };
  // The epoch loop: the loader's wait and the step, as train_epoch runs them. time_runs_ms waits
  // for the device too (CUDA events), so a step's queued kernels count.
  Batch b;
  out.loop_ms = time_runs_ms(r.device, [&] {
    next_batch(b);
    train_step(r, b, epoch);
  }, warmup, steps);
  // The bare step: one batch held in memory, no loader.
  Batch held;
  next_batch(held);
  out.batch_size = held.images.size(0);
  out.step_ms = time_runs_ms(r.device, [&] { train_step(r, held, epoch); }, warmup, steps);
  if (profile) {  // separate steps, so the profile's own cost stays out of the timings above
    profile_start();
    out.profile_ms = time_once_ms(r.device, [&] {
      for (int i = 0; i < steps; ++i) train_step(r, held, epoch);
    }) / steps;
    out.profile = profile_stop();
    for (ProfileEntry& p : out.profile) {  // every step makes the same calls
      p.ms /= steps;
      p.calls /= steps;
    }
  }
  return out;
}

}  // namespace oc
