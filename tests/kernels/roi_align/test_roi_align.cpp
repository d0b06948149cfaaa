// RoIAlign and RoIPool by hand: bins computed on a ramp, the sampling-border rules (-1, 0, H - 1, H),
// legacy and aligned boxes, the batch index, RoIPool's rounding, empty bins and its float32/float64
// bin-edge rule, a deterministic CPU backward, and the error messages. The forward against the
// reference loops, the float64 gradients, torchvision's numbers and CUDA parity come from the case
// table, roi_align_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "kernels/roi_align/roi_align.h"
#include "tests/helpers.h"

using namespace oc;

namespace {

// [1, 1, 4, 4] holding 4h + w: bilinear reads of it return 4y + x wherever they interpolate.
Tensor ramp4x4(DType dt = DType::f64) {
  std::vector<double> v(16);
  for (int i = 0; i < 16; ++i) v[i] = i;
  return to(from_vector(v, {1, 1, 4, 4}), dt);
}

Tensor box(std::vector<double> b, DType dt = DType::f64) { return to(from_vector(b, {1, 5}), dt); }

double only(const Tensor& t) {
  REQUIRE(t.numel() == 1);
  return to_vector<double>(t)[0];
}

}  // namespace

TEST_CASE("roi_align: a bin of a ramp and its gradient by hand") {
  for (DType dt : {DType::f32, DType::f64}) {
    // Box (0, 0)-(2, 2), one bin, 2x2 samples at 0.5 and 1.5 on each axis: the mean of
    // 4y + x there is 4 * 1 + 1 = 5.
    Tensor x = ramp4x4(dt).set_requires_grad();
    Tensor y = roi_align(x, box({0, 0, 0, 2, 2}, dt), {1, 1, 1.0, 2, false});
    REQUIRE(y.shape() == Shape{1, 1, 1, 1});
    CHECK(only(y) == Approx(5).epsilon(1e-6));
    // Each sample spreads 1/4 over its 4 pixels, each sample weighs 1/4: pixel (1, 1) is read by all
    // four samples, edge pixels by two, corners by one.
    sum(y).backward();
    const std::vector<double> want = {1, 2, 1, 0, 2, 4, 2, 0, 1, 2, 1, 0, 0, 0, 0, 0};
    std::vector<double> got = to_vector<double>(x.grad());
    for (int i = 0; i < 16; ++i) CHECK(got[i] == Approx(want[i] / 16).margin(1e-7));
  }
}

TEST_CASE("roi_align: aligned shifts the box by half a pixel, and samples in [-1, 0] clamp to row 0") {
  // Aligned box (0, 0)-(1, 1): start -0.5, size 1, samples at -0.25 (clamped to 0) and 0.25 on each
  // axis: the mean of y is 0.125, of x 0.125, so the bin is 4 * 0.125 + 0.125 = 0.625.
  CHECK(only(roi_align(ramp4x4(), box({0, 0, 0, 1, 1}), {1, 1, 1.0, 2, true})) == Approx(0.625).epsilon(1e-14));
  // Not aligned, the same box: samples at 0.25 and 0.75: 4 * 0.5 + 0.5.
  CHECK(only(roi_align(ramp4x4(), box({0, 0, 0, 1, 1}), {1, 1, 1.0, 2, false})) == Approx(2.5).epsilon(1e-14));
}

TEST_CASE("roi_align: a sample below -1 or beyond H reads 0, while exactly -1 and exactly H read the border") {
  const RoiAlignParams one{1, 1, 1.0, 1, false};  // a single sample at the box centre
  // Centre at y = -1.2: outside; the bin is 0 although every pixel is >= 0.
  CHECK(only(roi_align(ramp4x4(), box({0, 1, -2.2, 3, -0.2}), one)) == 0);
  // Centre at y = -1 (box -2 .. 0): clamped to row 0, x = 2: value 2.
  CHECK(only(roi_align(ramp4x4(), box({0, 1, -2, 3, 0}), one)) == Approx(2).epsilon(1e-14));
  // Centre at y = 4 = H (box 3 .. 5): the last row, x = 2: 4 * 3 + 2.
  CHECK(only(roi_align(ramp4x4(), box({0, 1, 3, 3, 5}), one)) == Approx(14).epsilon(1e-14));
  // Centre at y = 4.25 > H: outside.
  CHECK(only(roi_align(ramp4x4(), box({0, 1, 3.25, 3, 5.25}), one)) == 0);
  // Centre at y = 3.5 (between the last row's centre and H): reads the last row alone.
  CHECK(only(roi_align(ramp4x4(), box({0, 1, 2.5, 3, 4.5}), one)) == Approx(14).epsilon(1e-14));
  // The divisor counts the samples outside: box y -2 .. 1 (2 samples at -1.25, outside, and 0.25),
  // x 2 .. 2 (legacy width 1: samples at 2.25 and 2.75): two of the four samples read 0.
  CHECK(only(roi_align(ramp4x4(), box({0, 2, -2, 2, 1}), {1, 1, 1.0, 2, false})) ==
        Approx((0 + 0 + (4 * 0.25 + 2.25) + (4 * 0.25 + 2.75)) / 4).epsilon(1e-14));
}

