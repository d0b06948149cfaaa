#include <catch2/catch.hpp>
#include "tests/helpers.h"
using namespace oc;
TEST_CASE("smoke: add and backward") {
  Tensor a = test::rand({2, 3}, 1, -1, 1, DType::f64).set_requires_grad();
  Tensor b = test::rand({3}, 2, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& x) { return mul(add(x[0], x[1]), x[0]); }, {a, b});
}
