// matmul by hand: error messages. Shapes (1-D, 2-D, batched, broadcast), views, gradients, PyTorch's
// numbers and CUDA parity: the case table, matmul_cases.cpp.
#include <catch2/catch.hpp>

#include "tests/helpers.h"

using namespace oc;

TEST_CASE("matmul: errors name the shapes") {
  REQUIRE_THROWS_WITH(matmul(zeros({2, 3}), zeros({4, 5})),
                      Catch::Contains("matmul") && Catch::Contains("[2, 3]") && Catch::Contains("[4, 5]"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 2, 3}), zeros({3, 3, 2})), Catch::Contains("cannot be broadcast"));
  REQUIRE_THROWS_WITH(matmul(zeros({}), zeros({3})), Catch::Contains("at least 1 dim"));
}
