// Pooling by hand: the output size rule, hand-computed windows, ties and NaN, global pooling, edge
// shapes and error messages. The forward against the loops of the definitions, the float64
// gradients, PyTorch's numbers and CUDA parity come from the case table, pool_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "tests/helpers.h"

using namespace oc;

namespace {

Tensor ramp4x4() {
  std::vector<double> v(16);
  for (int i = 0; i < 16; ++i) v[i] = i;
  return from_vector(v, {1, 1, 4, 4});
}

}  // namespace

TEST_CASE("pool: pool2d_out_size follows PyTorch's floor / ceil rule") {
  CHECK(pool2d_out_size(4, 2, 2, 0, false) == 2);
  CHECK(pool2d_out_size(5, 2, 2, 0, false) == 2);
  CHECK(pool2d_out_size(5, 2, 2, 0, true) == 3);    // the last window holds only column 4
  CHECK(pool2d_out_size(6, 3, 2, 1, true) == 4);
  CHECK(pool2d_out_size(3, 2, 2, 1, false) == 2);
  CHECK(pool2d_out_size(3, 2, 2, 1, true) == 2);    // a third window would start in the right padding
  CHECK(pool2d_out_size(2, 3, 2, 0, true) == 1);    // ceil mode: a window may hang past the input
  CHECK(pool2d_out_size(2, 3, 1, 0, false) == 0);   // too small: the ops refuse this
  CHECK(pool2d_out_size(224, 7, 2, 3, false) == 112);
  REQUIRE_THROWS_WITH(pool2d_out_size(5, 0, 1, 0, false),
                      Catch::Contains("pool2d_out_size") && Catch::Contains("kernel 0"));
}

TEST_CASE("pool: 2x2 max pool of a 4x4 ramp, and its gradient at the maxima") {
  Tensor x = ramp4x4().set_requires_grad();
  Tensor y = max_pool2d(x, {2, 2, 2, 2});
  REQUIRE(y.shape() == Shape{1, 1, 2, 2});
  REQUIRE(to_vector<double>(y) == std::vector<double>{5, 7, 13, 15});
  sum(mul(y, from_vector<double>({1, 2, 3, 4}, {1, 1, 2, 2}))).backward();
  std::vector<double> want(16, 0);
  want[5] = 1;
  want[7] = 2;
  want[13] = 3;
  want[15] = 4;
  REQUIRE(to_vector<double>(x.grad()) == want);
  // Average of the same windows: 2.5, 4.5, 10.5, 12.5.
  REQUIRE(to_vector<double>(avg_pool2d(ramp4x4(), {2, 2, 2, 2})) == std::vector<double>{2.5, 4.5, 10.5, 12.5});
}

TEST_CASE("pool: max pool, ceil mode and padding by hand") {
  // 4x4 ramp, kernel 3, stride 2, ceil mode: windows start at 0 and 2, the second hangs over by one.
  REQUIRE(to_vector<double>(max_pool2d(ramp4x4(), {3, 3, 2, 2, 0, 0, true})) == std::vector<double>{10, 11, 14, 15});
  REQUIRE(max_pool2d(ramp4x4(), {3, 3, 2, 2}).shape() == Shape{1, 1, 1, 1});
  // Padding 1, kernel 2, stride 2 on -1 - ramp: windows [-1, 0], [1, 2], [3, 4] per axis. Padding is
  // -infinity, so the negative values still win.
  Tensor x = sub(neg(ramp4x4()), 1.0).set_requires_grad();
  Tensor y = max_pool2d(x, {2, 2, 2, 2, 1, 1});
  REQUIRE(to_vector<double>(y) == std::vector<double>{-1, -2, -4, -5, -6, -8, -13, -14, -16});
  sum(y).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>{1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1});
}

