// Losses on CUDA by hand: a class index out of range is reported as on the CPU (the parity of every
// loss with its gradients comes from the case table, losses_cases.cpp).
#include <catch2/catch.hpp>

#include "losses/losses.h"
#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("losses: a class index out of range is reported on CUDA as on the CPU") {
  Tensor x = to(test::rand({4, 3}, 34), kCuda);
  Tensor t = to(from_vector<int64_t>({0, 9, 1, 2}, {4}), kCuda);
  REQUIRE_THROWS_WITH(cross_entropy(x, t), Catch::Contains("target class index 9"));
}

