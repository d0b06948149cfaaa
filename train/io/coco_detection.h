// COCO detection annotation files (instances_*.json) read strictly into CocoDetDataset and written
// back; the generator (train/data/det_synth.h) writes through here and the detectors read through here.
#pragma once
#include <string>

#include "train/io/coco_det_types.h"

namespace oc {

// Reads a COCO detection file. Required: images[i].{id, file_name, width, height};
// categories[i].{id, name}; annotations[i].{id, image_id, category_id, bbox}. Optional: area (by
// default the mask area, else w * h), iscrowd (0, 1 or a boolean), segmentation (RLE {size: [h, w],
// counts: "compressed" or [uncompressed ints]}; [] or null means none; polygons are refused). Other
// keys (info, licenses, supercategory, ...) are ignored. Every rule of validate_coco_detection
// applies. Errors name the file and the JSON path:
//   "a.json: annotations[3].bbox: x + w = 65 is outside the image (width 64)".
CocoDetDataset read_coco_detection(const std::string& path);

// The rules every dataset we read or write follows (`file` names it in messages): positive image
// sizes; unique image, category and annotation ids; annotations of known images and categories;
// finite boxes with w > 0 and h > 0 inside the image (0 <= x, x + w <= width, 0.001 px of rounding
// allowed); a finite area > 0; masks the size of their image, not empty.
void validate_coco_detection(const CocoDetDataset& data, const std::string& file);

// Writes the file read_coco_detection reads (masks as compressed RLE strings, numbers with up to 17
// significant digits); validated first, then written atomically (temp + rename).
void write_coco_detection(const std::string& path, const CocoDetDataset& data);

}  // namespace oc
