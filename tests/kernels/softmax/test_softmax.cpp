// softmax by hand: stable for large logits. Every axis against the formula, by finite differences,
// against PyTorch and CUDA against CPU: the case table, softmax_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/helpers.h"

using namespace oc;

TEST_CASE("softmax: stable for large logits") {
  Tensor x = from_vector<float>({1000, 1001, 1002, -1000}, {4});
  std::vector<float> y = to_vector<float>(softmax(x, 0));
  for (float v : y) REQUIRE(std::isfinite(v));
  REQUIRE(y[2] == Approx(1 / (1 + std::exp(-1.0) + std::exp(-2.0))).epsilon(1e-6));
  REQUIRE(std::isfinite(to_vector<float>(log_softmax(x, 0))[3]));
}
