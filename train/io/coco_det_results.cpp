// COCO detection result files (see coco_det_results.h).
#include "train/io/coco_det_results.h"

#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "nets/config.h"
#include "train/io/atomic_file.h"
#include "train/io/json_at.h"

namespace oc {

void write_coco_det_results(const std::string& path, const std::vector<CocoDetResult>& results) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    const CocoDetResult& r = results[i];
    auto where = [&] { return str_cat("write_coco_det_results: ", path, ": result ", i, " (image_id ", r.image_id, ")"); };
    OC_CHECK(std::isfinite(r.score), where(), ": score is ", r.score);
    for (double v : r.bbox) OC_CHECK(std::isfinite(v), where(), ": bbox has ", v);
    OC_CHECK(r.bbox[2] >= 0 && r.bbox[3] >= 0, where(), ": bbox size ", r.bbox[2], " x ", r.bbox[3], " is negative");
    nlohmann::ordered_json e = {{"image_id", r.image_id},
                                {"category_id", r.category_id},
                                {"bbox", {r.bbox[0], r.bbox[1], r.bbox[2], r.bbox[3]}},
                                {"score", r.score}};
    if (r.mask) {
      int64_t pixels = 0;
      for (uint32_t c : r.mask->counts) pixels += c;
      OC_CHECK(pixels == r.mask->height * r.mask->width, where(), ": mask counts sum to ", pixels, ", not ",
               r.mask->height, " x ", r.mask->width);
      e["segmentation"] = {{"size", {r.mask->height, r.mask->width}}, {"counts", rle_to_string(*r.mask)}};
    }
    list.push_back(std::move(e));
  }
  write_file_atomic(path, list.dump() + "\n");
}

namespace {

Rle read_segmentation(const json& seg, const JsonAt& at, const CocoDetImage& image) {
  if (!seg.is_object()) {
    at.fail("expected a compressed RLE {\"size\": [h, w], \"counts\": \"...\"}, got ", seg.type_name(),
            seg.is_array() ? " (polygons are not a COCO result format)" : "");
  }
  for (auto it = seg.begin(); it != seg.end(); ++it)
    if (it.key() != "size" && it.key() != "counts") at.key(it.key()).fail("unknown key (expected size, counts)");
  const json& size = json_need_array(seg, "size", at);
  if (size.size() != 2) at.key("size").fail("expected [height, width], got ", size.size(), " numbers");
  const int64_t h = json_integer(size[0], at.key("size")[0]), w = json_integer(size[1], at.key("size")[1]);
  if (h != image.height || w != image.width)
    at.key("size").fail("mask is ", h, " x ", w, " but image ", image.id, " is ", image.height, " x ", image.width);
  const json& counts = json_need(seg, "counts", at);
  if (!counts.is_string())
    at.key("counts").fail("expected a compressed RLE string, got ", counts.type_name(),
                          " (uncompressed counts are not a COCO result format)");
  try {
    return rle_from_string(counts.get<std::string>(), h, w);
  } catch (const Error& e) {
    at.key("counts").fail(e.what());
  }
}

}  // namespace

std::vector<CocoDetResult> read_coco_det_results(const std::string& path, const CocoDetDataset& dataset) {
  std::map<int64_t, const CocoDetImage*> images;
  for (const CocoDetImage& im : dataset.images) images[im.id] = &im;
  std::set<int64_t> categories;
  for (const CocoDetCategory& c : dataset.categories) categories.insert(c.id);

  json list;
  try {
    list = read_json_file(path);
  } catch (const json::exception& e) {  // read_json_file converts parse errors only, not 1e999's overflow
    OC_FAIL(path, ": invalid JSON: ", e.what());
  }
  const JsonAt top{path, ""};
  if (!list.is_array()) top.fail("expected a JSON list of detection results, got ", list.type_name());
  std::vector<CocoDetResult> out;
  out.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const JsonAt at = top[i];
    if (!e.is_object()) at.fail("expected an object, got ", e.type_name());
    for (auto it = e.begin(); it != e.end(); ++it) {
      const std::string& k = it.key();
      if (k != "image_id" && k != "category_id" && k != "bbox" && k != "score" && k != "segmentation")
        at.key(k).fail("unknown key (expected image_id, category_id, bbox, score, segmentation)");
    }
    CocoDetResult r;
    r.image_id = json_integer(json_need(e, "image_id", at), at.key("image_id"));
    auto im = images.find(r.image_id);
    if (im == images.end()) at.key("image_id").fail("image ", r.image_id, " is not in the data set");
    r.category_id = json_integer(json_need(e, "category_id", at), at.key("category_id"));
    if (!categories.count(r.category_id))
      at.key("category_id").fail("category ", r.category_id, " is not in the data set");
    const json& bbox = json_need_array(e, "bbox", at);
    if (bbox.size() != 4) at.key("bbox").fail("expected 4 numbers, got ", bbox.size());
    for (size_t c = 0; c < 4; ++c) r.bbox[c] = json_number(bbox[c], at.key("bbox")[c]);
    if (r.bbox[2] < 0 || r.bbox[3] < 0) at.key("bbox").fail("negative size ", r.bbox[2], " x ", r.bbox[3]);
    r.score = json_number(json_need(e, "score", at), at.key("score"));
    if (e.contains("segmentation")) r.mask = read_segmentation(e["segmentation"], at.key("segmentation"), *im->second);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace oc
