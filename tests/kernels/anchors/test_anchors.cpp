// Anchor generator by hand: torchvision's base anchors and their rounding, the order of the rows,
// strides from the image size, float64, empty maps, and the errors (golden numbers from torchvision
// are in tests/kernels/matcher/test_anchors_matcher_golden.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "kernels/anchors/anchors.h"
#include "tests/helpers.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("anchors of a 2x2 map, stride 16, size 32, ratios 0.5 1 2, number by number") {
  // ratio 0.5: h_ratio = sqrt(0.5) = 0.70711, w_ratio = 1.41421; w = 45.255, h = 22.627;
  //            halves 22.627 -> 23 and 11.314 -> 11: (-23, -11, 23, 11)
  // ratio 1:   (-16, -16, 16, 16);  ratio 2: w = 22.627, h = 45.255: (-11, -23, 11, 23)
  // Locations row-major (x fastest), shifted by (16 x, 16 y), each with the 3 base anchors.
  const std::vector<float> base = {-23, -11, 23, 11, -16, -16, 16, 16, -11, -23, 11, 23};
  std::vector<float> want;
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 2; ++x)
      for (int a = 0; a < 3; ++a)
        for (int k = 0; k < 4; ++k) want.push_back(base[a * 4 + k] + static_cast<float>(k % 2 == 0 ? 16 * x : 16 * y));
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor t = anchors({{{32}, {0.5, 1, 2}, 2, 2, 16, 16}}, dt);
    REQUIRE(t.shape() == Shape{12, 4});
    REQUIRE(t.dtype() == dt);
    const std::vector<double> got = to_vector<double>(t);
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("element " << i);
      REQUIRE(got[i] == want[i]);
    }
  }
  // Row 5 by hand: location 1 (x = 1, y = 0), ratio 2: (-11 + 16, -23, 11 + 16, 23)
  const std::vector<float> r5 = to_vector<float>(anchors({{{32}, {0.5, 1, 2}, 2, 2, 16, 16}}));
  REQUIRE(std::vector<float>(r5.begin() + 20, r5.begin() + 24) == std::vector<float>{5, -23, 27, 23});
}

TEST_CASE("anchor half-extents round half to even, as torch.round") {
  // ratio 1: half-extent = size / 2 exactly. 33 -> 16.5 -> 16, 35 -> 17.5 -> 18, 37 -> 18.5 -> 18.
  const std::vector<float> b = anchor_base_boxes({33, 35, 37}, {1});
  REQUIRE(b == std::vector<float>{-16, -16, 16, 16, -18, -18, 18, 18, -18, -18, 18, 18});
  // Ratio-major order: for each ratio, every size.
  const std::vector<float> c = anchor_base_boxes({32, 64}, {1, 4});
  // ratio 4: h_ratio 2, w_ratio 0.5: size 32 -> w 16, h 64 -> (-8, -32, 8, 32); size 64 -> (-16, -64, 16, 64)
  REQUIRE(c == std::vector<float>{-16, -16, 16, 16, -32, -32, 32, 32, -8, -32, 8, 32, -16, -64, 16, 64});
}

TEST_CASE("anchors of several levels come level by level with their own strides") {
  const std::vector<AnchorLevel> levels = {{{16}, {1}, 2, 3, 8, 4}, {{40, 20}, {1}, 1, 2, 5, 7}};
  const std::vector<float> a = to_vector<float>(anchors(levels));
  REQUIRE(a.size() == (2 * 3 * 1 + 1 * 2 * 2) * 4u);
  // Level 0, location (x 2, y 1): shift (8, 8) with stride_w 4, stride_h 8 -> (-8 + 8, -8 + 8, 8 + 8, 8 + 8)
  REQUIRE(std::vector<float>(a.begin() + 20, a.begin() + 24) == std::vector<float>{0, 0, 16, 16});
  // Level 1 starts at row 6: location 1 (x 1) shift 7, its second size 20 -> (-10 + 7, -10, 10 + 7, 10)
  REQUIRE(std::vector<float>(a.begin() + 36, a.begin() + 40) == std::vector<float>{-3, -10, 17, 10});
}

TEST_CASE("anchors_for_image takes the strides as image size // feature size, as torchvision") {
  // 100 x 75 with a 13 x 10 map: strides 7 and 7 (not 100 / 13 = 7.69)
  Tensor t = anchors_for_image({{32}}, {{1}}, {{13, 10}}, 100, 75);
  REQUIRE(t.shape() == Shape{130, 4});
  const std::vector<float> a = to_vector<float>(t);
  // last location (x 9, y 12): shift (63, 84)
  REQUIRE(std::vector<float>(a.end() - 4, a.end()) == std::vector<float>{47, 68, 79, 100});
}

TEST_CASE("anchors of empty maps and no levels are empty") {
  REQUIRE(anchors({}).shape() == Shape{0, 4});
  REQUIRE(anchors({{{32}, {1}, 0, 5, 16, 16}}, DType::f64).shape() == Shape{0, 4});
}

TEST_CASE("anchors refuse bad sizes, ratios, strides and dtypes, naming the value") {
  require_error([] { anchors({{{0}, {1}, 2, 2, 16, 16}}); }, {"anchors", "size 0"});
  require_error([] { anchors({{{32}, {-1}, 2, 2, 16, 16}}); }, {"anchors", "aspect ratio -1"});
  require_error([] { anchors({{{NAN}, {1}, 2, 2, 16, 16}}); }, {"anchors", "size nan"});
  require_error([] { anchors({{{}, {1}, 2, 2, 16, 16}}); }, {"anchors", "0 sizes"});
  require_error([] { anchors({{{32}, {1}, 2, 2, 0, 16}}); }, {"anchors", "level 0", "stride 0x16"});
  require_error([] { anchors({{{32}, {1}, 2, 2, 8, 8}, {{32}, {1}, -1, 2, 16, 16}}); }, {"anchors", "level 1", "-1x2"});
  require_error([] { anchors({{{32}, {1}, 2, 2, 16, 16}}, DType::i64); }, {"anchors", "int64"});
  require_error([] { anchors_for_image({{32}}, {{1}, {2}}, {{2, 2}}, 32, 32); }, {"anchors", "one entry per level"});
  require_error([] { anchors_for_image({{32}}, {{1}}, {{40, 2}}, 32, 32); }, {"anchors", "40x2", "32x32"});
}
