// Anchors on CUDA: the same numbers as the CPU reference, bit for bit, for several level plans
// (odd maps, unequal strides, many rows so that the grid-stride loop wraps), float32 and float64.
#include <catch2/catch.hpp>

#include <vector>

#include "kernels/anchors/anchors.h"
#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("anchors on CUDA equal the CPU's") {
  const std::vector<std::vector<AnchorLevel>> plans = {
      {{{32}, {0.5, 1, 2}, 2, 2, 16, 16}},
      {{{33, 45}, {0.7, 1.3}, 13, 10, 7, 7}, {{64, 91}, {0.5, 1, 2}, 7, 5, 14, 15}, {{128}, {1}, 1, 1, 100, 75}},
      // ~300k rows: an FPN-sized level
      {{{32, 40, 50}, {0.5, 1, 2}, 100, 111, 4, 4}, {{64}, {0.5, 1, 2}, 50, 56, 8, 8}},
  };
  for (const auto& levels : plans)
    for (DType dt : {DType::f32, DType::f64}) {
      Tensor want = anchors(levels, dt), got = anchors(levels, dt, kCuda);
      INFO(levels.size() << " levels, " << dtype_name(dt) << ", " << want.size(0) << " rows");
      REQUIRE(got.device() == kCuda);
      REQUIRE(got.shape() == want.shape());
      REQUIRE(to_vector<double>(got) == to_vector<double>(want));
    }
  REQUIRE(anchors({{{32}, {1}, 0, 4, 8, 8}}, DType::f32, kCuda).shape() == Shape{0, 4});
}