TEST_CASE("roi_align: zero-size boxes are 1x1 when not aligned and empty when aligned") {
  // Not aligned: a point box at (1, 1) becomes 1 x 1 pixels, one adaptive sample at (1.5, 1.5).
  CHECK(only(roi_align(ramp4x4(), box({0, 1, 1, 1, 1}), {1, 1, 1.0, 0, false})) == Approx(7.5).epsilon(1e-14));
  // Aligned: size 0, an adaptive grid of 0 samples: the bin is 0; so is an inverted box's.
  CHECK(only(roi_align(ramp4x4(), box({0, 1, 1, 1, 1}), {1, 1, 1.0, 0, true})) == 0);
  CHECK(only(roi_align(ramp4x4(), box({0, 3, 3, 1, 1}), {1, 1, 1.0, 0, true})) == 0);
  // Aligned with a fixed sampling ratio, an inverted box samples backwards (torchvision's rule):
  // (3, 3)-(1, 1) -> start 2.5, size -2: samples at 2.5 - 0.5 and 2.5 - 1.5.
  CHECK(only(roi_align(ramp4x4(), box({0, 3, 3, 1, 1}), {1, 1, 1.0, 2, true})) == Approx(4 * 1.5 + 1.5).epsilon(1e-14));
}

TEST_CASE("roi_align: the adaptive grid is ceil(box size / bins) samples per bin") {
  // One row that is 0 except pixel 4 = 1, a box over x 0 .. 8 (not aligned), 1 bin along x: the
  // grid is ceil(8 / 1) = 8 samples at 0.5, 1.5, ..., 7.5; the two at 3.5 and 4.5 read pixel 4 with
  // weight 0.5 each: the bin is 1 / 8. With sampling_ratio 2 the samples sit at 2 and 6: 0.
  Tensor x = zeros({1, 1, 1, 9}, DType::f64);
  std::vector<double> v(9, 0.0);
  v[4] = 1;
  x = from_vector(v, {1, 1, 1, 9});
  CHECK(only(roi_align(x, box({0, 0, 0, 8, 0}), {1, 1, 1.0, 0, false})) == Approx(1.0 / 8).epsilon(1e-14));
  CHECK(only(roi_align(x, box({0, 0, 0, 8, 0}), {1, 1, 1.0, 2, false})) == 0);
  // spatial_scale 0.5: the box 0 .. 16 in image pixels is 0 .. 8 on the map: the same bin.
  CHECK(only(roi_align(x, box({0, 0, 0, 16, 0}), {1, 1, 0.5, 0, false})) == Approx(1.0 / 8).epsilon(1e-14));
}

TEST_CASE("roi_align and roi_pool read the image their batch index names") {
  // Two images, the second the first plus 100; a box on image 1 reads +100.
  Tensor x = cat({ramp4x4(), add(ramp4x4(), 100.0)}, 0);
  CHECK(only(roi_align(x, box({1, 0, 0, 2, 2}), {1, 1, 1.0, 2, false})) == Approx(105).epsilon(1e-14));
  CHECK(only(roi_pool(x, box({1, 0, 0, 2, 2}), {1, 1, 1.0})) == 110);
  // The gradient lands in image 1 only.
  Tensor xg = x.detach().set_requires_grad();
  sum(roi_pool(xg, box({1, 0, 0, 2, 2}), {1, 1, 1.0})).backward();
  std::vector<double> g = to_vector<double>(xg.grad());
  for (int i = 0; i < 32; ++i) CHECK(g[i] == (i == 16 + 10 ? 1 : 0));
}

