// Reductions by hand: the first extreme wins argmax, NaN propagates, ties share the gradient, empty
// dimensions and their errors, non-contiguous input. Every reduction against plain loops, by finite
// differences, against PyTorch and CUDA against CPU: the case table, reduce_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/helpers.h"

using namespace oc;

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
