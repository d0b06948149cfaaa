// Reading a split's images with unreadable ones left out and counted (see corrupt_images.h).
#include "train/data/corrupt_images.h"

#include <cstring>
#include <set>

#include "kernels/views/views.h"
#include "train/io/image_io.h"

namespace oc {
namespace {

// read_image's messages begin with its own name; the log line names the file first instead.
std::string without_reader_prefix(const std::string& message) {
  const std::string prefix = "read_image: ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

// Moves rows kept[j] to row j of a contiguous [N, ...] tensor and narrows it to the kept rows.
Tensor keep_rows(const Tensor& t, const std::vector<int64_t>& kept) {
  if (!t.defined() || static_cast<int64_t>(kept.size()) == t.size(0)) return t;
  OC_CHECK(t.is_contiguous(), "keep_samples: expected a contiguous tensor, got ", t.str());
  const size_t row = static_cast<size_t>(t.numel() / t.size(0)) * dtype_size(t.dtype());
  auto* bytes = static_cast<unsigned char*>(t.raw_data());
  for (size_t j = 0; j < kept.size(); ++j)
    if (kept[j] != static_cast<int64_t>(j))  // kept is ascending, so a row only ever moves up
      std::memmove(bytes + j * row, bytes + static_cast<size_t>(kept[j]) * row, row);
  return slice(t, 0, 0, static_cast<int64_t>(kept.size()));
}

}  // namespace

SplitImageReader::SplitImageReader(int64_t samples, bool skip_corrupt)
    : skip_(skip_corrupt), paths_(static_cast<size_t>(samples)), errors_(static_cast<size_t>(samples)) {}

Tensor SplitImageReader::read(int64_t sample, const std::string& path, int channels) {
  OC_CHECK(sample >= 0 && sample < static_cast<int64_t>(paths_.size()), "SplitImageReader: sample ", sample,
           " outside 0..", paths_.size());
  paths_[static_cast<size_t>(sample)] = path;
  if (!skip_) return read_image(path, channels);
  try {
    return read_image(path, channels);
  } catch (const Error& e) {
    errors_[static_cast<size_t>(sample)] = without_reader_prefix(e.what());
    return Tensor();
  }
}

std::vector<int64_t> SplitImageReader::kept(const std::string& where) const {
  std::vector<int64_t> out;
  for (size_t i = 0; i < errors_.size(); ++i)
    if (errors_[i].empty()) out.push_back(static_cast<int64_t>(i));
  if (out.empty() && !errors_.empty()) {
    const SkippedImages s = skipped();
    OC_FAIL(where, ": none of the ", s.total, " images could be read (first: ", s.first_error, ")");
  }
  return out;
}

SkippedImages SplitImageReader::skipped() const {
  std::set<std::string> tried, failed;
  SkippedImages s;
  for (size_t i = 0; i < paths_.size(); ++i) {
    if (paths_[i].empty()) continue;
    tried.insert(paths_[i]);
    if (errors_[i].empty()) continue;
    failed.insert(paths_[i]);
    if (s.first_error.empty()) s.first_error = errors_[i];
  }
  s.total = static_cast<int64_t>(tried.size());
  s.skipped = static_cast<int64_t>(failed.size());
  return s;
}

void keep_samples(ImageDataset& ds, const std::vector<int64_t>& kept) {
  ds.images = keep_rows(ds.images, kept);
  ds.labels = keep_rows(ds.labels, kept);
  ds.targets = keep_rows(ds.targets, kept);
  ds.masks = keep_rows(ds.masks, kept);
}

std::string skipped_images_line(const std::string& split, const SkippedImages& s) {
  if (s.skipped == 0) return "";
  return str_cat("data: ", split, " split: skipped ", s.skipped, " of ", s.total,
                 " images that could not be read (first: ", s.first_error, ")");
}

}  // namespace oc