TEST_CASE("roi_pool: rounded corners, whole-pixel bins, and the gradient at each maximum by hand") {
  // Box (0.4, 0.6)-(2.5, 3.4): rounded half away from zero to x 0 .. 3, y 1 .. 3 (4 x 3 pixels);
  // 2x2 bins: rows [1, 3) and [2, 4) (bin height 1.5: floor 0, ceil 1.5 -> 2; floor 1.5, ceil 3),
  // columns [0, 2) and [2, 4). Maxima of 4h + w: 9, 11, 13, 15.
  Tensor x = ramp4x4().set_requires_grad();
  Tensor y = roi_pool(x, box({0, 0.4, 0.6, 2.5, 3.4}), {2, 2, 1.0});
  REQUIRE(to_vector<double>(y) == std::vector<double>{9, 11, 13, 15});
  sum(mul(y, from_vector<double>({1, 2, 3, 4}, {1, 1, 2, 2}))).backward();
  std::vector<double> want(16, 0);
  want[9] = 1, want[11] = 2, want[13] = 3, want[15] = 4;
  REQUIRE(to_vector<double>(x.grad()) == want);
}

TEST_CASE("roi_pool: bins clipped away give 0 and no gradient, and ties go to the first maximum") {
  Tensor x = ramp4x4().set_requires_grad();
  // Columns 10 .. 12 lie right of the 4-pixel map: every bin is empty.
  Tensor y = roi_pool(x, box({0, 10, 0, 12, 3}), {2, 2, 1.0});
  REQUIRE(to_vector<double>(y) == std::vector<double>{0, 0, 0, 0});
  sum(y).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>(16, 0.0));
  // A constant map: the first pixel of the bin wins.
  Tensor c = full({1, 1, 4, 4}, 3.0, DType::f64).set_requires_grad();
  sum(roi_pool(c, box({0, 1, 1, 3, 3}), {1, 1, 1.0})).backward();
  std::vector<double> g(16, 0.0);
  g[5] = 1;
  REQUIRE(to_vector<double>(c.grad()) == g);
  // NaN never wins (torchvision compares with >): the bin is the maximum of the other pixels.
  std::vector<double> v(16, 0.5);
  v[5] = std::nan("");
  v[10] = 2;
  CHECK(only(roi_pool(from_vector(v, {1, 1, 4, 4}), box({0, 1, 1, 3, 3}), {1, 1, 1.0})) == 2);
}

TEST_CASE("roi_pool: 7 bins over 29 or 57 pixels end one pixel apart in float32 and float64, as torchvision") {
  // The last bin ends at ceil(7 * (size / 7)): 29 / 7 rounds up in float64 (7 * it > 29: the bin
  // reads pixel 29 past the box) and 57 / 7 in float32. torchvision gives 5 and 1 in float64, 1 and 5
  // in float32 on these rows.
  for (DType dt : {DType::f32, DType::f64}) {
    std::vector<double> a(40, 0.0), b(80, 0.0);
    a[28] = 1, a[29] = 5, b[56] = 1, b[57] = 5;
    const Tensor y29 = roi_pool(to(from_vector(a, {1, 1, 1, 40}), dt), box({0, 0, 0, 28, 0}, dt), {1, 7, 1.0});
    const Tensor y57 = roi_pool(to(from_vector(b, {1, 1, 1, 80}), dt), box({0, 0, 0, 56, 0}, dt), {1, 7, 1.0});
    CHECK(to_vector<double>(y29)[6] == (dt == DType::f64 ? 5 : 1));
    CHECK(to_vector<double>(y57)[6] == (dt == DType::f64 ? 1 : 5));
  }
}

TEST_CASE("roi_align and roi_pool: the CPU backward gives the same bits on 1 and several threads") {
  Tensor x = test::rand({2, 6, 12, 10}, 31, -1, 1, DType::f32);
  std::vector<double> b;
  Tensor u = test::rand({40, 4}, 32, 0, 1, DType::f64);
  std::vector<double> r = to_vector<double>(u);
  for (int k = 0; k < 40; ++k) {
    const double x1 = r[4 * k] * 30, y1 = r[4 * k + 1] * 36;
    b.insert(b.end(), {double(k % 2), x1, y1, x1 + 4 + r[4 * k + 2] * 12, y1 + 4 + r[4 * k + 3] * 12});
  }
  Tensor boxes = to(from_vector(b, {40, 5}), DType::f32);
  Tensor gy = test::rand({40, 6, 5, 5}, 33, -1, 1, DType::f32);
  auto grads = [&](int threads) {
    set_num_threads(threads);
    Tensor xa = x.detach().set_requires_grad(), xp = x.detach().set_requires_grad();
    sum(mul(roi_align(xa, boxes, {5, 5, 1.0 / 3, 0, true}), gy)).backward();
    sum(mul(roi_pool(xp, boxes, {5, 5, 1.0 / 3}), gy)).backward();
    return std::pair{to_vector<float>(xa.grad()), to_vector<float>(xp.grad())};
  };
  const auto one = grads(1), many = grads(4);
  set_num_threads(0);
  CHECK(one.first == many.first);
  CHECK(one.second == many.second);
  bool any = false;
  for (float v : one.first) any |= v != 0;
  CHECK(any);
}

