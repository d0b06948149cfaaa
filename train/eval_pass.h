// One pass over an evaluation split, shared by every task's evaluate(): the data in order, every
// sample (of the loader's shard, when sharded: each sample in exactly one shard), no augmentation, and the model in eval mode without gradients while the pass lives (its
// mode restored after, also when an error ends the pass early).
#pragma once
#include "core/autograd.h"
#include "nets/network.h"
#include "train/data/loader.h"

namespace oc {

class EvalPass {
 public:
  EvalPass(Network& model, const ImageDataset& data, const LoaderOptions& loader)
      : model_(model), was_training_(model.is_training()), loader_(data, in_order(loader)) {
    model_.eval();
    loader_.start_epoch(0);
  }
  ~EvalPass() { model_.train(was_training_); }
  EvalPass(const EvalPass&) = delete;
  EvalPass& operator=(const EvalPass&) = delete;

  bool next(Batch& b) { return loader_.next(b); }

 private:
  static LoaderOptions in_order(LoaderOptions o) {
    o.shuffle = false;
    o.drop_last = false;
    o.augment = AugmentOptions{};
    o.shard_pad = false;  // a sharded evaluation reads every sample once
    return o;
  }

  Network& model_;
  bool was_training_;
  NoGradGuard no_grad_;
  DataLoader loader_;
};

}  // namespace oc
