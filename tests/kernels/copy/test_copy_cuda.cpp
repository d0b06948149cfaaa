// Copies between host and CUDA by hand: round trips are exact for every dtype, strided device views
// too (device-side copies and conversions: copy_cases.cpp).
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("host <-> device round trips are exact for every dtype") {
  for (DType dt : {DType::f32, DType::f64, DType::bf16, DType::i32, DType::i64, DType::u8, DType::b8}) {
    INFO(dtype_name(dt));
    Tensor x = to(test::rand({1000003}, 711, 0, 100, DType::f32), dt);
    Tensor back = to(to(x, kCuda), Device::cpu());
    REQUIRE(back.device() == Device::cpu());
    REQUIRE_CLOSE(back, x, 0, 0);
    // A strided device view copied to the host.
    Tensor m = to(test::rand({300, 7}, 712, 0, 100, DType::f32), dt);
    REQUIRE_CLOSE(to(transpose(to(m, kCuda), 0, 1), Device::cpu()), transpose(m, 0, 1), 0, 0);
  }
}

// --- indexing ------------------------------------------------------------------------------------
