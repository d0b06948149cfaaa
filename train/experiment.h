// An experiment config: the JSON file (with --set overrides applied) split into its sections,
// read strictly: "model" (nets/network.h), "data", "train" (documented in docs/config.md).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nets/network.h"
#include "nets/det/det_head.h"
#include "nets/lift/lift.h"
#include "nets/pose/pose_head.h"
#include "train/data/loader.h"
#include "train/io/coco_keypoints.h"
#include "train/optim.h"
#include "train/schedule.h"

namespace oc {

struct DataSettings {
  std::string dataset = "fashion_mnist";  // a dataset_registry() name: fashion_mnist | image_folder | pose_coco |
                                           // det_coco | homography_patches
  std::string dir;                         // fashion_mnist: the IDX directory ("" = the Debian package's)
  std::string train_dir, test_dir;         // image_folder roots; pose_coco, det_coco: DIR/annotations.json +
                                           // DIR/images; homography_patches: DIR/patches.* + DIR/pairs.json
  int64_t train_limit = 0, test_limit = 0;  // > 0: use only the first N images
  bool skip_corrupt = false;                // an image that cannot be read is left out and counted, not an error
  std::string distortion = "none";         // fashion_mnist only: none | rotated | rts | projective | cluttered
  uint64_t distortion_seed = 1;            // the train split's distortions (test: kDistortionTestSeed)
  LoaderOptions loader;                    // batch size, workers, normalization, augmentation
  PoseAugmentOptions pose_crop{0};         // pose_coco with size > 0: one crop per person (data.crop)
  bool pose_crop_augment = true;
};

// train.distributed: what a data-parallel run (mpirun -np N; docs/distributed.md) does beyond
// averaging gradients. A one-process run reads and ignores it.
struct DistributedSettings {
  bool sync_batchnorm = false;  // batch norm statistics over every process's batch, not each its own
  double timeout_s = 300;       // a collective that waits longer for the others ends the run
  double bucket_mb = 1;         // gradient buckets of about this size (MiB), summed as backward goes on
};

struct TrainSettings {
  int64_t epochs = 1;
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string optimizer = "sgd";  // an optimizer_registry() name: sgd | adam | adamw
  SgdOptions sgd;
  AdamOptions adam;
  ScheduleOptions schedule;       // base_lr = the optimizer's lr
  std::string loss = "cross_entropy";  // a loss_registry() name (classification)
  double label_smoothing = 0;
  double clip_grad_norm = 0;      // 0: off
  int64_t log_every = 50;         // steps between plain log lines (non-terminal output)
  std::string init_from;          // a checkpoint whose model tensors start the run (train/checkpoint.h)
  int64_t checkpoint_every = 0;   // > 0: also write last.safetensors every N steps (0: at epoch ends only)
  // train.lr_scale: (parameter-name prefix, factor on the learning rate), in config order; a
  // parameter takes the factor of its longest matching prefix (train/optimizers.h), else 1.
  std::vector<std::pair<std::string, double>> lr_scale;
  DistributedSettings distributed;
};

// What the network is trained to do: a task_registry() name (train/tasks/task.h). "classification":
// the first output is [classes] logits and the loss is train.loss. "pose": the data set holds
// keypoints (data.dataset "pose_coco") and `pose` says how the outputs become keypoints
// (nets/pose/pose_head.h). "detection": the data set holds boxes (data.dataset "det_coco") and `det`
// says how the outputs become boxes (nets/det/det_head.h).
// A network the task attaches to the model once it is built (Network::attach), e.g. faster_rcnn's
// box head: its config section and its input shape, which follows from the model.
struct AttachedNetwork {
  std::string name;
  std::shared_ptr<ConfigObject> config;  // reads into the experiment's resolved config
  std::function<Shape(const Network& model)> input_shape;
};

struct TaskSettings {
  std::string type = "classification";  // classification | pose | detection | lift
  PoseSettings pose;
  DetSettings det;
  LiftSettings lift;
  std::vector<AttachedNetwork> attached;
};

struct Experiment {
  std::string path;       // the config file
  json config;            // after overrides: saved in checkpoints
  json resolved;          // every value the program used, defaults included (--print-config)
  DataSettings data;
  TrainSettings train;
  TaskSettings task;
  std::shared_ptr<Network> model;
};

// Reads and validates everything; any problem is an oc::Error naming the file and JSON path.
Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides);
// The same from an already parsed config (a checkpoint's saved config, tests).
Experiment experiment_from_json(const json& config, const std::string& source);

}  // namespace oc
