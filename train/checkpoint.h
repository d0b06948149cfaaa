// Training checkpoints: safetensors files with the model's tensors under their module paths, the
// optimizer state under "optimizer.", and metadata (the config, the position in the run, dropout
// generator offsets) enough to resume a run exactly.
#pragma once
#include <limits>
#include <map>
#include <string>

#include "nets/network.h"
#include "train/experiment.h"
#include "train/optim.h"

namespace oc {

// Where a run stands.
struct TrainPosition {
  int64_t epoch = 0;          // epochs completed
  int64_t step_in_epoch = 0;  // batches done in the current epoch
  int64_t global_step = 0;
  // The best evaluation score so far (metadata "best_accuracy"); scores may be negative (LIFT's -loss).
  double best_score = -std::numeric_limits<double>::infinity();
  // The running sums of the epoch in progress (the trainer's and the task's; metadata "epoch_sums"),
  // so that a run resumed mid-epoch writes the metrics line an uninterrupted one does.
  json epoch_sums = json::object();
  // The processes of the run (metadata "processes"; a data-parallel run's, docs/distributed.md): a
  // resume must use as many, since each one's share of an epoch depends on it. 1 when absent.
  int64_t processes = 1;
};

void save_checkpoint(const std::string& path, Network& model, const Optimizer& opt, const Experiment& e,
                     const TrainPosition& pos);
// Restores the model, the optimizer state (moved to `device`) and dropout offsets from a checkpoint
// save_checkpoint wrote; returns its position.
TrainPosition load_checkpoint(const std::string& path, Network& model, Optimizer& opt, Device device);
// Loads a checkpoint's model tensors into `model`; returns the checkpoint's metadata.
std::map<std::string, std::string> load_model_checkpoint(const std::string& path, Network& model);

// train.init_from: the model tensors of another run's checkpoint (e.g. an earlier training stage),
// names matched strictly: a tensor the model lacks or the file lacks, or another shape, is an
// error naming it and the file. The optimizer state and the position are not taken.
void init_model_from(const std::string& path, Network& model);

// The temporaries write_file_atomic (train/io/atomic_file.cpp) left beside `path` when its process
// died mid-write (".NAME.tmp.PID.N" where no process PID runs any more) are removed, so that
// repeated crashes leave no litter. Returns how many.
int remove_stale_temporaries(const std::string& path);

}  // namespace oc
