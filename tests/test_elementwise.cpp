// Elementwise ops: forward against std:: math per element, gradients against finite differences,
// broadcasting, non-contiguous inputs, empty tensors, and error messages.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/helpers.h"

using namespace oc;

namespace {

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;
  double lo, hi;  // input range where the op is smooth and defined
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, [](double v) { return -v; }, -2, 2},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double v) { return std::exp(v); }, -2, 2},
      {"log", [](const Tensor& x) { return log(x); }, [](double v) { return std::log(v); }, 0.2, 3},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double v) { return std::sqrt(v); }, 0.2, 3},
      {"rsqrt", [](const Tensor& x) { return rsqrt(x); }, [](double v) { return 1 / std::sqrt(v); }, 0.2, 3},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double v) { return std::fabs(v); }, -2, 2},
      {"relu", [](const Tensor& x) { return relu(x); }, [](double v) { return v > 0 ? v : 0; }, -2, 2},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1); }, [](double v) { return v > 0 ? v : 0.1 * v; }, -2, 2},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, [](double v) { return 1 / (1 + std::exp(-v)); }, -4, 4},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double v) { return std::tanh(v); }, -2, 2},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 0.7); }, [](double v) { return std::min(0.7, std::max(-0.5, v)); }, -2, 2},
      {"pow", [](const Tensor& x) { return pow(x, 2.5); }, [](double v) { return std::pow(v, 2.5); }, 0.2, 2},
      {"add_scalar", [](const Tensor& x) { return x + 1.5; }, [](double v) { return v + 1.5; }, -2, 2},
      {"mul_scalar", [](const Tensor& x) { return x * -3.0; }, [](double v) { return v * -3; }, -2, 2},
      {"rsub_scalar", [](const Tensor& x) { return 2.0 - x; }, [](double v) { return 2 - v; }, -2, 2},
      {"rdiv_scalar", [](const Tensor& x) { return 2.0 / x; }, [](double v) { return 2 / v; }, 0.5, 2},
  };
}

struct BinaryCase {
  const char* name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> ref;
  double lo, hi;
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](auto& a, auto& b) { return a + b; }, [](double x, double y) { return x + y; }, -2, 2},
      {"sub", [](auto& a, auto& b) { return a - b; }, [](double x, double y) { return x - y; }, -2, 2},
      {"mul", [](auto& a, auto& b) { return a * b; }, [](double x, double y) { return x * y; }, -2, 2},
      {"div", [](auto& a, auto& b) { return a / b; }, [](double x, double y) { return x / y; }, 0.5, 2},
      {"pow", [](auto& a, auto& b) { return pow(a, b); }, [](double x, double y) { return std::pow(x, y); }, 0.5, 2},
      {"maximum", [](auto& a, auto& b) { return maximum(a, b); }, [](double x, double y) { return std::max(x, y); }, -2, 2},
      {"minimum", [](auto& a, auto& b) { return minimum(a, b); }, [](double x, double y) { return std::min(x, y); }, -2, 2},
  };
}

// Keeps inputs away from the kinks of relu/abs/clamp so finite differences are valid.
Tensor away_from_kinks(const Tensor& x) {
  std::vector<double> v = to_vector<double>(x);
  for (double& e : v) {
    for (double k : {0.0, -0.5, 0.7})
      if (std::fabs(e - k) < 0.05) e = k + 0.1;
  }
  return from_vector(v, x.shape());
}

}  // namespace

TEST_CASE("elementwise unary: forward matches std math, float32 and float64") {
  for (const auto& c : unary_cases()) {
    INFO(c.name);
    for (DType dt : {DType::f32, DType::f64}) {
      Tensor x = test::rand({3, 5, 7}, 11, c.lo, c.hi, dt);
      std::vector<double> xv = to_vector<double>(x), want(xv.size());
      for (size_t i = 0; i < xv.size(); ++i) want[i] = c.ref(xv[i]);
      Tensor y = c.op(x);
      REQUIRE(y.dtype() == dt);
      // float32: a few ulp of the result; float64: near-exact.
      REQUIRE_CLOSE(y, from_vector(want, x.shape()), dt == DType::f32 ? 1e-6 : 1e-14, dt == DType::f32 ? 1e-6 : 1e-14);
    }
  }
}

TEST_CASE("elementwise unary: gradients match finite differences") {
  for (const auto& c : unary_cases()) {
    INFO(c.name);
    Tensor x = away_from_kinks(test::rand({4, 6}, 12, c.lo, c.hi, DType::f64)).set_requires_grad();
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return c.op(in[0]); }, {x});
  }
}

TEST_CASE("elementwise binary: forward with broadcasting against a per-element reference") {
  for (const auto& c : binary_cases()) {
    INFO(c.name);
    Tensor a = test::rand({4, 1, 5}, 21, c.lo, c.hi), b = test::rand({3, 1}, 22, c.lo, c.hi);
    Tensor y = c.op(a, b);
    REQUIRE(y.shape() == Shape{4, 3, 5});
    std::vector<double> av = to_vector<double>(a), bv = to_vector<double>(b), want;
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 3; ++j)
        for (int k = 0; k < 5; ++k) want.push_back(c.ref(av[i * 5 + k], bv[j]));
    REQUIRE_CLOSE(y, from_vector(want, {4, 3, 5}), 1e-6, 1e-6);
  }
}

