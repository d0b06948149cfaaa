// What a training run optimizes and how it is scored, behind one interface so that the training
// loop (trainer.cpp) serves every task: classification (train.loss, accuracy), pose (a pose head's
// loss, PCK or OKS AP; pose_task.cpp) and detection (a detection head's loss, COCO box AP; det_task.cpp). Tasks and classification losses are registries.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/registry.h"
#include "nets/network.h"
#include "train/data/loader.h"
#include "train/experiment.h"

namespace oc {

struct EvalResult {
  double loss = 0;
  double score = 0;                     // the task's primary metric, higher is better (selects best.safetensors)
  std::string score_name = "accuracy";  // its name: classification accuracy; pose pck@0.1 or oks_ap
  json metrics = json::object();        // every metric by name (written to metrics.jsonl and eval --json)
  int64_t count = 0;
  double seconds = 0;
};

// A data-parallel run's evaluation (docs/distributed.md): this process reads shard `index` of
// `count` of the split, and a task whose metrics are sums (classification: loss, correct, count)
// adds them up over the processes with `sum`, so that every process reports the one-process
// numbers. A task whose metrics are not sums (AP, PCK, LIFT's) ignores it and evaluates the whole
// split on every process.
struct EvalShard {
  int64_t index = 0, count = 1;
  std::function<void(std::vector<double>&)> sum;  // in place, over the processes
};

class Task {
 public:
  virtual ~Task() = default;
  virtual const ImageDataset& train_data() const = 0;
  // The loss of one batch (differentiable), on `device`.
  virtual Tensor loss(Network& model, const Batch& batch, Device device) = 0;
  // Loss and metrics on the evaluation split (the model in eval mode, no gradients).
  virtual EvalResult evaluate(Network& model, Device device) = 0;
  // Pose and detection: writes the last evaluation's detections as a COCO results file (keypoints or
  // boxes; image ids of the annotation file), so COCO's own tools can score them. Other tasks: an error.
  virtual void write_results(const std::string& path) const;
  // Whether the optimizer trains the model parameter `name` (named as Module::named_parameters);
  // the others are frozen (no gradient, no update), e.g. LIFT's earlier stages. Default: all.
  virtual bool trains(const std::string& name) const {
    (void)name;
    return true;
  }
  // The running sums a task keeps between evaluations (e.g. the detection loss terms of the epoch so
  // far): a mid-epoch checkpoint saves them, so that a resumed epoch reports what an uninterrupted
  // one does. Default: none.
  virtual json epoch_state() const { return json::object(); }
  virtual void restore_epoch_state(const json& state) { (void)state; }
  // See EvalShard; set once, before the first evaluation.
  void set_eval_shard(EvalShard shard) { eval_shard_ = std::move(shard); }

 protected:
  EvalShard eval_shard_;
};

// The key of a batch's own random draws in a task (LIFT's turns, the two-stage detectors' samplers):
// a function of the epoch's augmentation key and the batch's number only, so a run resumed mid-epoch
// draws what an uninterrupted one does.
uint64_t batch_draw_key(const Batch& b);

struct TaskKind {
  // Reads the task section's keys besides "type" (data: the data section, already read).
  std::function<void(ConfigObject& t, TaskSettings& s, const DataSettings& data)> read;
  // Loads the splits the experiment's data section names ("train" only when with_train) and checks
  // that the model fits them (input size, output shapes); errors name the config file.
  std::function<std::unique_ptr<Task>(const Experiment& e, bool with_train, const std::string& eval_split)> make;
};
const Registry<TaskKind>& task_registry();

std::unique_ptr<Task> make_task(const Experiment& e, bool with_train, const std::string& eval_split = "test");

// Classification losses (train.loss.type): logits [N, classes] and labels [N] -> the mean loss.
using ClassificationLoss = std::function<Tensor(const Tensor& logits, const Tensor& labels)>;
struct LossKind {
  std::function<void(ConfigObject& loss, TrainSettings& s)> read;  // its keys besides "type"
  std::function<ClassificationLoss(const TrainSettings& s)> make;
};
const Registry<LossKind>& loss_registry();

}  // namespace oc
