// Detection augmentation: a horizontal flip, a scale and a crop that move the pixels, the boxes and
// the instance masks alike. Boxes leaving the crop are clipped to it, and dropped when too little
// of them remains.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "train/io/coco_det_types.h"

namespace oc {

struct DetAugmentOptions {
  int64_t width = 128, height = 128;           // the output (crop) size
  double scale_min = 0.75, scale_max = 1.25;   // the image is scaled by a uniform draw in [min, max]
  bool horizontal_flip = true;                 // with probability 1/2
  double min_kept = 0.3;  // an object is dropped when its clipped box keeps less than this fraction of its box
  void check() const;     // throws oc::Error naming the bad field
};

// One sample's random choices (tests build these by hand). The crop's top-left corner is at
// (crop_x, crop_y) in the flipped and scaled image; negative where the scaled image is smaller than
// the crop, which then pads with zeros.
struct DetAugmentDraw {
  bool flip = false;
  double scale = 1;
  int64_t crop_x = 0, crop_y = 0;
};

// Sample `index` under `seed` for an image of height x width: Philox block `index` of the stream
// keyed by seed. crop_x is uniform over the integers between 0 and floor(width * scale) - opt.width
// (either order), crop_y alike.
DetAugmentDraw draw_det_augment(const DetAugmentOptions& opt, uint64_t seed, uint64_t index, int64_t height,
                                int64_t width);

struct DetSample {
  Tensor image;                             // uint8 [C, opt.height, opt.width]
  std::vector<CocoDetAnnotation> objects;   // the kept objects, ids and categories unchanged
};

// Image coordinates (COCO convention, pixel i spans [i, i+1]) map to the crop by
//   x' = scale * (flip ? W - x : x) - crop_x,   y' = scale * y - crop_y.
// Pixels: bilinear at each crop pixel's centre mapped back, zero outside the image. Boxes: their
// corners mapped, then clipped to the crop; dropped when the clipped box keeps less than min_kept of
// the mapped box's area, or is under 1 px wide or high. Masks: nearest-neighbour (the image pixel
// holding each crop pixel's mapped-back centre), resized to the crop; an object whose mask becomes
// empty is dropped. area: the new mask's pixel count, or without a mask the old area times
// scale^2 times the kept fraction. image: uint8 [C,H,W] with masks of H x W.
DetSample augment_detection(const Tensor& image, const std::vector<CocoDetAnnotation>& objects,
                            const DetAugmentOptions& opt, const DetAugmentDraw& draw);

}  // namespace oc
