// Upsampling and dropout: hand-computed cases, forward against double loops written from PyTorch's
// definitions, float64 gradient checks, edge shapes, dropout statistics and seeding, errors.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/helpers.h"

using namespace oc;

namespace {

// Bilinear resize of [P, H, W] by its definition, in double.
std::vector<double> ref_bilinear(const std::vector<double>& x, int64_t P, int64_t H, int64_t W, int64_t Ho, int64_t Wo,
                                 bool align_corners) {
  auto source = [&](int64_t dst, int64_t in, int64_t out) {
    if (align_corners) return out > 1 ? dst * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
    return std::max((dst + 0.5) * static_cast<double>(in) / static_cast<double>(out) - 0.5, 0.0);
  };
  std::vector<double> y;
  for (int64_t p = 0; p < P; ++p)
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const double sh = source(oh, H, Ho), sw = source(ow, W, Wo);
        const auto h0 = static_cast<int64_t>(std::floor(sh)), w0 = static_cast<int64_t>(std::floor(sw));
        const int64_t h1 = std::min(h0 + 1, H - 1), w1 = std::min(w0 + 1, W - 1);
        const double lh = sh - h0, lw = sw - w0;
        auto at = [&](int64_t h, int64_t w) { return x[(p * H + h) * W + w]; };
        y.push_back((1 - lh) * ((1 - lw) * at(h0, w0) + lw * at(h0, w1)) +
                    lh * ((1 - lw) * at(h1, w0) + lw * at(h1, w1)));
      }
  return y;
}

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

TEST_CASE("upsample: bilinear matches its definition for up and down scaling, both conventions") {
  Tensor x = test::rand({2, 3, 5, 4}, 51, -1, 1, DType::f64);
  std::vector<double> xv = to_vector<double>(x);
  for (auto [ho, wo] : {std::pair<int64_t, int64_t>{9, 7}, {3, 2}, {5, 4}, {1, 1}, {1, 6}, {12, 3}}) {
    for (bool ac : {true, false}) {
      INFO(ho << "x" << wo << " align_corners " << ac);
      Tensor want = from_vector(ref_bilinear(xv, 6, 5, 4, ho, wo, ac), {2, 3, ho, wo});
      REQUIRE_CLOSE(upsample_bilinear2d(x, ho, wo, ac), want, 1e-15, 1e-13);
      REQUIRE_CLOSE(upsample_bilinear2d(to(x, DType::f32), ho, wo, ac), want, 1e-6, 1e-5);
    }
  }
}

TEST_CASE("upsample: nearest picks min(floor(dst * in / out), in - 1)") {
  Tensor x = test::rand({1, 2, 7, 5}, 52, -1, 1, DType::f64);
  std::vector<double> xv = to_vector<double>(x);
  for (auto [ho, wo] : {std::pair<int64_t, int64_t>{13, 11}, {3, 2}, {14, 10}, {7, 5}, {1, 1}}) {
    INFO(ho << "x" << wo);
    std::vector<double> want;
    for (int64_t p = 0; p < 2; ++p)
      for (int64_t oh = 0; oh < ho; ++oh)
        for (int64_t ow = 0; ow < wo; ++ow) {
          const auto h = std::min<int64_t>(static_cast<int64_t>(std::floor(oh * 7.0 / ho)), 6);
          const auto w = std::min<int64_t>(static_cast<int64_t>(std::floor(ow * 5.0 / wo)), 4);
          want.push_back(xv[(p * 7 + h) * 5 + w]);
        }
    REQUIRE_CLOSE(upsample_nearest2d(x, ho, wo), from_vector(want, {1, 2, ho, wo}), 0, 0);
  }
}

