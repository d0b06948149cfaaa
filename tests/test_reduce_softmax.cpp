// Reductions and softmax: forward against plain loops, gradients, keepdim, ties, empty dims, errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>

#include "tests/helpers.h"

using namespace oc;

namespace {
// Reference reduction of a [A, B, C] tensor over axis 1, returning [A, C].
std::vector<double> reduce_axis1(const std::vector<double>& v, int A, int B, int C, double init,
                                 const std::function<double(double, double)>& f) {
  std::vector<double> out(A * C, init);
  for (int i = 0; i < A; ++i)
    for (int j = 0; j < B; ++j)
      for (int k = 0; k < C; ++k) out[i * C + k] = f(out[i * C + k], v[(i * B + j) * C + k]);
  return out;
}
}  // namespace

TEST_CASE("reduce: sum, mean, max, min over a middle axis match loops") {
  Tensor x = test::rand({3, 5, 4}, 1);
  std::vector<double> v = to_vector<double>(x);
  auto s = reduce_axis1(v, 3, 5, 4, 0, [](double a, double b) { return a + b; });
  auto mx = reduce_axis1(v, 3, 5, 4, -1e9, [](double a, double b) { return std::max(a, b); });
  auto mn = reduce_axis1(v, 3, 5, 4, 1e9, [](double a, double b) { return std::min(a, b); });
  REQUIRE_CLOSE(sum(x, {1}), from_vector(s, {3, 4}), 1e-6, 1e-6);
  std::vector<double> m = s;
  for (double& e : m) e /= 5;
  REQUIRE_CLOSE(mean(x, {1}), from_vector(m, {3, 4}), 1e-6, 1e-6);
  REQUIRE_CLOSE(max(x, {1}), from_vector(mx, {3, 4}), 0, 0);
  REQUIRE_CLOSE(min(x, {-2}), from_vector(mn, {3, 4}), 0, 0);
  REQUIRE(sum(x, {1}, true).shape() == Shape{3, 1, 4});
  REQUIRE(sum(x).shape() == Shape{});
  REQUIRE(sum(x, {0, 2}).shape() == Shape{5});
  REQUIRE_CLOSE(sum(x), full({}, std::accumulate(v.begin(), v.end(), 0.0)), 1e-5, 1e-6);
}

TEST_CASE("reduce: var with correction 0 and 1") {
  Tensor x = test::rand({4, 6}, 2, -1, 1, DType::f64);
  std::vector<double> v = to_vector<double>(x), want0(4), want1(4);
  for (int i = 0; i < 4; ++i) {
    double m = 0, ss = 0;
    for (int j = 0; j < 6; ++j) m += v[i * 6 + j] / 6;
    for (int j = 0; j < 6; ++j) ss += (v[i * 6 + j] - m) * (v[i * 6 + j] - m);
    want0[i] = ss / 6;
    want1[i] = ss / 5;
  }
  REQUIRE_CLOSE(var(x, {1}, 0), from_vector(want0, {4}), 1e-14, 1e-12);
  REQUIRE_CLOSE(var(x, {1}), from_vector(want1, {4}), 1e-14, 1e-12);
}

TEST_CASE("reduce: argmax and argmin take the first extreme") {
  Tensor x = from_vector<float>({1, 5, 5, 0, 0, 2}, {2, 3});
  REQUIRE(to_vector<int64_t>(argmax(x, 1)) == std::vector<int64_t>{1, 2});
  REQUIRE(to_vector<int64_t>(argmin(x, 1)) == std::vector<int64_t>{0, 0});
  REQUIRE(to_vector<int64_t>(argmax(x, 0)) == std::vector<int64_t>{0, 0, 0});
  REQUIRE(argmax(x, 1, true).shape() == Shape{2, 1});
  REQUIRE(argmax(x, 1).dtype() == DType::i64);
}

TEST_CASE("reduce: NaN propagates through max, as PyTorch") {
  Tensor x = from_vector<float>({1, NAN, 3}, {3});
  REQUIRE(std::isnan(item<float>(max(x))));
  REQUIRE(item<int64_t>(argmax(x, 0)) == 1);
}

TEST_CASE("reduce: gradients of sum, mean, var, max, min") {
  Tensor x = test::rand({3, 4, 5}, 3, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return sum(in[0], {0, 2}); }, {x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return mean(in[0], {1}, true); }, {x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return var(in[0], {2}); }, {x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return max(in[0], {1}); }, {x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return min(in[0], {0, 1}); }, {x});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& in) { return sum(in[0]); }, {x});
}

TEST_CASE("reduce: max gradient is shared evenly among ties") {
  Tensor x = from_vector<double>({3, 1, 3, 2}, {4}).set_requires_grad();
  max(x).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>{0.5, 0, 0.5, 0});
}

TEST_CASE("reduce: empty dimensions") {
  Tensor e = zeros({3, 0});
  REQUIRE(to_vector<float>(sum(e, {1})) == std::vector<float>{0, 0, 0});
  REQUIRE(sum(e, {0}).shape() == Shape{0});
  REQUIRE_THROWS_WITH(max(e, {1}), Catch::Contains("max") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(sum(e, {2}), Catch::Contains("sum: dimension 2 is out of range"));
  REQUIRE_THROWS_WITH(sum(e, {1, 1}), Catch::Contains("sum: axis 1 is repeated"));
}

TEST_CASE("reduce: non-contiguous input") {
  Tensor x = test::rand({5, 7}, 4);
  Tensor xt = transpose(x, 0, 1);
  REQUIRE_CLOSE(sum(xt, {1}), sum(x, {0}), 1e-6, 1e-6);
  REQUIRE_CLOSE(max(slice(xt, 0, 1, 7, 3), {0}), max(contiguous(slice(xt, 0, 1, 7, 3)), {0}), 0, 0);
}

TEST_CASE("softmax: rows sum to one and match exp(x)/sum(exp(x)) along any axis") {
  Tensor x = test::rand({3, 4, 5}, 5, -3, 3, DType::f64);
  for (int axis : {0, 1, 2, -1}) {
    INFO("axis " << axis);
    Tensor want = div(exp(x), sum(exp(x), {axis}, true));
    REQUIRE_CLOSE(softmax(x, axis), want, 1e-15, 1e-12);
    REQUIRE_CLOSE(log_softmax(x, axis), log(want), 1e-14, 1e-12);
  }
}

TEST_CASE("softmax: stable for large logits") {
  Tensor x = from_vector<float>({1000, 1001, 1002, -1000}, {4});
  std::vector<float> y = to_vector<float>(softmax(x, 0));
  for (float v : y) REQUIRE(std::isfinite(v));
  REQUIRE(y[2] == Approx(1 / (1 + std::exp(-1.0) + std::exp(-2.0))).epsilon(1e-6));
  REQUIRE(std::isfinite(to_vector<float>(log_softmax(x, 0))[3]));
}

TEST_CASE("softmax: gradients along each axis") {
  Tensor x = test::rand({3, 4}, 6, -2, 2, DType::f64).set_requires_grad();
  for (int axis : {0, 1}) {
    REQUIRE_GRADCHECK([axis](const std::vector<Tensor>& in) { return softmax(in[0], axis); }, {x});
    REQUIRE_GRADCHECK([axis](const std::vector<Tensor>& in) { return log_softmax(in[0], axis); }, {x});
  }
}