TEST_CASE("elementwise binary: gradients, including broadcast inputs") {
  for (const auto& c : binary_cases()) {
    INFO(c.name);
    Tensor a = test::rand({3, 4}, 31, c.lo, c.hi, DType::f64).set_requires_grad();
    Tensor b = test::rand({4}, 32, c.lo, c.hi, DType::f64).set_requires_grad();
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return c.op(in[0], in[1]); }, {a, b});
    Tensor s = test::rand({1, 1}, 33, c.lo, c.hi, DType::f64).set_requires_grad();
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return c.op(in[1], in[0]); }, {s, a});
  }
}

TEST_CASE("elementwise: maximum and minimum split the gradient on ties") {
  Tensor a = from_vector<double>({1, 2, 3}, {3}).set_requires_grad();
  Tensor b = from_vector<double>({1, 0, 5}, {3}).set_requires_grad();
  sum(maximum(a, b)).backward();
  REQUIRE(to_vector<double>(a.grad()) == std::vector<double>{0.5, 1, 0});
  REQUIRE(to_vector<double>(b.grad()) == std::vector<double>{0.5, 0, 1});
}

TEST_CASE("elementwise: non-contiguous inputs give the same result as contiguous copies") {
  Tensor a = test::rand({6, 8}, 41), b = test::rand({8, 6}, 42);
  Tensor at = transpose(a, 0, 1);  // [8, 6], strides (1, 8)
  Tensor bs = slice(b, 0, 1, 8, 2);  // [4, 6], stride 12 in dim 0
  REQUIRE_FALSE(at.is_contiguous());
  REQUIRE_CLOSE(mul(slice(at, 0, 0, 4), bs), mul(contiguous(slice(at, 0, 0, 4)), contiguous(bs)), 0, 0);
  REQUIRE_CLOSE(exp(at), exp(contiguous(at)), 0, 0);
}

TEST_CASE("elementwise: large tensors use the thread pool and stay exact") {
  Tensor a = test::rand({1000003}, 51), b = test::rand({1000003}, 52);
  Tensor y = a * b + 1.0;
  std::vector<float> av = to_vector<float>(a), bv = to_vector<float>(b), yv = to_vector<float>(y);
  for (size_t i = 0; i < yv.size(); i += 997) REQUIRE(yv[i] == av[i] * bv[i] + 1.0f);
}

TEST_CASE("elementwise: empty and 0-d tensors") {
  Tensor e = zeros({0, 3});
  REQUIRE((e + e).shape() == Shape{0, 3});
  REQUIRE((exp(e)).numel() == 0);
  Tensor s = full({}, 2.0);
  REQUIRE(item<float>(s * s) == 4.0f);
  REQUIRE((zeros({0, 1}) + ones({1, 4})).shape() == Shape{0, 4});
}

TEST_CASE("elementwise: comparisons and where") {
  Tensor a = from_vector<float>({1, 2, 3, 4}, {4}), b = from_vector<float>({4, 2, 1, 5}, {4});
  REQUIRE(to_vector<bool>(lt(a, b)) == std::vector<bool>{true, false, false, true});
  REQUIRE(to_vector<bool>(eq(a, b)) == std::vector<bool>{false, true, false, false});
  REQUIRE(to_vector<bool>(ge(a, b)) == std::vector<bool>{false, true, true, false});
  REQUIRE(to_vector<bool>(ne(a, b)) == std::vector<bool>{true, false, true, true});
  REQUIRE(to_vector<bool>(le(a, b)) == std::vector<bool>{true, true, false, true});
  REQUIRE(to_vector<bool>(gt(a, b)) == std::vector<bool>{false, false, true, false});
  REQUIRE(to_vector<float>(where(gt(a, b), a, b)) == std::vector<float>{4, 2, 3, 5});
  // Non-bool conditions: nonzero is true.
  REQUIRE(to_vector<float>(where(from_vector<float>({0, 2, 0, -1}, {4}), a, b)) == std::vector<float>{4, 2, 1, 4});
}

TEST_CASE("elementwise: where gradient flows to the chosen branch, with broadcasting") {
  Tensor cond = gt(test::rand({3, 4}, 61), zeros({}));
  Tensor a = test::rand({3, 4}, 62, -1, 1, DType::f64).set_requires_grad();
  Tensor b = test::rand({4}, 63, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return where(cond, in[0], in[1]); }, {a, b});
}

TEST_CASE("elementwise: errors name the op and the shapes") {
  Tensor a = zeros({2, 3}), b = zeros({4});
  REQUIRE_THROWS_WITH(add(a, b), Catch::Contains("add") && Catch::Contains("[2, 3]") && Catch::Contains("[4]"));
  REQUIRE_THROWS_WITH(mul(a, zeros({2, 3}, DType::f64)), Catch::Contains("mul: dtype mismatch"));
  REQUIRE_THROWS_WITH(exp(zeros({2}, DType::i64)), Catch::Contains("exp") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(clamp(a, 1, 0), Catch::Contains("clamp"));
  if (!cuda_available())
    REQUIRE_THROWS_WITH(zeros({2}, DType::f32, Device::cuda()), Catch::Contains("CUDA") || Catch::Contains("cuda"));
}
