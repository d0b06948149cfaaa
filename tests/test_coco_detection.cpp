// The strict COCO detection reader and writer: a round trip with random masks and crowd regions,
// and one bad file per rule, each refused with a message naming the file and the JSON path.
#include <catch2/catch.hpp>

#include <fstream>
#include <random>

#include "nets/config.h"
#include "tests/helpers.h"
#include "train/io/coco_detection.h"

using namespace oc;

namespace {

// A random H x W mask with at least one pixel.
Rle random_mask(std::mt19937& g, int64_t H, int64_t W) {
  std::vector<uint8_t> m(static_cast<size_t>(H * W));
  for (auto& v : m) v = g() % 3 == 0;
  m[g() % m.size()] = 1;
  return rle_encode(m.data(), H, W);
}

// Two images, three categories, four annotations (one crowd with a mask, one without a mask).
CocoDetDataset small_dataset(uint32_t seed) {
  std::mt19937 g(seed);
  CocoDetDataset d;
  d.images = {{4, "a.png", 20, 10}, {9, "sub/b.jpg", 16, 24}};
  d.categories = {{1, "T-shirt/top"}, {3, "Bag"}, {10, "Ankle boot"}};
  for (int64_t i = 0; i < 4; ++i) {
    CocoDetAnnotation a;
    a.id = 100 + i;
    a.image_id = i < 2 ? 4 : 9;
    a.category_id = d.categories[static_cast<size_t>(i % 3)].id;
    const CocoDetImage& im = d.images[i < 2 ? 0 : 1];
    a.bbox = {1.25 + i, 0.5, im.width - 3.0 - i + (g() % 100) / 1000.0, im.height - 1.5};
    a.iscrowd = i == 2;
    if (i != 3) a.mask = random_mask(g, im.height, im.width);
    a.area = a.mask ? double(rle_area(*a.mask)) : 0.1 + 7.3 * i;
    d.annotations.push_back(a);
  }
  return d;
}

// The JSON of one valid file, to be broken one rule at a time.
json valid_json() {
  return json::parse(R"({
    "info": {"description": "ignored"},
    "images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 6},
               {"id": 2, "file_name": "b.png", "width": 4, "height": 4}],
    "categories": [{"id": 1, "name": "shirt", "supercategory": "clothes"}, {"id": 2, "name": "bag"}],
    "annotations": [
      {"id": 1, "image_id": 1, "category_id": 2, "bbox": [1, 1, 3, 2], "area": 6, "iscrowd": 0},
      {"id": 2, "image_id": 2, "category_id": 1, "bbox": [0, 0, 4, 4], "iscrowd": 1,
       "segmentation": {"size": [4, 4], "counts": [5, 3, 1, 3, 4]}}]})");
}

void write_json(const std::string& path, const json& j) { std::ofstream(path) << j.dump(); }

}  // namespace

TEST_CASE("coco_detection: write then read gives back every image, category, box, area, crowd flag and mask",
          "[coco_detection]") {
  test::TempDir dir("coco_det");
  for (uint32_t seed : {1u, 2u, 3u}) {
    const CocoDetDataset d = small_dataset(seed);
    write_coco_detection(dir.file("a.json"), d);
    CHECK(!std::filesystem::exists(dir.file("a.json.tmp")));
    const CocoDetDataset r = read_coco_detection(dir.file("a.json"));
    REQUIRE(r.images.size() == d.images.size());
    for (size_t i = 0; i < d.images.size(); ++i) {
      CHECK(r.images[i].id == d.images[i].id);
      CHECK(r.images[i].file_name == d.images[i].file_name);
      CHECK((r.images[i].width == d.images[i].width && r.images[i].height == d.images[i].height));
    }
    REQUIRE(r.categories.size() == d.categories.size());
    for (size_t i = 0; i < d.categories.size(); ++i)
      CHECK((r.categories[i].id == d.categories[i].id && r.categories[i].name == d.categories[i].name));
    REQUIRE(r.annotations.size() == d.annotations.size());
    for (size_t i = 0; i < d.annotations.size(); ++i) {
      const CocoDetAnnotation &a = d.annotations[i], &b = r.annotations[i];
      CHECK((b.id == a.id && b.image_id == a.image_id && b.category_id == a.category_id));
      CHECK(b.bbox == a.bbox);  // 17 significant digits: exact
      CHECK(b.area == a.area);
      CHECK(b.iscrowd == a.iscrowd);
      REQUIRE(b.mask.has_value() == a.mask.has_value());
      if (a.mask) CHECK(rle_decode(*b.mask) == rle_decode(*a.mask));
    }
  }
}

