// torchvision's numbers (tests/data/golden_anchors_matcher.json, written by
// tools/goldens/anchors_matcher.py): AnchorGenerator's anchors for 2 levels x 2 padded image sizes
// and Matcher's outputs on an IoU matrix with ties, compared exactly.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "kernels/anchors/anchors.h"
#include "kernels/matcher/matcher.h"
#include "tests/helpers.h"

using namespace oc;
using nlohmann::json;

namespace {

json load_golden() {
  const std::string path = std::string(OCELLUS_SOURCE_DIR) + "/tests/data/golden_anchors_matcher.json";
  std::ifstream f(path);
  INFO("golden file " << path << " (run /usr/bin/python3 tools/goldens/anchors_matcher.py)");
  REQUIRE(f.good());
  return json::parse(f);
}

DType dtype_named(const std::string& s) { return s == "float64" ? DType::f64 : DType::f32; }

}  // namespace

TEST_CASE("anchors equal torchvision's AnchorGenerator (golden)") {
  const json doc = load_golden();
  REQUIRE(doc.at("anchors").size() == 4);
  for (const json& c : doc.at("anchors")) {
    INFO(c.at("name").get<std::string>());
    std::vector<std::pair<int64_t, int64_t>> feats;
    for (const json& f : c.at("feature_sizes")) feats.emplace_back(f[0].get<int64_t>(), f[1].get<int64_t>());
    const DType dt = dtype_named(c.at("dtype"));
    Tensor t = anchors_for_image(c.at("sizes").get<std::vector<std::vector<double>>>(),
                                 c.at("aspect_ratios").get<std::vector<std::vector<double>>>(), feats,
                                 c.at("image_size")[0].get<int64_t>(), c.at("image_size")[1].get<int64_t>(), dt);
    REQUIRE(t.shape() == Shape{c.at("rows").get<int64_t>(), 4});
    const std::vector<double> got = to_vector<double>(t), want = c.at("anchors").get<std::vector<double>>();
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("row " << i / 4 << " coordinate " << i % 4);
      REQUIRE(got[i] == want[i]);
    }
  }
}

TEST_CASE("match equals torchvision's Matcher, ties and exact thresholds included (golden)") {
  const json doc = load_golden();
  REQUIRE(doc.at("matcher").size() == 16);
  for (const json& c : doc.at("matcher")) {
    INFO(c.at("name").get<std::string>());
    const std::vector<int64_t> shape = c.at("shape").get<std::vector<int64_t>>();
    Tensor iou = to(from_vector(c.at("iou").get<std::vector<double>>(), {shape[0], shape[1]}), dtype_named(c.at("dtype")));
    const std::vector<int64_t> got =
        to_vector<int64_t>(match(iou, c.at("high").get<double>(), c.at("low").get<double>(), c.at("allow_low_quality").get<bool>()));
    REQUIRE(got == c.at("matches").get<std::vector<int64_t>>());
  }
}
