// The classification task (train.loss, accuracy), and the task and loss registries (see task.h).
#include "train/tasks/task.h"

#include "losses/losses.h"
#include "train/data/datasets.h"
#include "train/tasks/det_task.h"
#include "train/tasks/lift_task.h"
#include "train/tasks/pose_task.h"
#include "train/trainer.h"

namespace oc {

uint64_t batch_draw_key(const Batch& b) {
  // splitmix64's finalizer over (key + golden ratio * (index + 1)): neighbouring batches, and the
  // same batch of neighbouring epochs, get unrelated Philox keys.
  uint64_t x = b.augment_seed + 0x9E3779B97F4A7C15ull * (static_cast<uint64_t>(b.index) + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

namespace {

class ClassificationTask : public Task {
 public:
  ClassificationTask(const Experiment& e, bool with_train, const std::string& eval_split)
      : data_(e.data),
        label_smoothing_(e.train.label_smoothing),
        loss_(loss_registry().at(e.train.loss, e.path + ": train.loss.type").factory.make(e.train)) {
    if (with_train) train_ = load_split(e.data, "train");
    eval_ = load_split(e.data, eval_split);
    const ImageDataset& probe = with_train ? train_ : eval_;
    const Network& model = *e.model;
    Shape in_shape(probe.images.shape().begin() + 1, probe.images.shape().end());
    OC_CHECK(in_shape == model.input_shape(), e.path, ": model.input is ", shape_str(model.input_shape()),
             " but the ", with_train ? "training" : eval_split, " images are ", shape_str(in_shape));
    Shape out = model.output_shape(model.output_names()[0]);
    OC_CHECK(out.size() == 1 && out[0] == probe.num_classes, e.path, ": the model's output ", shape_str(out),
             " does not match the ", probe.num_classes, " classes of the data set (the last layer should be [",
             probe.num_classes, "])");
  }

  const ImageDataset& train_data() const override { return train_; }

  Tensor loss(Network& model, const Batch& b, Device device) override {
    return loss_(model.forward(to(b.images, device)), to(b.labels, device));
  }

  EvalResult evaluate(Network& model, Device device) override {
    EvalResult r = oc::evaluate(model, eval_, data_.loader, device, label_smoothing_, eval_shard_);
    r.metrics = {{"accuracy", r.score}};
    return r;
  }

 private:
  DataSettings data_;
  double label_smoothing_;
  ClassificationLoss loss_;
  ImageDataset train_, eval_;
};

// Classification reads no task keys; its data set must hold labelled images.
void read_classification(ConfigObject& t, TaskSettings&, const DataSettings& data) {
  OC_CHECK(dataset_registry().at(data.dataset, "data.dataset").factory.load_images, t.where("type"),
           ": data.dataset \"", data.dataset, "\" needs task type \"",
           dataset_registry().at(data.dataset, "data.dataset").factory.load_keypoints ? "pose" : "detection", "\"");
}

std::unique_ptr<Task> make_classification(const Experiment& e, bool with_train, const std::string& eval_split) {
  return std::make_unique<ClassificationTask>(e, with_train, eval_split);
}

void read_cross_entropy(ConfigObject& loss, TrainSettings& s) {
  s.label_smoothing = loss.get_double("label_smoothing", 0);
  OC_CHECK(s.label_smoothing >= 0 && s.label_smoothing < 1, loss.where("label_smoothing"), ": must be in [0, 1)");
}

ClassificationLoss make_cross_entropy(const TrainSettings& s) {
  CrossEntropyOptions ce;
  ce.label_smoothing = s.label_smoothing;
  return [ce](const Tensor& logits, const Tensor& labels) { return cross_entropy(logits, labels, ce); };
}

}  // namespace

const Registry<TaskKind>& task_registry() {
  static const Registry<TaskKind> r = [] {
    Registry<TaskKind> r("task type");
    r.add("classification", {}, {read_classification, make_classification});
    r.add("pose", pose_task_keys(), {read_pose_task, make_pose_task});
    r.add("detection", det_task_keys(), {read_det_task, make_det_task});
    r.add("lift", lift_task_keys(), {read_lift_task, make_lift_task});
    return r;
  }();
  return r;
}

const Registry<LossKind>& loss_registry() {
  static const Registry<LossKind> r = [] {
    Registry<LossKind> r("loss");
    r.add("cross_entropy", {"label_smoothing"}, {read_cross_entropy, make_cross_entropy});
    return r;
  }();
  return r;
}

void Task::write_results(const std::string& path) const {
  OC_FAIL("--results ", path, ": only pose and detection tasks write COCO result files");
}

std::unique_ptr<Task> make_task(const Experiment& e, bool with_train, const std::string& eval_split) {
  return task_registry().at(e.task.type, e.path + ": task.type").factory.make(e, with_train, eval_split);
}

}  // namespace oc
