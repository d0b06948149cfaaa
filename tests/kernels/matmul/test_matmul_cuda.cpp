// matmul on CUDA by hand: K = 0 writes zeros over memory that held other values (parity on every
// shape and layout comes from matmul_cases.cpp).
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("matmul with K = 0 writes zeros") {
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor a = zeros({4, 0}, dt), b = zeros({0, 5}, dt);
    Tensor c = matmul(to(a, kCuda), to(b, kCuda));
    REQUIRE(c.shape() == Shape{4, 5});
    REQUIRE_CLOSE(c, zeros({4, 5}, dt), 0, 0);
    // Over memory that held other values: the kernel writes, it does not accumulate.
    Tensor batched = matmul(to(zeros({70000, 2, 0}, dt), kCuda), to(zeros({0, 3}, dt), kCuda));
    REQUIRE_CLOSE(batched, zeros({70000, 2, 3}, dt), 0, 0);
  }
}
