// Upsampling by hand: bilinear reproduces a linear function, nearest duplicates, edge shapes and
// errors. The forward against the definitions, the float64 gradients, PyTorch's numbers and CUDA
// parity come from the case table, upsample_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/helpers.h"

using namespace oc;

namespace {

// x[h][w] = 2 h + w on a 2x2 grid.
Tensor grid2x2() { return from_vector<double>({0, 1, 2, 3}, {1, 1, 2, 2}); }

// 2 * ch + cw for each pair of source coordinates.
Tensor linear_on(const std::vector<double>& coords) {
  std::vector<double> v;
  for (double h : coords)
    for (double w : coords) v.push_back(2 * h + w);
  const auto n = static_cast<int64_t>(coords.size());
  return from_vector(v, {1, 1, n, n});
}

}  // namespace

TEST_CASE("upsample: bilinear 2x2 -> 4x4 by hand, align_corners true and false") {
  // Bilinear interpolation reproduces a linear function at the source coordinates.
  // align_corners: src = dst * (2 - 1) / (4 - 1) = 0, 1/3, 2/3, 1.
  REQUIRE_CLOSE(upsample_bilinear2d(grid2x2(), 4, 4, true), linear_on({0, 1.0 / 3, 2.0 / 3, 1}), 1e-15, 0);
  // Half-pixel: src = (dst + 0.5) / 2 - 0.5 = -0.25 -> 0, 0.25, 0.75, 1.25 -> 1 (the edge pixel).
  REQUIRE_CLOSE(upsample_bilinear2d(grid2x2(), 4, 4, false), linear_on({0, 0.25, 0.75, 1}), 1e-15, 0);
}

TEST_CASE("upsample: nearest by hand: duplication at 2x, float scale floor elsewhere") {
  Tensor y = upsample_nearest2d(grid2x2(), 4, 4);
  REQUIRE(to_vector<double>(y) == std::vector<double>{0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3});
  // 3 -> 5: src = floor(dst * 0.6) = 0 0 1 1 2;  5 -> 3: floor(dst * 5/3) = 0 1 3.
  Tensor r = from_vector<double>({10, 20, 30}, {1, 1, 1, 3});
  REQUIRE(to_vector<double>(upsample_nearest2d(r, 1, 5)) == std::vector<double>{10, 10, 20, 20, 30});
  Tensor r5 = from_vector<double>({1, 2, 3, 4, 5}, {1, 1, 5, 1});
  REQUIRE(to_vector<double>(upsample_nearest2d(r5, 3, 1)) == std::vector<double>{1, 2, 4});
  // The gradient sums over the copies: 2x2 blocks of 1 -> 4 each.
  Tensor x = grid2x2().set_requires_grad();
  sum(upsample_nearest2d(x, 4, 4)).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>{4, 4, 4, 4});
}

TEST_CASE("upsample: edge shapes: 1x1 input, empty batch, non-contiguous input") {
  Tensor one = from_vector<double>({3.5}, {1, 1, 1, 1});
  for (bool ac : {true, false})
    REQUIRE(to_vector<double>(upsample_bilinear2d(one, 2, 3, ac)) == std::vector<double>(6, 3.5));
  REQUIRE(to_vector<double>(upsample_nearest2d(one, 3, 2)) == std::vector<double>(6, 3.5));
  Tensor e = zeros({0, 2, 3, 3}, DType::f64).set_requires_grad();
  Tensor y = upsample_bilinear2d(e, 6, 6, false);
  REQUIRE(y.shape() == Shape{0, 2, 6, 6});
  sum(y).backward();
  REQUIRE(e.grad().shape() == e.shape());
  REQUIRE(upsample_nearest2d(e, 5, 5).shape() == Shape{0, 2, 5, 5});

  Tensor nhwc = test::rand({2, 3, 4, 2}, 54, -1, 1, DType::f64);
  Tensor view = permute(nhwc, {0, 3, 1, 2});
  REQUIRE_CLOSE(upsample_bilinear2d(view, 5, 7, true), upsample_bilinear2d(contiguous(view), 5, 7, true), 0, 0);
  REQUIRE_CLOSE(upsample_nearest2d(view, 5, 7), upsample_nearest2d(contiguous(view), 5, 7), 0, 0);
  // (The gradient through the view is a row of the case table.)
}

TEST_CASE("upsample: errors name the op and the shapes") {
  REQUIRE_THROWS_WITH(upsample_bilinear2d(zeros({3, 4, 4}), 8, 8, false),
                      Catch::Contains("upsample_bilinear2d: expected a 4-D input [N, C, H, W], got [3, 4, 4]"));
  REQUIRE_THROWS_WITH(upsample_nearest2d(zeros({1, 3, 4, 4}), 0, 8),
                      Catch::Contains("upsample_nearest2d: output size 0x8 must be positive (input [1, 3, 4, 4])"));
  REQUIRE_THROWS_WITH(upsample_nearest2d(zeros({1, 3, 0, 4}), 2, 8), Catch::Contains("empty spatial size"));
  REQUIRE_THROWS_WITH(upsample_bilinear2d(zeros({1, 1, 2, 2}, DType::i32), 4, 4, true),
                      Catch::Contains("upsample_bilinear2d: expected a float32 or float64 tensor"));
}

