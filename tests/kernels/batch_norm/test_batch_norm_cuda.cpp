// batch_norm on CUDA by hand: an empty batch leaves the running statistics alone on both devices
// (the parity of random inputs comes from the case table, batch_norm_cases.cpp).
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("batch_norm of an empty batch") {
  Tensor rm = zeros({3}), rv = ones({3});
  Tensor rm_gpu = to(rm, kCuda), rv_gpu = to(rv, kCuda);
  check_parity(
      [&](const std::vector<Tensor>& in) {
        const bool on_gpu = in[0].device() == kCuda;
        return batch_norm(in[0], in[1], in[2], on_gpu ? rm_gpu : rm, on_gpu ? rv_gpu : rv, true);
      },
      {zeros({0, 3, 4, 4}), ones({3}), zeros({3})}, kExact, kExact);
  REQUIRE_CLOSE(rm_gpu, rm, 0, 0);
}
