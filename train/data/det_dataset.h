// A detection data set in memory for training and evaluation: the images of a COCO-format detection
// directory (DIR/annotations.json + DIR/images/, as `ocellus data det-synth` writes it) with each
// image's boxes as a batched target tensor, and the file's annotations as the ground truth of the
// COCO AP evaluation.
#pragma once
#include <string>
#include <vector>

#include "train/data/augment.h"
#include "train/data/dataset.h"
#include "train/data/det_augment.h"
#include "train/io/coco_det_types.h"

namespace oc {

struct DetDataset {
  // images uint8 [N,3,H,W] (one size for all), labels zeros [N], targets float32 [N, M, 5]:
  // (label, x1, y1, x2, y2) per non-crowd object in file order (corners in pixels, COCO convention),
  // label -1 in the empty slots. class_names: the categories' names, by label. With masks: masks
  // uint8 [N, M, H, W], slot m the instance mask (0/1, row-major) of target slot m's object, zeros in
  // the empty slots; an object without a mask gets its box as its mask (the pixels whose centres lie
  // in [x1, x2) x [y1, y2); none for a box holding no pixel centre).
  ImageDataset data;
  CocoDetDataset coco;                // the first N images and their annotations (crowd ones too)
  std::vector<int64_t> category_ids;  // label -> category id (categories by ascending id)
};

// max_objects = M (objects beyond it are left out of the targets, never of `coco`); limit > 0
// keeps the first images; with_masks decodes the kept objects' masks into data.masks (left
// undefined, and unallocated, without it). Errors name the file. skip_corrupt: an image that
// cannot be read or decoded is left out (after the limit) with its targets, masks and annotations
// (`coco` too), and counted in data.skipped, instead of being an error.
DetDataset load_detection_dataset(const std::string& dir, int64_t max_objects, int64_t limit = 0,
                                  bool with_masks = false, bool skip_corrupt = false);

// Training augmentation of a detection data set (data.augment): a horizontal flip and a scale
// (affine_scale_min..max), cropped back to the image size, moving the boxes with the pixels. The
// name of the first data.augment key set to something a detection data set cannot do (the other
// keys), or "" when there is none.
std::string unsupported_detection_augment_key(const AugmentOptions& a);
// The data.augment keys detection augmentation reads, for messages.
extern const char* const kDetectionAugmentKeys;
// data.augment as detection augmentation for height x width images; an error names an unsupported key.
DetAugmentOptions detection_augment_options(const AugmentOptions& a, int64_t height, int64_t width);

// Sets ds.data.transform: sample i's image and objects (the non-crowd annotations of ds.coco's image
// i, masks included) go through augment_detection with draw_det_augment(opt, seed, i, H, W), and its
// target row is rebuilt from the kept objects by the loader's rule (file order, the first M, label
// -1 in the empty slots); when the data set has masks, its mask slots are rebuilt from the same
// objects alike (augment_detection's moved mask, or the moved box for an object without one).
// opt's size must be the images' size.
void set_detection_augment(DetDataset& ds, const DetAugmentOptions& opt);

// The categories' names of DIR/annotations.json by label (ascending category id), for tools that
// need the classes without the images (`ocellus infer`). Errors name the file.
std::vector<std::string> read_detection_class_names(const std::string& dir);

}  // namespace oc