TEST_CASE("upsample: float64 gradients of nearest and bilinear") {
  Tensor x = test::rand({2, 2, 3, 4}, 53, -1, 1, DType::f64).set_requires_grad();
  for (auto [ho, wo] : {std::pair<int64_t, int64_t>{7, 5}, {2, 3}, {6, 8}, {1, 1}}) {
    INFO(ho << "x" << wo);
    REQUIRE_GRADCHECK([ho = ho, wo = wo](const std::vector<Tensor>& in) { return upsample_nearest2d(in[0], ho, wo); },
                      {x});
    for (bool ac : {true, false})
      REQUIRE_GRADCHECK(
          [ho = ho, wo = wo, ac](const std::vector<Tensor>& in) { return upsample_bilinear2d(in[0], ho, wo, ac); }, {x});
  }
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
  Tensor leaf = nhwc.detach().set_requires_grad();
  REQUIRE_GRADCHECK(
      [](const std::vector<Tensor>& in) { return upsample_bilinear2d(permute(in[0], {0, 3, 1, 2}), 5, 3, false); },
      {leaf});
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

TEST_CASE("dropout: identity in eval mode and for p = 0, zeros for p = 1") {
  Tensor x = test::rand({4, 5}, 61);
  REQUIRE(dropout(x, 0.5, false).is_same(x));
  REQUIRE(dropout(x, 0, true).is_same(x));
  Tensor xg = x.detach().set_requires_grad();
  Tensor y = dropout(xg, 1, true);
  REQUIRE(to_vector<float>(y) == std::vector<float>(20, 0));
  sum(y).backward();
  REQUIRE(to_vector<float>(xg.grad()) == std::vector<float>(20, 0));
}

TEST_CASE("dropout: drops a fraction p, scales survivors by 1 / (1 - p), keeps the mean") {
  const int64_t n = 200000;
  for (double p : {0.1, 0.5, 0.8}) {
    INFO("p " << p);
    Generator gen(62);
    Tensor y = dropout(ones({n}), p, true, &gen);
    std::vector<float> v = to_vector<float>(y);
    int64_t zeros_seen = 0, other = 0;
    double total = 0;
    const float scale = static_cast<float>(1 / (1 - p));
    for (float e : v) {
      if (e == 0) ++zeros_seen;
      else if (e != scale) ++other;
      total += e;
    }
    REQUIRE(other == 0);
    // Binomial: the standard deviation of the fraction is sqrt(p (1 - p) / n) < 0.0012; allow 5 of them.
    REQUIRE(std::fabs(static_cast<double>(zeros_seen) / n - p) < 0.006);
    REQUIRE(std::fabs(total / n - 1) < 0.006 / (1 - p));
  }
}

TEST_CASE("dropout: the same seed gives the same mask, the generator advances") {
  Tensor x = test::rand({64, 33}, 63, 0.5, 1.5);
  Generator a(7), b(7), c(8);
  Tensor ya = dropout(x, 0.4, true, &a), yb = dropout(x, 0.4, true, &b), yc = dropout(x, 0.4, true, &c);
  REQUIRE(to_vector<float>(ya) == to_vector<float>(yb));
  REQUIRE(to_vector<float>(ya) != to_vector<float>(yc));
  REQUIRE(to_vector<float>(dropout(x, 0.4, true, &a)) != to_vector<float>(ya));  // a moved on
  // The mask is bernoulli(1 - p) from the same generator state, on any device.
  Generator m(7);
  REQUIRE_CLOSE(ya, mul(x, div(bernoulli(x.shape(), 0.6, &m), 0.6)), 1e-6, 1e-6);
}

TEST_CASE("dropout: gradient is the scaled mask, float64 finite differences with a fixed seed") {
  Tensor x = test::rand({3, 7}, 64, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        Generator g(65);
        return dropout(in[0], 0.3, true, &g);
      },
      {x});
  // Non-contiguous input: the mask follows the view's logical order.
  Tensor t = test::rand({7, 3}, 66, 0.5, 1.5);
  Generator g1(67), g2(67);
  REQUIRE_CLOSE(dropout(transpose(t, 0, 1), 0.5, true, &g1), dropout(contiguous(transpose(t, 0, 1)), 0.5, true, &g2), 0,
                0);
  REQUIRE(dropout(zeros({0, 3}), 0.5, true).shape() == Shape{0, 3});
}

TEST_CASE("dropout: errors") {
  REQUIRE_THROWS_WITH(dropout(zeros({2}), 1.5, true),
                      Catch::Contains("dropout: probability p must be in [0, 1], got 1.5"));
  REQUIRE_THROWS_WITH(dropout(zeros({2}), -0.1, false), Catch::Contains("dropout: probability p must be in [0, 1]"));
  REQUIRE_THROWS_WITH(dropout(zeros({2}, DType::i64), 0.5, true),
                      Catch::Contains("dropout: expected a float32 or float64"));
}
