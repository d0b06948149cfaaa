// The training loop for every task (train/tasks/task.h): data, optimizer, schedule, metrics, checkpoints,
// resume, Ctrl-C, and evaluation.
#pragma once
#include <string>

#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/data/datasets.h"
#include "train/experiment.h"
#include "train/tasks/task.h"

namespace oc {

struct RunOptions {
  std::string out_dir;          // metrics.jsonl, last.safetensors, best.safetensors
  bool resume = false;          // continue from out_dir/last.safetensors
  std::string device;           // overrides train.device when non-empty
  int64_t stop_after_steps = 0; // > 0: behave as if interrupted after this many steps (tests)
};


// Trains, evaluating on the test split after every epoch; returns the last evaluation.
// A NaN/Inf loss stops with an error naming the step (last.safetensors keeps the last good epoch);
// Ctrl-C saves last.safetensors at the current step and returns early (interrupted = true).
EvalResult train_experiment(Experiment& e, const RunOptions& opt, bool* interrupted = nullptr);

// Mean cross-entropy loss and accuracy (the score) of the model (eval mode) on a data set.
EvalResult evaluate(Network& model, const ImageDataset& data, const LoaderOptions& loader, Device device,
                    double label_smoothing = 0);

}  // namespace oc
