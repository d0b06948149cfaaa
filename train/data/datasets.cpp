// The data set registry (see datasets.h).
#include "train/data/datasets.h"

#include "core/log.h"
#include "train/data/corrupt_images.h"
#include "train/data/distorted_mnist.h"
#include "train/data/homography_pairs.h"
#include "train/data/pose_augment.h"

namespace oc {
namespace {

const std::string& split_dir(const DataSettings& d, const std::string& split) {
  return split == "train" ? d.train_dir : d.test_dir;
}
int64_t split_limit(const DataSettings& d, const std::string& split) {
  return split == "train" ? d.train_limit : d.test_limit;
}

// Once per split, the images data.skip_corrupt left out.
void log_skipped(const std::string& split, const SkippedImages& s) {
  const std::string line = skipped_images_line(split, s);
  if (!line.empty()) log_line(line);
}

ImageDataset load_fashion(const DataSettings& d, const std::string& split) {
  const std::string dir = d.dir.empty() ? default_fashion_mnist_dir() : d.dir;
  ImageDataset ds = load_fashion_mnist(dir, split, split_limit(d, split));
  // The test split's distortions are fixed, so every run is scored on the same images.
  return distort_dataset(ds, distortion_from_string(d.distortion),
                         split == "test" ? kDistortionTestSeed : d.distortion_seed);
}

void read_split_dirs(ConfigObject& d, DataSettings& s) {
  s.train_dir = d.require_string("train_dir");
  s.test_dir = d.require_string("test_dir");
}

ImageDataset load_folder(const DataSettings& d, const std::string& split) {
  ImageDataset ds = load_image_folder(split_dir(d, split), 0, split_limit(d, split), d.skip_corrupt);
  log_skipped(split, ds.skipped);
  return ds;
}

// LIFT's patch quadruplets (`ocellus data homography-pairs`): images [N,4,64,64], targets (angle, scale).
ImageDataset load_lift_patches(const DataSettings& d, const std::string& split) {
  return load_homography_patches(split_dir(d, split), split_limit(d, split));
}

// COCO keypoint directories; data.crop: one crop per person.
void read_pose_coco(ConfigObject& d, DataSettings& s) {
  read_split_dirs(d, s);
  if (!d.has("crop")) return;
  ConfigObject c = d.child("crop");
  PoseAugmentOptions& o = s.pose_crop;
  o = PoseAugmentOptions{};
  o.size = c.require_int("size");
  o.margin = c.get_double("margin", o.margin);
  o.rotation_degrees = c.get_double("rotation_degrees", o.rotation_degrees);
  o.scale_min = c.get_double("scale_min", o.scale_min);
  o.scale_max = c.get_double("scale_max", o.scale_max);
  o.horizontal_flip = c.get_bool("horizontal_flip", o.horizontal_flip);
  s.pose_crop_augment = c.get_bool("augment", true);
  try {
    o.check();
  } catch (const Error& err) {
    OC_FAIL(c.where("size"), ": ", err.what());
  }
  c.finish();
}

PoseDataset load_pose_coco(const DataSettings& d, const std::string& split, uint64_t seed, int64_t max_people) {
  PoseDataset ds =
      d.pose_crop.size > 0  // augmentation on the training split only
          ? load_pose_crops(split_dir(d, split), d.pose_crop, d.pose_crop_augment && split == "train", seed,
                            split_limit(d, split), d.skip_corrupt)
          : load_pose_dataset(split_dir(d, split), max_people, split_limit(d, split), d.skip_corrupt);
  log_skipped(split, ds.data.skipped);
  // data.augment: drawn afresh each epoch, moving the joints with the pixels (pose_augment.h).
  if (split == "train" && d.loader.augment.any()) set_pose_augment(ds, d.loader.augment);
  return ds;
}

// data.augment on det_coco: a flip and a scale that move the boxes (train/data/det_augment.h).
void check_det_augment(const ConfigObject& augment, const AugmentOptions& a) {
  const std::string key = unsupported_detection_augment_key(a);
  OC_CHECK(key.empty(), augment.where(key), ": det_coco augments with ", kDetectionAugmentKeys,
           " only (a flip and a scale, cropped to the image size); leave ", key, " at its default");
}

// Only the training split is augmented (its masks too); the loader runs the transform when
// data.augment is on.
DetDataset load_det_coco(const DataSettings& d, const std::string& split, int64_t max_objects, bool with_masks) {
  DetDataset ds =
      load_detection_dataset(split_dir(d, split), max_objects, split_limit(d, split), with_masks, d.skip_corrupt);
  log_skipped(split, ds.data.skipped);
  if (split == "train" && d.loader.augment.any()) {
    const Tensor& images = ds.data.images;
    set_detection_augment(ds, detection_augment_options(d.loader.augment, images.size(2), images.size(3)));
  }
  return ds;
}

}  // namespace

const Registry<DatasetKind>& dataset_registry() {
  static const Registry<DatasetKind> r = [] {
    Registry<DatasetKind> r("data set");
    DatasetKind fashion;
    fashion.read = [](ConfigObject&, DataSettings&) {};
    fashion.distortions = true;
    fashion.load_images = load_fashion;
    fashion.class_names = fashion_mnist_class_names;
    r.add("fashion_mnist", {"dir", "distortion", "distortion_seed"}, fashion);
    DatasetKind folder;
    folder.read = read_split_dirs;
    folder.load_images = load_folder;
    r.add("image_folder", {"train_dir", "test_dir"}, folder);
    DatasetKind coco;
    coco.read = read_pose_coco;
    coco.load_keypoints = load_pose_coco;
    r.add("pose_coco", {"train_dir", "test_dir", "crop"}, coco);
    DatasetKind det;
    det.read = read_split_dirs;
    det.check_augment = check_det_augment;
    det.load_detections = load_det_coco;
    r.add("det_coco", {"train_dir", "test_dir"}, det);
    DatasetKind lift;
    lift.read = read_split_dirs;
    lift.load_images = load_lift_patches;
    r.add("homography_patches", {"train_dir", "test_dir"}, lift);
    return r;
  }();
  return r;
}

std::string distortion_datasets() {
  std::string out;
  for (const auto& [name, e] : dataset_registry().entries())
    if (e.factory.distortions) out += (out.empty() ? "\"" : " or \"") + name + "\"";
  return out;
}

ImageDataset load_split(const DataSettings& d, const std::string& split) {
  const DatasetKind& kind = dataset_registry().at(d.dataset, "data.dataset").factory;
  const Distortion distortion = distortion_from_string(d.distortion);
  OC_CHECK(kind.distortions || distortion == Distortion::none, "data.distortion: \"", d.distortion, "\" needs dataset ",
           distortion_datasets(), ", got \"", d.dataset, "\"");
  OC_CHECK(kind.load_images, "data.dataset: \"", d.dataset, "\" holds ", kind.load_keypoints ? "keypoints" : "boxes",
           ", not labelled images");
  return kind.load_images(d, split);
}

}  // namespace oc