TEST_CASE("coco_detection: crowd regions in uncompressed RLE, default areas, ignored keys", "[coco_detection]") {
  test::TempDir dir("coco_det");
  write_json(dir.file("ok.json"), valid_json());
  const CocoDetDataset d = read_coco_detection(dir.file("ok.json"));
  REQUIRE(d.annotations.size() == 2);
  CHECK(!d.annotations[0].iscrowd);
  CHECK(!d.annotations[0].mask.has_value());
  CHECK(d.annotations[0].area == 6);
  const CocoDetAnnotation& crowd = d.annotations[1];
  CHECK(crowd.iscrowd);
  REQUIRE(crowd.mask.has_value());
  // Column-major runs 5 zeros, 3 ones, 1 zero, 3 ones, 4 zeros over a 4 x 4 mask: column 1 rows 1-3,
  // column 2 rows 1-3 (row-major below).
  const std::vector<uint8_t> want = {0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0};
  CHECK(rle_decode(*crowd.mask) == want);
  CHECK(crowd.area == 6);  // no "area": the mask's
  json j = valid_json();
  j["annotations"][0].erase("area");
  j["annotations"][0]["iscrowd"] = true;
  j["annotations"][0]["segmentation"] = json::array();  // [] : no mask
  write_json(dir.file("ok2.json"), j);
  const CocoDetDataset e = read_coco_detection(dir.file("ok2.json"));
  CHECK(e.annotations[0].area == 6);  // no "area", no mask: w * h
  CHECK(e.annotations[0].iscrowd);
  CHECK(!e.annotations[0].mask.has_value());
}

