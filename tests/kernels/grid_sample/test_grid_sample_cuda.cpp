// grid_sample on CUDA by hand: the deterministic input gradient gives the same bits on every run, and
// only the gradients that are required are computed (its parity with the CPU over every mode x
// padding x align_corners comes from the case table, grid_sample_cases.cpp).
#include <catch2/catch.hpp>

#include "kernels/grid_sample/grid_sample.h"
#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("grid_sample deterministic backward gives the same bits on every run") {
  Tensor x = to(test::rand({4, 8, 20, 20}, 1601), kCuda), g = to(test::rand({4, 30, 30, 2}, 1602, -1.1, 1.1), kCuda);
  Tensor w = to(test::rand({4, 8, 30, 30}, 1603), kCuda);
  auto input_grad = [&] {
    Tensor xl = clone(x);
    xl.set_requires_grad();
    GridSampleOptions o;
    o.deterministic = true;
    sum(mul(grid_sample(xl, g, o), w)).backward();
    return to(xl.grad(), Device::cpu());
  };
  Tensor first = input_grad();
  for (int run = 0; run < 3; ++run) REQUIRE_CLOSE(input_grad(), first, 0, 0);
}

TEST_CASE("grid_sample computes only the gradient that is required") {
  // Grid only (the input is data, as in a spatial transformer's first layer), then input only.
  Tensor x = test::rand({2, 3, 10, 11}, 1701), g = test::rand({2, 7, 8, 2}, 1702, -1.2, 1.2);
  Tensor w = test::rand({2, 3, 7, 8}, 1703);
  for (int which = 0; which < 2; ++which) {
    INFO((which == 0 ? "grid" : "input") << " requires grad");
    std::vector<Tensor> grads;
    for (Device dev : {Device::cpu(), kCuda}) {
      Tensor xd = clone(to(x, dev)), gd = clone(to(g, dev));
      Tensor& leaf = which == 0 ? gd : xd;
      leaf.set_requires_grad();
      sum(mul(grid_sample(xd, gd, {}), to(w, dev))).backward();
      REQUIRE_FALSE((which == 0 ? xd : gd).grad().defined());
      grads.push_back(to(leaf.grad(), Device::cpu()));
    }
    REQUIRE_CLOSE(grads[1], grads[0], 2e-5, 2e-5);
  }
}
