// The data sets a config may name (data.dataset): each entry reads the keys only it has and loads a
// split, as labelled images (classification), people with keypoints (pose) or objects with boxes
// (detection).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/registry.h"
#include "train/data/dataset.h"
#include "train/data/det_dataset.h"
#include "train/data/pose_dataset.h"
#include "train/experiment.h"

namespace oc {

struct DatasetKind {
  std::function<void(ConfigObject& d, DataSettings& s)> read;  // its own keys (the shared ones: experiment.cpp)
  bool distortions = false;  // takes data.distortion (train/data/distorted_mnist.h)
  // Checks data.augment (`augment`: its config object, for messages; `a`: its values) when the data set
  // augments in its own way; throws naming a key it cannot do. Absent: the loader's image augmentation.
  std::function<void(const ConfigObject& augment, const AugmentOptions& a)> check_augment;
  // Exactly one of the three loaders: labelled images, people with keypoints, or objects with boxes.
  std::function<ImageDataset(const DataSettings& d, const std::string& split)> load_images;
  std::function<PoseDataset(const DataSettings& d, const std::string& split, uint64_t seed, int64_t max_people)>
      load_keypoints;
  // load_detections' with_masks: the objects' instance masks too (DetDataset::data.masks; Mask R-CNN).
  std::function<DetDataset(const DataSettings& d, const std::string& split, int64_t max_objects, bool with_masks)>
      load_detections;
  std::function<std::vector<std::string>()> class_names;  // may be empty: classes are then numbered
};
const Registry<DatasetKind>& dataset_registry();

// The data sets that take data.distortion, quoted, for messages: "fashion_mnist".
std::string distortion_datasets();

// Loads the "train" or "test" split the data section describes, as labelled images.
ImageDataset load_split(const DataSettings& d, const std::string& split);

}  // namespace oc
