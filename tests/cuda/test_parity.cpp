// CUDA vs CPU parity beyond single ops: zero-size tensors, a small classifier end to end, mixed
// devices and the allocator. The ops' parity comes from their case tables
// (tests/kernels/<op>/<op>_cases.cpp, run by tests/cuda/op_case_parity.cpp).
// Without a GPU the runner exits 77 before any of these run (ctest: skipped).
#include <catch2/catch.hpp>

#include "core/cuda_allocator.h"
#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

// --- edge shapes and a small network -------------------------------------------------------------

TEST_CASE("cuda parity: zero-size tensors run no kernel and keep their shapes") {
  Tensor e = to(zeros({0, 4}), kCuda);
  REQUIRE(exp(e).shape() == Shape{0, 4});
  REQUIRE((e + e).shape() == Shape{0, 4});
  REQUIRE(sum(e, {0}).shape() == Shape{4});
  REQUIRE_CLOSE(sum(e, {0}), zeros({4}), 0, 0);
  REQUIRE(softmax(e, 1).shape() == Shape{0, 4});
  REQUIRE(matmul(e, to(zeros({4, 3}), kCuda)).shape() == Shape{0, 3});
  REQUIRE(contiguous(transpose(e, 0, 1)).shape() == Shape{4, 0});
  REQUIRE(uniform({0}, 0, 1, nullptr, DType::f32, kCuda).numel() == 0);
  REQUIRE(gather(to(zeros({3, 4}), kCuda), 0, to(zeros({0, 4}, DType::i64), kCuda)).numel() == 0);
}

TEST_CASE("cuda parity: a two-layer classifier's loss and every gradient") {
  // matmul, broadcast add, relu, log_softmax, gather, mean: the ops a training step chains.
  // float32 errors compound through the layers: rtol 1e-4 (as matmul), atol 1e-5.
  Tensor x = test::rand({64, 30}, 901), w1 = test::rand({30, 50}, 902, -0.3, 0.3), b1 = test::rand({50}, 903);
  Tensor w2 = test::rand({50, 10}, 904, -0.3, 0.3), b2 = test::rand({10}, 905);
  Tensor labels = random_index({64, 1}, 10, 906);
  check_parity(
      [labels](const std::vector<Tensor>& in) {
        Tensor h = relu(add(matmul(in[0], in[1]), in[2]));
        Tensor logits = add(matmul(h, in[3]), in[4]);
        Tensor picked = gather(log_softmax(logits, 1), 1, to(labels, in[0].device()));
        return neg(mean(picked));
      },
      {x, w1, b1, w2, b2}, Tol{1e-5, 1e-4}, Tol{1e-5, 1e-4});
}

TEST_CASE("cuda: mixed devices and the allocator") {
  Tensor a = test::rand({2, 3}, 1), b = to(test::rand({2, 3}, 2), Device::cuda());
  REQUIRE_THROWS_WITH(add(a, b), Catch::Contains("add: tensors on different devices") && Catch::Contains("cpu") &&
                                     Catch::Contains("cuda:0"));
  REQUIRE_THROWS_WITH(matmul(a, transpose(b, 0, 1)), Catch::Contains("matmul: tensors on different devices"));
  REQUIRE_THROWS_WITH(cat({a, b}, 0), Catch::Contains("cat: tensors on different devices"));
  // Freed blocks are reused: a loop of same-sized temporaries makes no new cudaMalloc calls.
  Tensor x = to(test::rand({256, 256}, 3), Device::cuda());
  for (int i = 0; i < 3; ++i) x = add(mul(x, 0.5), 1.0);
  size_t mallocs = cuda_memory_stats(0).cuda_malloc_calls;
  for (int i = 0; i < 50; ++i) x = add(mul(x, 0.5), 1.0);
  REQUIRE(cuda_memory_stats(0).cuda_malloc_calls == mallocs);
  REQUIRE(cuda_memory_stats(0).allocated > 0);
}
