// CUDA vs CPU parity of what has no case table yet: factories (fill), random draws, zero-size
// tensors, a small classifier end to end, mixed devices. The ops' parity comes from their case
// tables (tests/kernels/<op>/<op>_cases.cpp, run by tests/cuda/op_case_parity.cpp).
// Without a GPU the runner exits 77 before any of these run (ctest: skipped).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "core/cuda_allocator.h"
#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

namespace {

// Random int64 indices in [0, n) (host RNG; only the values matter).
Tensor random_index(const Shape& shape, int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> v(shape_numel(shape));
  for (auto& e : v) e = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  return from_vector(v, shape);
}

}  // namespace

// --- factories -----------------------------------------------------------------------------------

TEST_CASE("cuda parity: full, fill_ on strided views, eye, arange, linspace") {
  const std::vector<DType> all = {DType::f32, DType::f64, DType::bf16, DType::i32, DType::i64, DType::u8, DType::b8};
  for (DType dt : all) {
    INFO(dtype_name(dt));
    for (double v : {0.0, 1.0, 2.75, -0.0}) {
      if (dt == DType::u8 && v < 0) continue;
      REQUIRE_CLOSE(full({1000003}, v, dt, kCuda), full({1000003}, v, dt), 0, 0);
      REQUIRE_CLOSE(full({1}, v, dt, kCuda), full({1}, v, dt), 0, 0);
    }
    REQUIRE_CLOSE(eye(7, 5, dt, kCuda), eye(7, 5, dt), 0, 0);
    REQUIRE_CLOSE(eye(300, -1, dt, kCuda), eye(300, -1, dt), 0, 0);
    // fill_ on a transposed, stepped view leaves the rest alone.
    Tensor c = zeros({30, 40}, dt), g = zeros({30, 40}, dt, kCuda);
    fill_(slice(transpose(c, 0, 1), 0, 1, 40, 3), 3);
    fill_(slice(transpose(g, 0, 1), 0, 1, 40, 3), 3);
    REQUIRE_CLOSE(g, c, 0, 0);
    // arange multiplies then adds in double on both devices: exact.
    REQUIRE_CLOSE(arange(0, 1000003, 1, dt == DType::u8 || dt == DType::b8 ? DType::f32 : dt, kCuda),
                  arange(0, 1000003, 1, dt == DType::u8 || dt == DType::b8 ? DType::f32 : dt), 0, 0);
    REQUIRE_CLOSE(arange(0, 200, 0.37, dt, kCuda), arange(0, 200, 0.37, dt), 0, 0);
    REQUIRE_CLOSE(arange(5, -3, -0.5, dt == DType::u8 ? DType::i32 : dt, kCuda),
                  arange(5, -3, -0.5, dt == DType::u8 ? DType::i32 : dt), 0, 0);
    // linspace: nvcc may fuse start + step * i into one FMA, 1 ulp of double away from the CPU's
    // value before the cast: 1e-12 for float64 (values <= 10), 1 ulp for float32 / bfloat16 in the
    // rare case that moves a rounding. Integers: no value here lies within an ulp of an integer
    // except the exact end points, so truncation agrees.
    const Tol lin_tol = dt == DType::f64 ? Tol{1e-12, 0} : dt == DType::f32 ? Tol{0, 2e-7} : dt == DType::bf16 ? Tol{0, 8e-3} : kExact;
    for (int64_t n : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{1000003}})
      REQUIRE_CLOSE(linspace(-3, 10, n, dt == DType::u8 ? DType::i32 : dt, kCuda),
                    linspace(-3, 10, n, dt == DType::u8 ? DType::i32 : dt), lin_tol.atol, lin_tol.rtol);
  }
}

// --- random --------------------------------------------------------------------------------------

TEST_CASE("cuda parity: uniform, normal, bernoulli and randperm draw the CPU's stream") {
  // The same Philox arithmetic on both devices. uniform and bernoulli are exact up to an FMA in
  // a + (b - a) * u (1 ulp of double, exact after rounding to float); normal goes through the
  // device's log/sqrt/cos (1-2 ulp of double): 1e-6 covers float32 rounding of |x| <= ~6.
  for (DType dt : {DType::f32, DType::f64}) {
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1000003}}) {
      INFO(dtype_name(dt) << " n " << n);
      Generator gc(1234), gg(1234);
      // Two draws each, so the second starts at the advanced offset.
      for (int rep = 0; rep < 2; ++rep) {
        REQUIRE_CLOSE(uniform({n}, -2, 3, &gg, dt, kCuda), uniform({n}, -2, 3, &gc, dt), 1e-6, 1e-6);
        REQUIRE_CLOSE(normal({n}, 0.5, 2, &gg, dt, kCuda), normal({n}, 0.5, 2, &gc, dt), 1e-6, 1e-6);
        REQUIRE_CLOSE(bernoulli({n}, 0.3, &gg, dt, kCuda), bernoulli({n}, 0.3, &gc, dt), 0, 0);
      }
      REQUIRE(gg.offset == gc.offset);
      // A multi-dimensional draw is the same stream in row-major order.
      REQUIRE_CLOSE(uniform({3, 5, 7}, 0, 1, &gg, dt, kCuda), uniform({3, 5, 7}, 0, 1, &gc, dt), 1e-6, 1e-6);
    }
  }
  Generator gc(77), gg(77);
  REQUIRE_CLOSE(randperm(1000, &gg, kCuda), randperm(1000, &gc), 0, 0);
}

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
