// gather, scatter_add, index_select by hand: small cases and bounds errors. Gradients, PyTorch's
// numbers and CUDA parity: the case table, index_cases.cpp.
#include <catch2/catch.hpp>

#include "tests/helpers.h"

using namespace oc;

TEST_CASE("gather and scatter_add: hand-computed cases") {
  Tensor x = reshape(arange(0, 6), {2, 3});  // [[0,1,2],[3,4,5]]
  Tensor idx = from_vector<int64_t>({2, 0, 1, 1}, {2, 2});
  REQUIRE(to_vector<float>(gather(x, 1, idx)) == std::vector<float>{2, 0, 4, 4});
  Tensor idx0 = from_vector<int64_t>({1, 0, 1}, {1, 3});
  REQUIRE(to_vector<float>(gather(x, 0, idx0)) == std::vector<float>{3, 1, 5});
  Tensor s = scatter_add(zeros({2, 3}), 1, idx, ones({2, 2}));
  REQUIRE(to_vector<float>(s) == std::vector<float>{1, 0, 1, 0, 2, 0});
  REQUIRE(to_vector<float>(index_select(x, 1, from_vector<int64_t>({2, 2, 0}, {3}))) ==
          std::vector<float>{2, 2, 0, 5, 5, 3});
  REQUIRE(to_vector<float>(index_select(x, 0, from_vector<int64_t>({1}, {1}))) == std::vector<float>{3, 4, 5});
}

TEST_CASE("index ops: errors name the op and the bad index") {
  Tensor x = zeros({2, 3});
  REQUIRE_THROWS_WITH(gather(x, 1, from_vector<int64_t>({3}, {1, 1})),
                      Catch::Contains("gather: index 3 is out of bounds"));
  REQUIRE_THROWS_WITH(gather(x, 1, from_vector<int64_t>({-1}, {1, 1})), Catch::Contains("index -1"));
  REQUIRE_THROWS_WITH(gather(x, 1, from_vector<int32_t>({0}, {1, 1})), Catch::Contains("index must be int64"));
  REQUIRE_THROWS_WITH(gather(x, 1, from_vector<int64_t>({0}, {1})), Catch::Contains("as many dims"));
  REQUIRE_THROWS_WITH(scatter_add(x, 0, from_vector<int64_t>({5}, {1, 1}), ones({1, 1})),
                      Catch::Contains("scatter_add: index 5"));
  REQUIRE_THROWS_WITH(index_select(x, 0, from_vector<int64_t>({0}, {1, 1})), Catch::Contains("must be 1-D"));
}
