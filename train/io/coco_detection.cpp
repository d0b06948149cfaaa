// Strict COCO detection files (see coco_detection.h): the reader parses types and shapes at their JSON
// paths, then validate_coco_detection checks what the values mean, for reading and writing alike.
#include "train/io/coco_detection.h"

#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "train/io/atomic_file.h"
#include "train/io/json_at.h"

namespace oc {
namespace {

// Boxes written with rounded coordinates may overshoot the image edge by this much, no more.
constexpr double kBoxSlack = 1e-3;

std::optional<Rle> read_segmentation(const json& s, const JsonAt& at) {
  if (s.is_null() || (s.is_array() && s.empty())) return std::nullopt;
  if (s.is_array())
    at.fail("polygon segmentations are not supported (only RLE {\"size\": [h, w], \"counts\": ...}; pycocotools' "
            "frPyObjects converts polygons)");
  if (!s.is_object()) at.fail("expected an RLE object {\"size\": [h, w], \"counts\": ...}, got ", s.type_name());
  const json& size = json_need_array(s, "size", at);
  if (size.size() != 2) at.key("size").fail("expected [height, width], got ", size.dump());
  Rle r;
  r.height = json_integer(size[0], at.key("size")[0]);
  r.width = json_integer(size[1], at.key("size")[1]);
  if (r.height <= 0 || r.width <= 0) at.key("size").fail("height and width must be positive, got ", size.dump());
  const json& counts = json_need(s, "counts", at);
  const JsonAt cat = at.key("counts");
  if (counts.is_string()) {
    try {
      return rle_from_string(counts.get<std::string>(), r.height, r.width);
    } catch (const Error& e) {
      cat.fail(e.what());
    }
  }
  if (!counts.is_array()) cat.fail("expected a compressed string or a list of run lengths, got ", counts.type_name());
  // Uncompressed RLE (COCO's crowd regions): run lengths, the first of 0s, summing to h * w.
  int64_t sum = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const int64_t c = json_integer(counts[i], cat[i]);
    if (c < 0 || c > std::numeric_limits<uint32_t>::max()) cat[i].fail("run length ", c, " outside 0..2^32-1");
    r.counts.push_back(static_cast<uint32_t>(c));
    sum += c;
  }
  if (sum != r.height * r.width)
    cat.fail("run lengths sum to ", sum, ", the mask has ", r.height, " x ", r.width, " = ", r.height * r.width, " pixels");
  return r;
}

}  // namespace

CocoDetDataset read_coco_detection(const std::string& path) {
  json root;
  try {
    root = read_json_file(path);
  } catch (const json::exception& e) {  // read_json_file names the file for syntax errors, not for 1e999
    OC_FAIL(path, ": invalid JSON: ", e.what());
  }
  const JsonAt top{path, ""};
  CocoDetDataset out;

  const json& imgs = json_need_array(root, "images", top);
  for (size_t i = 0; i < imgs.size(); ++i) {
    const JsonAt at = top.key("images")[i];
    CocoDetImage im;
    im.id = json_integer(json_need(imgs[i], "id", at), at.key("id"));
    im.file_name = json_text(json_need(imgs[i], "file_name", at), at.key("file_name"));
    im.width = json_integer(json_need(imgs[i], "width", at), at.key("width"));
    im.height = json_integer(json_need(imgs[i], "height", at), at.key("height"));
    out.images.push_back(im);
  }

  const json& cats = json_need_array(root, "categories", top);
  for (size_t i = 0; i < cats.size(); ++i) {
    const JsonAt at = top.key("categories")[i];
    CocoDetCategory c;
    c.id = json_integer(json_need(cats[i], "id", at), at.key("id"));
    c.name = json_text(json_need(cats[i], "name", at), at.key("name"));
    out.categories.push_back(c);
  }

  const json& anns = json_need_array(root, "annotations", top);
  for (size_t i = 0; i < anns.size(); ++i) {
    const JsonAt at = top.key("annotations")[i];
    const json& a = anns[i];
    CocoDetAnnotation d;
    d.id = json_integer(json_need(a, "id", at), at.key("id"));
    d.image_id = json_integer(json_need(a, "image_id", at), at.key("image_id"));
    d.category_id = json_integer(json_need(a, "category_id", at), at.key("category_id"));
    const json& bb = json_need_array(a, "bbox", at);
    if (bb.size() != 4) at.key("bbox").fail("expected 4 numbers [x, y, width, height], got ", bb.size());
    for (size_t e = 0; e < 4; ++e) d.bbox[e] = json_number(bb[e], at.key("bbox")[e]);
    if (a.contains("iscrowd")) {
      const json& c = a["iscrowd"];
      if (c.is_boolean()) {
        d.iscrowd = c.get<bool>();
      } else {
        const int64_t v = json_integer(c, at.key("iscrowd"));
        if (v != 0 && v != 1) at.key("iscrowd").fail("expected 0 or 1, got ", v);
        d.iscrowd = v == 1;
      }
    }
    if (a.contains("segmentation")) d.mask = read_segmentation(a["segmentation"], at.key("segmentation"));
    if (a.contains("area"))
      d.area = json_number(a["area"], at.key("area"));
    else
      d.area = d.mask ? static_cast<double>(rle_area(*d.mask)) : d.bbox[2] * d.bbox[3];
    out.annotations.push_back(std::move(d));
  }
  validate_coco_detection(out, path);
  return out;
}

