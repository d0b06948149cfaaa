// Upsampling on CUDA by hand: an empty batch (the parity of random inputs comes from the case
// table, upsample_cases.cpp).
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("upsample_nearest2d of an empty batch") {
  for (DType dt : {DType::f32, DType::f64})
    check_parity([](const std::vector<Tensor>& in) { return upsample_nearest2d(in[0], 5, 5); },
                 {zeros({0, 2, 3, 3}, dt)}, kExact, kExact);
}
