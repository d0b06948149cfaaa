// The classification task (cross-entropy, accuracy) and the task factory (see task.h).
#include "train/tasks/task.h"

#include "losses/losses.h"
#include "train/trainer.h"

namespace oc {
namespace {

class ClassificationTask : public Task {
 public:
  ClassificationTask(const Experiment& e, bool with_train, const std::string& eval_split)
      : data_(e.data), label_smoothing_(e.train.label_smoothing) {
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
    CrossEntropyOptions ce;
    ce.label_smoothing = label_smoothing_;
    return cross_entropy(model.forward(to(b.images, device)), to(b.labels, device), ce);
  }

  EvalResult evaluate(Network& model, Device device) override {
    EvalResult r = oc::evaluate(model, eval_, data_.loader, device, label_smoothing_);
    r.metrics = {{"accuracy", r.accuracy}};
    return r;
  }

 private:
  DataSettings data_;
  double label_smoothing_;
  ImageDataset train_, eval_;
};

}  // namespace

void Task::write_results(const std::string& path) const {
  OC_FAIL("--results ", path, ": only pose tasks write COCO result files");
}

std::unique_ptr<Task> make_task(const Experiment& e, bool with_train, const std::string& eval_split) {
  if (e.task.type == "pose") return make_pose_task(e, with_train, eval_split);
  return std::make_unique<ClassificationTask>(e, with_train, eval_split);
}

}  // namespace oc
