// soft_argmax on CUDA by hand: the same bits on every run (its parity with the CPU comes from the
// case table, soft_argmax_cases.cpp).
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"
#include "tests/kernels/soft_argmax/soft_argmax_reference.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("soft_argmax gives the same bits on every run") {
  Tensor x = to(test::rand({4, 17, 64, 64}, 2501), kCuda), w = to(test::rand({4, 17, 3}, 2502), kCuda);
  auto run = [&] {
    Tensor xl = clone(x);
    xl.set_requires_grad();
    Tensor y = soft_argmax_coords_and_value(xl, soft_argmax_opts(5));
    sum(mul(y, w)).backward();
    return std::pair{to(y, Device::cpu()), to(xl.grad(), Device::cpu())};
  };
  auto first = run();
  for (int i = 0; i < 3; ++i) {
    auto again = run();
    REQUIRE_CLOSE(again.first, first.first, 0, 0);
    REQUIRE_CLOSE(again.second, first.second, 0, 0);
  }
}
