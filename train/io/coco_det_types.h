// COCO detection data in memory: images, categories, annotations (box, area, crowd flag, optional
// instance mask) and detector results. The reader, writer, generator and AP evaluation share these.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "train/io/coco_rle.h"

namespace oc {

struct CocoDetImage {
  int64_t id = 0;
  std::string file_name;
  int64_t width = 0, height = 0;
};

struct CocoDetCategory {
  int64_t id = 0;
  std::string name;
};

struct CocoDetAnnotation {
  int64_t id = 0, image_id = 0, category_id = 0;
  std::array<double, 4> bbox{};  // x, y, w, h in pixels (COCO convention)
  double area = 0;               // COCO's "area": the mask area when there is a mask
  bool iscrowd = false;
  std::optional<Rle> mask;       // instance (or crowd region) mask at the image's size
};

struct CocoDetDataset {
  std::vector<CocoDetImage> images;
  std::vector<CocoDetCategory> categories;
  std::vector<CocoDetAnnotation> annotations;
};

// One detection as in a COCO result file.
struct CocoDetResult {
  int64_t image_id = 0, category_id = 0;
  std::array<double, 4> bbox{};  // x, y, w, h
  double score = 0;
  std::optional<Rle> mask;       // for iouType segm
};

}  // namespace oc
