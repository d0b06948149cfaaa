// Images of a split that cannot be read or decoded (data.skip_corrupt): by default the first one is an
// error naming the file; with skipping on, each is noted, its sample is left out with everything
// that belongs to it, and the split reports how many it lost.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "train/data/dataset.h"

namespace oc {

// Reads the images of one split, one slot per sample. Each slot is read from one thread, so the
// loaders may call read() from parallel_for. Several samples may share one file (pose crops): the
// counts are of distinct files.
class SplitImageReader {
 public:
  SplitImageReader(int64_t samples, bool skip_corrupt);

  // read_image(path, channels) for `sample`. A file that cannot be read throws read_image's error
  // (it names the file) without skipping; with it, the failure is noted and an undefined tensor
  // returned. Errors other than reading (a wrong size, say) are the caller's and never skipped.
  Tensor read(int64_t sample, const std::string& path, int channels);

  // The samples whose image was read, ascending (every sample without skipping). When none was, an
  // error: "`where`: none of the N images could be read (first: ...)".
  std::vector<int64_t> kept(const std::string& where) const;

  // The distinct files tried, those left out, and the first failure (the lowest sample's).
  SkippedImages skipped() const;

 private:
  bool skip_;
  std::vector<std::string> paths_;   // by sample: the file read ("" when never read)
  std::vector<std::string> errors_;  // by sample: why it failed ("" when it did not)
};

// Keeps rows `kept` (ascending) of ds.images, labels, targets and masks, in place: the rows move up
// and the tensors are narrowed, so no second copy of the images is made. All must be contiguous.
void keep_samples(ImageDataset& ds, const std::vector<int64_t>& kept);

// Keeps items `kept` (ascending) of a per-sample list, in order.
template <class T>
void keep_items(std::vector<T>& items, const std::vector<int64_t>& kept) {
  if (kept.size() == items.size()) return;
  std::vector<T> out;
  out.reserve(kept.size());
  for (int64_t i : kept) out.push_back(std::move(items[static_cast<size_t>(i)]));
  items = std::move(out);
}

// The log line for a split that left images out, "" when it left none: "data: test split: skipped
// 2 of 500 images that could not be read (first: DIR/images/000013.png: cannot decode (...))".
std::string skipped_images_line(const std::string& split, const SkippedImages& s);

}  // namespace oc
