// Image classification data sets held in memory: Fashion-MNIST (IDX files) and image folders
// (root/<class name>/<image files>).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace oc {

// A data set's own training augmentation, for targets that must move with the pixels (detection
// boxes and masks): given sample `index`, the epoch's augmentation key `seed`
// (DataLoader::augment_seed) and the sample's uint8 [C,H,W] image, it returns the new image (uint8
// [C,H,W], the same size) and rewrites in place the sample's target row `target` (float32,
// targets[index]'s layout; null when the data set has no targets) and its instance masks `masks`
// (uint8 [M,H,W], masks[index]'s layout, slot m = target slot m; null when the data set has no
// masks). Both hold the sample's own values on entry. The loader calls it from several worker
// threads at once: it must be reentrant, reading only state that nothing changes.
using SampleTransform =
    std::function<Tensor(int64_t index, uint64_t seed, const Tensor& image, float* target, uint8_t* masks)>;

// The images a split left out because they could not be read or decoded (data.skip_corrupt): how many
// of the split's distinct files, and the first one's error, which names the file.
struct SkippedImages {
  int64_t skipped = 0, total = 0;
  std::string first_error;
};

struct ImageDataset {
  Tensor images;  // uint8 [N,C,H,W] on the CPU, contiguous
  Tensor labels;  // int64 [N]
  Tensor targets; // optional float32 [N, ...] per-sample regression targets (keypoints, boxes), batched
                  // beside the labels; such data sets take no loader augmentation (data.augment)
                  // unless they bring a transform
  Tensor masks;   // optional uint8 [N,M,H,W] instance masks (0/1, H x W the images' size): slot m of
                  // sample i is the object of targets[i]'s slot m (targets [N,M,...]), zeros when empty
  SampleTransform transform;  // optional: replaces the loader's augmentation (see loader.h); only a
                              // training split sets it
  int64_t num_classes = 0;
  std::vector<std::string> class_names;
  SkippedImages skipped;  // what loading left out (only with skipping on; see corrupt_images.h)
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// `dir` holds train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz)
// and t10k-labels-idx1-ubyte(.gz) (the gzip'd name is preferred when both exist). split "train"
// (60000 images) or "test" (10000); `limit` > 0 keeps the first `limit` (and reads no further).
// Images uint8 [N,1,28,28], labels 0..9; errors name the directory or file and what is wrong.
ImageDataset load_fashion_mnist(const std::string& dir, const std::string& split, int64_t limit = 0);
// $OCELLUS_FASHION_MNIST when set and non-empty, else /usr/share/datasets/fashion-mnist (Debian's
// dataset-fashion-mnist package).
std::string default_fashion_mnist_dir();
// The ten Fashion-MNIST class names, by label.
const std::vector<std::string>& fashion_mnist_class_names();

// root/<class>/<image>: classes are the sub-directories, sorted by name (label = position);
// images are the files with an image extension (png, jpg, jpeg, pgm, ppm, pnm, bmp; any
// case), sorted by name, hidden files skipped. All images must share one size and channel count
// (channels = 1 or 3 converts every image to that many); errors name the offending file. limit > 0
// reads only the first `limit` files (in that order). skip_corrupt: a file that cannot be read or
// decoded is left out with its label and counted in `skipped` instead of being an error.
ImageDataset load_image_folder(const std::string& root, int channels = 0, int64_t limit = 0,
                               bool skip_corrupt = false);

}  // namespace oc