TEST_CASE("pool: avg pool divisor with and without the padding") {
  Tensor x = ones({1, 1, 3, 3}, DType::f64);
  const double c = 4.0 / 9, e = 6.0 / 9;
  REQUIRE_CLOSE(avg_pool2d(x, {3, 3, 1, 1, 1, 1}, true), from_vector<double>({c, e, c, e, 1, e, c, e, c}, {1, 1, 3, 3}),
                1e-15, 0);
  REQUIRE_CLOSE(avg_pool2d(x, {3, 3, 1, 1, 1, 1}, false), ones({1, 1, 3, 3}, DType::f64), 1e-15, 0);
  // Width 4, kernel 3, stride 2, pad 1, ceil mode: windows [-1, 2), [1, 4), [3, 6). The last is
  // clipped to the padded input [-1, 5) first: 2 wide with padding, 1 without.
  Tensor r = from_vector<double>({1, 2, 3, 4}, {1, 1, 1, 4});
  Tensor incl = avg_pool2d(r, {1, 3, 1, 2, 0, 1, true}, true);
  Tensor excl = avg_pool2d(r, {1, 3, 1, 2, 0, 1, true}, false);
  REQUIRE_CLOSE(incl, from_vector<double>({3.0 / 3, 9.0 / 3, 4.0 / 2}, {1, 1, 1, 3}), 1e-15, 0);
  REQUIRE_CLOSE(excl, from_vector<double>({3.0 / 2, 9.0 / 3, 4.0 / 1}, {1, 1, 1, 3}), 1e-15, 0);
}

TEST_CASE("pool: max pool picks the first of tied maxima and propagates NaN") {
  Tensor x = from_vector<double>({1, 3, 3, 0}, {1, 1, 2, 2}).set_requires_grad();
  sum(max_pool2d(x, {2, 2, 2, 2})).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>{0, 1, 0, 0});
  Tensor n = from_vector<float>({1, NAN, 3, 0, 1, 2, 3, 4}, {1, 2, 2, 2});
  std::vector<float> y = to_vector<float>(max_pool2d(n, {2, 2, 1, 1}));
  REQUIRE(std::isnan(y[0]));
  REQUIRE(y[1] == 4);
}

TEST_CASE("pool: 2x2 stride-2 max pool (the CPU's tiling fast path) keeps the window rule") {
  // Windows, row by row: all -inf (the first value, index 0); NaN first (it stays); a tie of 9s (the
  // first, index 5); NaN last (it replaces the 2). The gradient marks each window's argmax.
  const float inf = INFINITY;
  Tensor x = from_vector<float>({-inf, -inf, NAN, 5, 2, 9, 1, 2, -inf, -inf, 7, 1, 9, 1, NAN, 0}, {1, 1, 2, 8});
  x.set_requires_grad();
  Tensor y = max_pool2d(x, {2, 2, 2, 2});
  const std::vector<float> v = to_vector<float>(y);
  REQUIRE(v.size() == 4);
  REQUIRE(v[0] == -inf);
  REQUIRE(std::isnan(v[1]));
  REQUIRE(v[2] == 9);
  REQUIRE(std::isnan(v[3]));
  sum(y).backward();
  std::vector<float> want(16, 0);
  for (int i : {0, 2, 5, 14}) want[i] = 1;
  REQUIRE(to_vector<float>(x.grad()) == want);
}

TEST_CASE("pool: global adaptive average pooling is the mean over H and W") {
  Tensor x = test::rand({2, 3, 7, 5}, 12, -1, 1, DType::f64);
  REQUIRE_CLOSE(adaptive_avg_pool2d(x, 1, 1), mean(x, {2, 3}, true), 1e-15, 1e-14);
}

