// Elementwise ops by hand: ties in maximum/minimum, non-contiguous inputs, the threaded path, empty
// and 0-d tensors, comparisons, and error messages. Every op against its formula, by finite
// differences, against PyTorch and CUDA against CPU: the case table, elementwise_cases.cpp.
#include <catch2/catch.hpp>

#include "tests/helpers.h"

using namespace oc;

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

TEST_CASE("elementwise: errors name the op and the shapes") {
  Tensor a = zeros({2, 3}), b = zeros({4});
  REQUIRE_THROWS_WITH(add(a, b), Catch::Contains("add") && Catch::Contains("[2, 3]") && Catch::Contains("[4]"));
  REQUIRE_THROWS_WITH(mul(a, zeros({2, 3}, DType::f64)), Catch::Contains("mul: dtype mismatch"));
  REQUIRE_THROWS_WITH(exp(zeros({2}, DType::i64)), Catch::Contains("exp") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(clamp(a, 1, 0), Catch::Contains("clamp"));
  if (!cuda_available())
    REQUIRE_THROWS_WITH(zeros({2}, DType::f32, Device::cuda()), Catch::Contains("CUDA") || Catch::Contains("cuda"));
}
