// An experiment config: the JSON file (with --set overrides applied) split into its sections,
// read strictly: "model" (nets/network.h), "data", "train" (documented in docs/config.md).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nets/network.h"
#include "train/data/loader.h"
#include "train/io/coco_keypoints.h"
#include "train/optim.h"
#include "train/schedule.h"

namespace oc {

struct DataSettings {
  std::string dataset = "fashion_mnist";  // fashion_mnist | image_folder | pose_coco
  std::string dir;                         // fashion_mnist: the IDX directory ("" = the Debian package's)
  std::string train_dir, test_dir;         // image_folder roots; pose_coco: DIR/annotations.json + DIR/images
  int64_t train_limit = 0, test_limit = 0;  // > 0: use only the first N images
  std::string distortion = "none";         // fashion_mnist only: none | rotated | rts | projective | cluttered
  uint64_t distortion_seed = 1;            // the train split's distortions (test: kDistortionTestSeed)
  LoaderOptions loader;                    // batch size, workers, normalization, augmentation
  PoseAugmentOptions pose_crop{0};         // pose_coco with size > 0: one crop per person (data.crop)
  bool pose_crop_augment = true;
};

struct TrainSettings {
  int64_t epochs = 1;
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string optimizer = "sgd";  // sgd | adam | adamw
  SgdOptions sgd;
  AdamOptions adam;
  ScheduleOptions schedule;       // base_lr = the optimizer's lr
  double label_smoothing = 0;
  double clip_grad_norm = 0;      // 0: off
  int64_t log_every = 50;         // steps between plain log lines (non-terminal output)
};

// What the network is trained to do. "classification": the first output is [classes] logits and
// the loss is cross-entropy. "pose": the data set is a COCO-format keypoint directory
// (data.dataset "pose_coco") and `pose` says how the outputs become keypoints.
struct PoseSettings {
  std::string head = "integral";  // direct | heatmap | integral | paf
  double stride = 4;              // input pixels per heatmap cell (heatmap, integral, paf)
  double sigma = 2;               // Gaussian target width in input pixels (heatmap "mse", paf)
  std::string heatmap_loss = "mse";  // heatmap: mse (to Gaussians) | cross_entropy (over each map)
  double beta = 1;                // integral: soft-argmax temperature
  int64_t max_people = 1;         // people slots per image (paf: > 1)
  double limb_width = 4;          // paf: field half-width in input pixels
  double peak_threshold = 0.1;    // paf decoding: heatmap peaks above this
  double target_weight = 1;       // heatmap "mse", paf: weight of the cells where the target is non-zero
};

struct TaskSettings {
  std::string type = "classification";  // classification | pose
  PoseSettings pose;
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
