// Synthetic detection data: Fashion-MNIST items (10 classes) pasted with a soft alpha onto crops of
// real photos, with COCO boxes, areas and instance masks (RLE) of each item's visible part.
// Image i depends only on (seed, split, i), so the output is identical with any number of threads.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "train/data/dataset.h"
#include "train/io/coco_det_types.h"

namespace oc {

struct DetSynthOptions {
  int64_t count = 100;                      // images
  int64_t size = 128;                       // each S x S pixels, RGB
  int64_t min_objects = 1, max_objects = 4;  // items drawn per image, uniform in [min, max]
  uint64_t seed = 0;
  std::string split = "train";              // "train" or "test": which items and which photo regions
  std::vector<std::string> backgrounds;     // photos to crop; at least one
  std::string fashion_dir;                  // Fashion-MNIST IDX files; "" = default_fashion_mnist_dir()
  void check() const;                       // throws oc::Error naming the bad field
};

// The placement rules (docs/data.md), shared with the tests.
constexpr double kDetSynthMaxIou = 0.4;       // a new item's box vs every earlier item's box
constexpr double kDetSynthMinVisible = 0.5;   // every earlier item keeps this fraction of its mask
constexpr int kDetSynthTries = 30;            // placements tried per item before it is given up

// Columns [begin, end) of a photo `width` wide that `split` may read: train the left two thirds
// [0, W*2/3), test the rest [W*2/3, W) (integer division). Crops keep one pixel inside these bounds
// so that the bilinear resampling never reads across.
std::array<int64_t, 2> det_synth_columns(const std::string& split, int64_t width);

// The Fashion-MNIST file of `split`: train-* for "train", t10k-* for "test".
ImageDataset load_det_synth_items(const DetSynthOptions& opt);

struct DetSynthImage {
  Tensor image;                               // uint8 [3,S,S]
  std::vector<CocoDetAnnotation> objects;     // image_id = index, id = 0 (numbered when written)
  std::vector<int64_t> sources;               // objects[k] is item sources[k] of the split's file
  std::vector<std::array<double, 4>> whole_boxes;  // objects[k]'s box and mask area before occlusion,
  std::vector<int64_t> whole_areas;                // the quantities the placement rules bound
  int64_t photo = 0;                          // index into the backgrounds
  std::array<double, 4> crop{};               // the photo region used: x, y, side, side (pixels)
};

// Image `index`: items are the split's Fashion-MNIST data, backgrounds the decoded photos (uint8
// [3,H,W]). Category ids are label + 1. Each object's mask is where it is the top item with alpha
// >= 1/2 (its visible part), bbox the tight box of that mask, area its pixel count.
DetSynthImage det_synth_image(const DetSynthOptions& opt, const ImageDataset& items,
                              const std::vector<Tensor>& backgrounds, int64_t index);

// Writes dir/images/000000.png ... and dir/annotations.json (COCO detection with masks; image id =
// index, annotation ids 1, 2, ... in image order; categories 1..10 named as Fashion-MNIST's classes)
// and returns what it wrote.
CocoDetDataset write_det_synth(const std::string& dir, const DetSynthOptions& opt);

}  // namespace oc
