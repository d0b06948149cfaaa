// Factories by hand: full, arange, linspace, eye values and errors; fill_ through strided views and
// on tensors that require grad. Formulas in float64 and CUDA parity: the case table, fill_cases.cpp.
#include <catch2/catch.hpp>

#include "tests/helpers.h"

using namespace oc;

TEST_CASE("factories: full, arange, linspace, eye") {
  REQUIRE(to_vector<float>(full({2, 2}, 3.5)) == std::vector<float>(4, 3.5f));
  REQUIRE(to_vector<int64_t>(arange(2, 11, 3, DType::i64)) == std::vector<int64_t>{2, 5, 8});
  REQUIRE(arange(0, 0).numel() == 0);
  REQUIRE(to_vector<float>(arange(1, 0, -0.25)) == std::vector<float>{1, 0.75, 0.5, 0.25});
  std::vector<double> l = to_vector<double>(linspace(-1, 1, 5, DType::f64));
  REQUIRE(l == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  REQUIRE(to_vector<float>(linspace(0, 1, 7)).back() == 1.0f);  // end point exact
  REQUIRE(to_vector<float>(eye(2, 3)) == std::vector<float>{1, 0, 0, 0, 1, 0});
  REQUIRE_THROWS_WITH(arange(0, 1, 0), Catch::Contains("arange: step must be non-zero"));
  REQUIRE_THROWS_WITH(zeros({2, -1}), Catch::Contains("negative dimension"));
}

TEST_CASE("fill_ writes through strided views and refuses tensors that require grad") {
  Tensor x = zeros({3, 4});
  fill_(slice(x, 1, 1, 4, 2), 7);
  REQUIRE(to_vector<float>(x) == std::vector<float>{0, 7, 0, 7, 0, 7, 0, 7, 0, 7, 0, 7});
  Tensor w = zeros({2}).set_requires_grad();
  REQUIRE_THROWS_WITH(fill_(w, 1), Catch::Contains("requires grad"));
}
