// The training loop for every task (train/tasks/task.h): data, optimizer, schedule, metrics, checkpoints,
// resume, Ctrl-C, and evaluation.
#pragma once
#include <string>
#include <vector>

#include "core/profile.h"

#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/data/datasets.h"
#include "train/dist/communicator.h"
#include "train/experiment.h"
#include "train/tasks/task.h"

namespace oc {

struct RunOptions {
  std::string out_dir;          // metrics.jsonl, last.safetensors, best.safetensors
  bool resume = false;          // continue from out_dir/last.safetensors
  std::string device;           // overrides train.device when non-empty
  int64_t stop_after_steps = 0; // > 0: behave as if interrupted after this many steps (tests)
  // A data-parallel run's processes (start_communicator, train/dist/); null: one process.
  std::shared_ptr<Communicator> comm;
};


// Trains, evaluating on the test split after every epoch; returns the last evaluation.
// last.safetensors is written after every epoch and every train.checkpoint_every steps; every file
// is written atomically and in an order that lets --resume continue from the last complete
// checkpoint after a crash at any moment, ending where an uninterrupted run ends (metrics.jsonl
// loses the lines written after that checkpoint; temporaries of dead writers are removed).
// A NaN/Inf loss stops with an error naming the step (last.safetensors keeps the last good state);
// Ctrl-C saves last.safetensors at the current step and returns early (interrupted = true).
// With opt.comm over several processes, the run is data-parallel (docs/distributed.md): each
// process trains on its shard of every epoch with the gradients averaged over all, and rank 0
// alone writes the files and logs; every process returns the same evaluation.
EvalResult train_experiment(Experiment& e, const RunOptions& opt, bool* interrupted = nullptr);

// Mean cross-entropy loss and accuracy (the score) of the model (eval mode) on a data set; with a
// shard (EvalShard, train/tasks/task.h) on this process's shard, the sums added up over the processes.
EvalResult evaluate(Network& model, const ImageDataset& data, const LoaderOptions& loader, Device device,
                    double label_smoothing = 0, const EvalShard& shard = {});

// `ocellus bench train`: builds what a run builds before its first step, then times `steps` steps of
// the epoch loop with the real loader (its waits included), then `steps` steps on one batch held in
// memory (the bare step: forward, loss, backward, optimizer), each after `warmup` untimed steps. The
// steps are real (the weights change); nothing is written. With `profile`, `steps` more bare steps
// under the op profile (core/profile.h), per step.
struct StepTimes {
  std::vector<double> step_ms, loop_ms;  // one per timed step
  int64_t batch_size = 0;
  std::vector<ProfileEntry> profile;     // per step (ms and calls), the slowest kernel first
  double profile_ms = 0;                 // a profiled step's wall time
};
StepTimes time_training_steps(Experiment& e, Device device, int steps, int warmup, bool profile);

}  // namespace oc
