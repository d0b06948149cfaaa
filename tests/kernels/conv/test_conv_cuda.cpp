// conv2d on CUDA by hand: an empty batch, a non-contiguous input, operands on different devices
// (its parity with the CPU comes from the case table, conv_cases.cpp).
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"
#include "tests/kernels/conv/conv_reference.h"

using namespace oc;
using test::kCuda;

TEST_CASE("conv2d on an empty batch and non-contiguous input") {
  Tensor x = to(zeros({0, 3, 5, 5}), kCuda), w = to(test::rand({4, 3, 3, 3}, 510), kCuda).set_requires_grad();
  Tensor y = conv2d(x, w, Tensor(), test::conv_params(1, 1));
  REQUIRE(y.shape() == Shape{0, 4, 5, 5});
  sum(y).backward();
  REQUIRE(to_vector<float>(w.grad()) == std::vector<float>(4 * 3 * 9, 0.0f));
  Tensor xs = test::rand({2, 6, 3, 7}, 511);
  Tensor wc = test::rand({4, 3, 3, 3}, 512);
  Tensor want = conv2d(permute(xs, {0, 2, 1, 3}), wc, Tensor(), test::conv_params(1, 1));
  Tensor got = conv2d(permute(to(xs, kCuda), {0, 2, 1, 3}), to(wc, kCuda), Tensor(), test::conv_params(1, 1));
  REQUIRE_CLOSE(got, want, 1e-5, 1e-5);
}

TEST_CASE("conv2d refuses operands on different devices") {
  Tensor x = to(zeros({1, 2, 4, 4}), kCuda), w = zeros({3, 2, 3, 3});
  REQUIRE_THROWS_WITH(conv2d(x, w, Tensor(), {}), Catch::Contains("conv2d: tensors on different devices"));
  REQUIRE_THROWS_WITH(conv2d(x, to(w, kCuda), zeros({3}), {}),
                      Catch::Contains("conv2d: tensors on different devices"));
  REQUIRE_THROWS_WITH(conv_transpose2d(x, zeros({2, 3, 3, 3}), Tensor(), {}),
                      Catch::Contains("conv_transpose2d: tensors on different devices"));
}
