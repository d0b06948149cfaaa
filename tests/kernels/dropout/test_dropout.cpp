// Dropout by hand: eval and p = 0 or 1, the dropped fraction and the mean, seeding, views, errors.
// The formula with a fixed seed, the float64 gradient and CUDA parity come from the case table,
// dropout_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/helpers.h"

using namespace oc;

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

TEST_CASE("dropout: a non-contiguous input draws the mask in its logical order, an empty one draws none") {
  // (The float64 finite differences with a fixed seed are a row of the case table.)
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