TEST_CASE("coco_detection: each broken rule is an error naming the file and the JSON path", "[coco_detection]") {
  test::TempDir dir("coco_det");
  struct Case {
    const char* what;
    std::function<void(json&)> breaks;
    std::vector<std::string> fragments;
  };
  const std::vector<Case> cases = {
      {"box past the right edge", [](json& j) { j["annotations"][0]["bbox"] = {6, 1, 2.5, 2}; },
       {"annotations[0].bbox: x + w = 8.5 is outside the image (width 8)"}},
      {"box past the bottom", [](json& j) { j["annotations"][0]["bbox"] = {1, 5, 2, 1.5}; },
       {"annotations[0].bbox: y + h = 6.5 is outside the image (height 6)"}},
      {"negative corner", [](json& j) { j["annotations"][0]["bbox"] = {-1, 1, 2, 2}; },
       {"annotations[0].bbox: the corner (-1, 1) is outside the image"}},
      {"zero width", [](json& j) { j["annotations"][0]["bbox"] = {1, 1, 0, 2}; },
       {"annotations[0].bbox: width and height must be positive, got 0 x 2"}},
      {"negative height", [](json& j) { j["annotations"][1]["bbox"] = {1, 1, 2, -2}; },
       {"annotations[1].bbox: width and height must be positive, got 2 x -2"}},
      {"zero area", [](json& j) { j["annotations"][0]["area"] = 0; }, {"annotations[0].area: must be a finite number > 0"}},
      {"unknown category", [](json& j) { j["annotations"][1]["category_id"] = 7; },
       {"annotations[1].category_id: unknown category id 7"}},
      {"missing image", [](json& j) { j["annotations"][0]["image_id"] = 3; },
       {"annotations[0].image_id: unknown image id 3"}},
      {"duplicate image id", [](json& j) { j["images"][1]["id"] = 1; }, {"images[1].id: duplicate image id 1"}},
      {"duplicate category id", [](json& j) { j["categories"][1]["id"] = 1; },
       {"categories[1].id: duplicate category id 1"}},
      {"duplicate annotation id", [](json& j) { j["annotations"][1]["id"] = 1; },
       {"annotations[1].id: duplicate annotation id 1"}},
      {"string for a number", [](json& j) { j["annotations"][0]["bbox"][1] = "1"; },
       {"annotations[0].bbox[1]: expected a number, got string"}},
      {"three box numbers", [](json& j) { j["annotations"][0]["bbox"] = {1, 1, 2}; },
       {"annotations[0].bbox: expected 4 numbers [x, y, width, height], got 3"}},
      {"no bbox", [](json& j) { j["annotations"][0].erase("bbox"); }, {"annotations[0]: missing key \"bbox\""}},
      {"no images", [](json& j) { j.erase("images"); }, {"(top level): missing key \"images\""}},
      {"iscrowd 2", [](json& j) { j["annotations"][0]["iscrowd"] = 2; }, {"annotations[0].iscrowd: expected 0 or 1, got 2"}},
      {"image size 0", [](json& j) { j["images"][0]["width"] = 0; }, {"images[0]: width and height must be positive"}},
      {"polygon", [](json& j) { j["annotations"][0]["segmentation"] = json::parse("[[1, 1, 3, 1, 3, 3]]"); },
       {"annotations[0].segmentation: polygon segmentations are not supported"}},
      {"mask of another size", [](json& j) { j["annotations"][1]["segmentation"]["size"] = {4, 5}; },
       {"annotations[1].segmentation.counts: run lengths sum to 16, the mask has 4 x 5 = 20 pixels"}},
      {"mask size not the image's",
       [](json& j) {
         j["annotations"][1]["segmentation"] = {{"size", {2, 8}}, {"counts", {3, 2, 11}}};
       },
       {"annotations[1].segmentation.size: the mask is 2 x 8 (h x w), its image 2 is 4 x 4"}},
      {"negative run", [](json& j) { j["annotations"][1]["segmentation"]["counts"][1] = -3; },
       {"annotations[1].segmentation.counts[1]: run length -3 outside"}},
      {"empty mask", [](json& j) { j["annotations"][1]["segmentation"]["counts"] = {16}; },
       {"annotations[1].segmentation: the mask is empty"}},
      {"bad compressed counts", [](json& j) { j["annotations"][1]["segmentation"]["counts"] = "1"; },
       {"annotations[1].segmentation.counts: "}},  // runs [1]: not 16 pixels
      {"counts of another type", [](json& j) { j["annotations"][1]["segmentation"]["counts"] = 5; },
       {"annotations[1].segmentation.counts: expected a compressed string or a list of run lengths"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    json j = valid_json();
    c.breaks(j);
    const std::string path = dir.file("bad.json");
    write_json(path, j);
    std::vector<std::string> fragments = c.fragments;
    fragments.push_back(path + ": ");
    test::require_error([&] { read_coco_detection(path); }, std::initializer_list<std::string>{fragments[0], fragments[1]});
  }
  // 1e999 overflows a double: nlohmann refuses it while parsing, and the message names the file.
  std::string text = valid_json().dump();
  text.replace(text.find("[1,1,3,2]"), 9, "[1,1,1e999,2]");
  std::ofstream(dir.file("inf.json")) << text;
  test::require_error([&] { read_coco_detection(dir.file("inf.json")); }, {dir.file("inf.json") + ": invalid JSON", "1e999"});
}

TEST_CASE("coco_detection: the writer refuses what the reader would refuse, and writes nothing", "[coco_detection]") {
  test::TempDir dir("coco_det");
  CocoDetDataset d = small_dataset(4);
  d.annotations[1].category_id = 2;
  test::require_error([&] { write_coco_detection(dir.file("w.json"), d); },
                      {dir.file("w.json"), "annotations[1].category_id: unknown category id 2"});
  d = small_dataset(4);
  d.annotations[0].bbox[2] = std::nan("");
  test::require_error([&] { write_coco_detection(dir.file("w.json"), d); }, {"annotations[0].bbox[2]: expected a finite"});
  d = small_dataset(4);
  std::mt19937 g(1);
  d.annotations[0].mask = random_mask(g, 3, 3);
  test::require_error([&] { write_coco_detection(dir.file("w.json"), d); }, {"the mask is 3 x 3 (h x w)"});
  CHECK(!std::filesystem::exists(dir.file("w.json")));
}