TEST_CASE("pool: edge shapes: 1x1 input, empty batch, zero channels, non-contiguous input") {
  Tensor one = from_vector<double>({2.5}, {1, 1, 1, 1});
  REQUIRE(to_vector<double>(max_pool2d(one, {1, 1, 1, 1})) == std::vector<double>{2.5});
  REQUIRE(to_vector<double>(avg_pool2d(one, {1, 1, 1, 1})) == std::vector<double>{2.5});
  REQUIRE(to_vector<double>(max_pool2d(one, {2, 2, 2, 2, 0, 0, true})) == std::vector<double>{2.5});
  REQUIRE(to_vector<double>(adaptive_avg_pool2d(one, 2, 3)) == std::vector<double>(6, 2.5));

  for (Shape shape : {Shape{0, 3, 5, 5}, Shape{2, 0, 5, 5}}) {
    INFO(shape_str(shape));
    Tensor e = zeros(shape, DType::f64).set_requires_grad();
    Tensor y = max_pool2d(e, {2, 2, 2, 2});
    REQUIRE(y.shape() == Shape{shape[0], shape[1], 2, 2});
    sum(y).backward();
    REQUIRE(e.grad().shape() == shape);
    REQUIRE(avg_pool2d(e, {3, 3, 1, 1, 1, 1}).shape() == Shape{shape[0], shape[1], 5, 5});
    REQUIRE(adaptive_avg_pool2d(e, 1, 1).shape() == Shape{shape[0], shape[1], 1, 1});
  }

  // NHWC storage seen as NCHW: a permuted, non-contiguous view. Outputs and gradients as for a copy.
  Tensor nhwc = test::rand({2, 5, 6, 3}, 14, -1, 1, DType::f64);
  Tensor view = permute(nhwc, {0, 3, 1, 2});
  REQUIRE(!view.is_contiguous());
  Tensor copy = contiguous(view);
  const Pool2dParams p{3, 3, 2, 2, 1, 1};
  REQUIRE_CLOSE(max_pool2d(view, p), max_pool2d(copy, p), 0, 0);
  REQUIRE_CLOSE(avg_pool2d(view, p, false), avg_pool2d(copy, p, false), 0, 0);
  REQUIRE_CLOSE(adaptive_avg_pool2d(view, 2, 4), adaptive_avg_pool2d(copy, 2, 4), 0, 0);
  // (The gradient through the view is a row of the case table.)
}

TEST_CASE("pool: errors name the op and the shapes") {
  Tensor x = zeros({1, 2, 3, 3});
  REQUIRE_THROWS_WITH(max_pool2d(zeros({2, 3, 3}), {2, 2, 2, 2}),
                      Catch::Contains("max_pool2d: expected a 4-D input [N, C, H, W], got [2, 3, 3]"));
  REQUIRE_THROWS_WITH(max_pool2d(x, {5, 5, 1, 1}), Catch::Contains("max_pool2d: kernel 5x5 is larger than the padded "
                                                                   "input 3x3") &&
                                                       Catch::Contains("[1, 2, 3, 3]"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, {4, 4, 1, 1, 0, 0}), Catch::Contains("avg_pool2d: kernel 4x4 is larger"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, {3, 3, 1, 1, 2, 0}),
                      Catch::Contains("avg_pool2d: padding 2x0 must be at most half the kernel 3x3"));
  REQUIRE_THROWS_WITH(max_pool2d(x, {2, 2, 0, 1}), Catch::Contains("max_pool2d: stride 0x1 must be positive"));
  REQUIRE_THROWS_WITH(max_pool2d(x, {0, 2, 1, 1}), Catch::Contains("max_pool2d: kernel 0x2 must be positive"));
  REQUIRE_THROWS_WITH(max_pool2d(zeros({1, 2, 0, 3}), {1, 1, 1, 1}), Catch::Contains("empty spatial size"));
  REQUIRE_THROWS_WITH(adaptive_avg_pool2d(x, 0, 2),
                      Catch::Contains("adaptive_avg_pool2d: output size 0x2 must be positive (input [1, 2, 3, 3])"));
  REQUIRE_THROWS_WITH(max_pool2d(zeros({1, 1, 2, 2}, DType::i64), {1, 1, 1, 1}),
                      Catch::Contains("max_pool2d: expected a float32 or float64 tensor"));
}
