// An experiment config: the JSON file (with --set overrides applied) split into its sections,
// read strictly: "model" (nets/network.h), "data", "train" (documented in docs/config.md).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nets/network.h"
#include "train/loader.h"
#include "train/optim.h"
#include "train/schedule.h"

namespace oc {

struct DataSettings {
  std::string dataset = "fashion_mnist";  // fashion_mnist | image_folder
  std::string dir;                         // fashion_mnist: the IDX directory ("" = the Debian package's)
  std::string train_dir, test_dir;         // image_folder roots
  int64_t train_limit = 0, test_limit = 0;  // > 0: use only the first N images
  std::string distortion = "none";         // fashion_mnist only: none | rotated | rts | projective | cluttered
  uint64_t distortion_seed = 1;            // the train split's distortions (test: kDistortionTestSeed)
  LoaderOptions loader;                    // batch size, workers, normalization, augmentation
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

struct Experiment {
  std::string path;       // the config file
  json config;            // after overrides: saved in checkpoints
  json resolved;          // every value the program used, defaults included (--print-config)
  DataSettings data;
  TrainSettings train;
  std::shared_ptr<Network> model;
};

// Reads and validates everything; any problem is an oc::Error naming the file and JSON path.
Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides);
// The same from an already parsed config (a checkpoint's saved config, tests).
Experiment experiment_from_json(const json& config, const std::string& source);

}  // namespace oc