TEST_CASE("roi_align and roi_pool: bad input is an error naming the op and the shapes") {
  const Tensor x = zeros({2, 3, 8, 8}, DType::f32), b = from_vector<float>({0, 1, 1, 4, 4}, {1, 5});
  const RoiAlignParams p{2, 2, 1.0, 2, false};
  using test::require_error;
  require_error([&] { roi_align(zeros({3, 8, 8}), b, p); }, {"roi_align", "features [N, C, H, W]", "[3, 8, 8]"});
  require_error([&] { roi_align(x, zeros({2, 4}), p); }, {"roi_align", "boxes [K, 5]", "[2, 4]"});
  require_error([&] { roi_pool(x, zeros({5}), {2, 2, 1.0}); }, {"roi_pool", "boxes [K, 5]", "[5]"});
  require_error([&] { roi_align(x, to(b, DType::f64), p); }, {"roi_align", "dtype"});
  require_error([&] { roi_align(zeros({2, 3, 0, 8}), b, p); }, {"roi_align", "empty spatial size"});
  require_error([&] { roi_align(to(x, DType::i64), to(b, DType::i64), p); }, {"roi_align", "float32 or float64"});
  require_error([&] { roi_align(x, b, {0, 2, 1.0, 2, false}); }, {"roi_align", "output size 0x2"});
  require_error([&] { roi_pool(x, b, {2, 2, 0.0}); }, {"roi_pool", "spatial_scale 0"});
  require_error([&] { roi_align(x, from_vector<float>({2, 1, 1, 4, 4}, {1, 5}), p); },
                {"roi_align", "box 0", "batch index 2", "[0, 2)", "[2, 3, 8, 8]"});
  require_error([&] { roi_pool(x, from_vector<float>({0, 1, 1, 4, 4, 0.5, 1, 1, 4, 4}, {2, 5}), {2, 2, 1.0}); },
                {"roi_pool", "box 1", "batch index 0.5"});
  require_error([&] { roi_align(x, from_vector<float>({0, 1, std::nanf(""), 4, 4}, {1, 5}), p); },
                {"roi_align", "box 0", "coordinate 2", "finite"});
  require_error([&] { roi_align(x, from_vector<float>({0, 1, 1, 4, 1e30f}, {1, 5}), p); },
                {"roi_align", "box 0", "coordinate 4"});
}

TEST_CASE("roi_align and roi_pool: no boxes, or no channels, give empty outputs and zero gradients") {
  for (bool pool : {false, true}) {
    Tensor x = test::rand({2, 3, 5, 5}, 41, -1, 1, DType::f64).set_requires_grad();
    Tensor none = zeros({0, 5}, DType::f64);
    Tensor y = pool ? roi_pool(x, none, {2, 2, 1.0}) : roi_align(x, none, {2, 2, 1.0, 2, false});
    REQUIRE(y.shape() == Shape{0, 3, 2, 2});
    sum(y).backward();
    REQUIRE(to_vector<double>(x.grad()) == std::vector<double>(150, 0.0));
    Tensor c = zeros({1, 0, 4, 4}, DType::f64);
    Tensor yc = pool ? roi_pool(c, box({0, 0, 0, 2, 2}), {2, 2, 1.0}) : roi_align(c, box({0, 0, 0, 2, 2}), {2, 2, 1.0, 2, false});
    REQUIRE(yc.shape() == Shape{1, 0, 2, 2});
  }
}

TEST_CASE("roi_align and roi_pool: boxes that require grad get none (as torchvision), the features theirs") {
  for (bool pool : {false, true}) {
    Tensor x = test::rand({1, 2, 6, 6}, 51, -1, 1, DType::f64).set_requires_grad();
    Tensor b = box({0, 0.5, 1, 4, 5}).set_requires_grad();
    Tensor y = pool ? roi_pool(x, b, {2, 2, 1.0}) : roi_align(x, b, {2, 2, 1.0, 2, true});
    sum(y).backward();
    CHECK_FALSE(b.grad().defined());
    REQUIRE(x.grad().defined());
    // Every bin's gradient lands on the features: the gradient sums to the number of bins read
    // (RoIAlign's samples here all fall inside, whose weights sum to 1; RoIPool's bins are non-empty).
    double s = 0;
    for (double v : to_vector<double>(x.grad())) s += v;
    CHECK(s == Approx(8).epsilon(1e-12));
  }
}
