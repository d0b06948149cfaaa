// What a training run optimizes and how it is scored, behind one interface so that the training
// loop (trainer.cpp) serves every task: classification (cross-entropy, accuracy) and pose
// (keypoint losses, PCK and OKS AP; pose_task.cpp).
#pragma once
#include <memory>
#include <string>

#include "nets/network.h"
#include "train/data/loader.h"
#include "train/experiment.h"

namespace oc {

struct EvalResult {
  double loss = 0;
  double accuracy = 0;           // the task's primary score, higher is better (selects best.safetensors)
  std::string score_name = "accuracy";  // classification: accuracy; pose: pck@0.1
  json metrics = json::object(); // every metric by name (written to metrics.jsonl and eval --json)
  int64_t count = 0;
  double seconds = 0;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual const ImageDataset& train_data() const = 0;
  // The loss of one batch (differentiable), on `device`.
  virtual Tensor loss(Network& model, const Batch& batch, Device device) = 0;
  // Loss and metrics on the evaluation split (the model in eval mode, no gradients).
  virtual EvalResult evaluate(Network& model, Device device) = 0;
  // Pose: writes the last evaluation's detections as a COCO keypoint results file (image ids of the
  // annotation file), so COCO's own tools can score them. Other tasks: an error.
  virtual void write_results(const std::string& path) const;
};

// Loads the splits the experiment's data section names ("train" only when with_train) and checks
// that the model fits them (input size, output shapes); errors name the config file.
std::unique_ptr<Task> make_task(const Experiment& e, bool with_train, const std::string& eval_split = "test");
std::unique_ptr<Task> make_pose_task(const Experiment& e, bool with_train, const std::string& eval_split);

}  // namespace oc