void validate_coco_detection(const CocoDetDataset& data, const std::string& file) {
  const JsonAt top{file, ""};
  std::unordered_map<int64_t, size_t> image_index;
  for (size_t i = 0; i < data.images.size(); ++i) {
    const CocoDetImage& im = data.images[i];
    const JsonAt at = top.key("images")[i];
    if (im.width <= 0 || im.height <= 0) at.fail("width and height must be positive, got ", im.width, " x ", im.height);
    if (!image_index.emplace(im.id, i).second) at.key("id").fail("duplicate image id ", im.id);
  }
  std::unordered_set<int64_t> category_ids;
  for (size_t i = 0; i < data.categories.size(); ++i)
    if (!category_ids.insert(data.categories[i].id).second)
      top.key("categories")[i].key("id").fail("duplicate category id ", data.categories[i].id);

  std::unordered_set<int64_t> annotation_ids;
  for (size_t i = 0; i < data.annotations.size(); ++i) {
    const CocoDetAnnotation& a = data.annotations[i];
    const JsonAt at = top.key("annotations")[i];
    if (!annotation_ids.insert(a.id).second) at.key("id").fail("duplicate annotation id ", a.id);
    auto img = image_index.find(a.image_id);
    if (img == image_index.end()) at.key("image_id").fail("unknown image id ", a.image_id, " (not in \"images\")");
    if (!category_ids.count(a.category_id))
      at.key("category_id").fail("unknown category id ", a.category_id, " (not in \"categories\")");
    const CocoDetImage& im = data.images[img->second];
    const JsonAt box = at.key("bbox");
    const auto [x, y, w, h] = a.bbox;
    for (int e = 0; e < 4; ++e)
      if (!std::isfinite(a.bbox[e])) box[e].fail("expected a finite number, got ", a.bbox[e]);
    if (!(w > 0 && h > 0)) box.fail("width and height must be positive, got ", w, " x ", h);
    if (x < -kBoxSlack || y < -kBoxSlack) box.fail("the corner (", x, ", ", y, ") is outside the image");
    if (x + w > im.width + kBoxSlack) box.fail("x + w = ", x + w, " is outside the image (width ", im.width, ")");
    if (y + h > im.height + kBoxSlack) box.fail("y + h = ", y + h, " is outside the image (height ", im.height, ")");
    if (a.mask) {
      const JsonAt seg = at.key("segmentation");
      if (a.mask->height != im.height || a.mask->width != im.width)
        seg.key("size").fail("the mask is ", a.mask->height, " x ", a.mask->width, " (h x w), its image ", im.id, " is ",
                             im.height, " x ", im.width);
      if (rle_area(*a.mask) == 0) seg.fail("the mask is empty");
    }
    if (!(std::isfinite(a.area) && a.area > 0)) at.key("area").fail("must be a finite number > 0, got ", a.area);
  }
}

void write_coco_detection(const std::string& path, const CocoDetDataset& data) {
  validate_coco_detection(data, path);
  nlohmann::ordered_json root;
  root["images"] = nlohmann::ordered_json::array();
  for (const CocoDetImage& im : data.images)
    root["images"].push_back({{"id", im.id}, {"file_name", im.file_name}, {"width", im.width}, {"height", im.height}});
  root["annotations"] = nlohmann::ordered_json::array();
  for (const CocoDetAnnotation& a : data.annotations) {
    nlohmann::ordered_json j = {{"id", a.id},
                                {"image_id", a.image_id},
                                {"category_id", a.category_id},
                                {"bbox", {a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3]}},
                                {"area", a.area},
                                {"iscrowd", a.iscrowd ? 1 : 0}};
    if (a.mask) j["segmentation"] = {{"size", {a.mask->height, a.mask->width}}, {"counts", rle_to_string(*a.mask)}};
    root["annotations"].push_back(std::move(j));
  }
  root["categories"] = nlohmann::ordered_json::array();
  for (const CocoDetCategory& c : data.categories) root["categories"].push_back({{"id", c.id}, {"name", c.name}});
  write_file_atomic(path, root.dump() + "\n");
}

}  // namespace oc
