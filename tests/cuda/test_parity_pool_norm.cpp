// CUDA vs CPU parity of batch norm, upsampling and dropout (pooling's comes from its case table,
// tests/kernels/pool/pool_cases.cpp): each op runs on the same seeded
// inputs on both devices; outputs, and the gradients of sum(w * out) for a random weight w, must agree
// within the tolerance stated per test. Without a GPU the runner exits 77 (ctest: skipped).
#include <catch2/catch.hpp>

#include <functional>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

// --- batch norm ----------------------------------------------------------------------------------

TEST_CASE("cuda parity: batch_norm training and eval, outputs, gradients and running statistics") {
  // Channel sums in double on both devices but in different orders (a block tree vs a loop): the
  // statistics agree to about 1 ulp of float; the outputs and gradients chain 3-4 rounded float ops
  // on them (and nvcc contracts to FMA): a few ulp. float64: the same in double ulps.
  struct Case {
    Shape shape;
    bool affine;
  };
  const std::vector<Case> cases = {{{4, 3, 5, 7}, true},  {{2, 16, 9, 9}, false}, {{64, 10}, true},
                                   {{3, 5, 1, 1}, true},  {{1, 2, 40, 50}, true}, {{300, 4, 3, 3}, true}};
  for (DType dt : {DType::f32, DType::f64}) {
    const Tol tol = dt == DType::f32 ? Tol{2e-6, 2e-6} : Tol{1e-13, 1e-12};
    // The input gradient subtracts two per-channel terms from g: cancellation, so an absolute bound.
    const Tol grad_tol = dt == DType::f32 ? Tol{1e-5, 1e-5} : Tol{1e-12, 1e-11};
    for (const Case& c : cases) {
      const int64_t C = c.shape[1];
      Tensor x = test::rand(c.shape, 731, -2, 3, dt);
      Tensor w = test::rand({C}, 732, 0.5, 1.5, dt), b = test::rand({C}, 733, -1, 1, dt);
      Tensor rm0 = test::rand({C}, 734, -0.5, 0.5, dt), rv0 = test::rand({C}, 735, 0.5, 2, dt);
      for (bool training : {true, false}) {
        INFO(dtype_name(dt) << " " << shape_str(c.shape) << (c.affine ? " affine" : "") << " training " << training);
        // The running buffers live on each call's device; both must end equal.
        Tensor rm_cpu = clone(rm0), rv_cpu = clone(rv0), rm_gpu = to(rm0, kCuda), rv_gpu = to(rv0, kCuda);
        const bool affine = c.affine;
        check_parity(
            [&](const std::vector<Tensor>& in) {
              const bool on_gpu = in[0].device() == kCuda;
              return batch_norm(in[0], affine ? in[1] : Tensor(), affine ? in[2] : Tensor(), on_gpu ? rm_gpu : rm_cpu,
                                on_gpu ? rv_gpu : rv_cpu, training, 0.1, 1e-5);
            },
            {x, w, b}, tol, grad_tol);
        REQUIRE_CLOSE(rm_gpu, rm_cpu, tol.atol, tol.rtol);
        REQUIRE_CLOSE(rv_gpu, rv_cpu, tol.atol, tol.rtol);
      }
      // No running statistics: batch statistics in eval too.
      check_parity([](const std::vector<Tensor>& in) { return batch_norm(in[0], in[1], in[2], {}, {}, false); },
                   {x, w, b}, tol, grad_tol);
    }
    // Non-contiguous input and a large mean.
    Tensor nhwc = add(test::rand({4, 6, 5, 8}, 736, -1, 1, dt), 100.0);
    check_parity(
        [](const std::vector<Tensor>& in) {
          return batch_norm(permute(in[0], {0, 3, 1, 2}), in[1], in[2], Tensor(), Tensor(), true);
        },
        {nhwc, test::rand({8}, 737, 0.5, 1.5, dt), test::rand({8}, 738, -1, 1, dt)},
        dt == DType::f32 ? Tol{2e-4, 2e-4} : Tol{1e-10, 1e-10}, dt == DType::f32 ? Tol{2e-4, 2e-4} : Tol{1e-10, 1e-10});
  }
}

TEST_CASE("cuda parity: batch_norm of an empty batch") {
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

// --- upsampling ----------------------------------------------------------------------------------

TEST_CASE("cuda parity: upsample nearest and bilinear, both conventions, up and down") {
  // The forward passes run the same coordinate code (upsample_math.h): nearest is exact, bilinear
  // differs by nvcc's FMA contraction (a few ulp). The backward passes add with atomicAdd in any
  // order on the GPU: a few ulp of the largest partial sum.
  const std::vector<std::pair<int64_t, int64_t>> outs = {{7, 5}, {3, 2}, {16, 22}, {1, 1}, {9, 11}};
  for (DType dt : {DType::f32, DType::f64}) {
    const Tol tol = dt == DType::f32 ? Tol{1e-6, 1e-6} : Tol{1e-14, 1e-13};
    const Tol grad_tol = dt == DType::f32 ? Tol{1e-5, 1e-5} : Tol{1e-13, 1e-12};
    for (Shape shape : {Shape{2, 3, 8, 11}, Shape{1, 2, 1, 1}, Shape{3, 4, 5, 5}}) {
      Tensor x = test::rand(shape, 741, -1, 1, dt);
      for (auto [ho, wo] : outs) {
        INFO(dtype_name(dt) << " " << shape_str(shape) << " -> " << ho << "x" << wo);
        check_parity([ho = ho, wo = wo](const std::vector<Tensor>& in) { return upsample_nearest2d(in[0], ho, wo); },
                     {x}, kExact, grad_tol);
        for (bool ac : {true, false})
          check_parity(
              [ho = ho, wo = wo, ac](const std::vector<Tensor>& in) { return upsample_bilinear2d(in[0], ho, wo, ac); },
              {x}, tol, grad_tol);
      }
    }
    Tensor nhwc = test::rand({2, 6, 7, 3}, 742, -1, 1, dt);
    check_parity(
        [](const std::vector<Tensor>& in) { return upsample_bilinear2d(permute(in[0], {0, 3, 1, 2}), 12, 14, false); },
        {nhwc}, tol, grad_tol);
    check_parity([](const std::vector<Tensor>& in) { return upsample_nearest2d(in[0], 5, 5); },
                 {zeros({0, 2, 3, 3}, dt)}, kExact, kExact);
  }
}

// --- dropout -------------------------------------------------------------------------------------

TEST_CASE("cuda parity: dropout draws the same mask on both devices from the same seed") {
  // The mask is Philox bernoulli (the same bits on both devices); the scaling is one float multiply.
  for (DType dt : {DType::f32, DType::f64}) {
    for (Shape shape : {Shape{7}, Shape{64, 3, 17, 5}, Shape{1000003}}) {
      for (double p : {0.1, 0.5, 0.9}) {
        INFO(dtype_name(dt) << " " << shape_str(shape) << " p " << p);
        Tensor x = test::rand(shape, 751, -1, 1, dt);
        check_parity(
            [p](const std::vector<Tensor>& in) {
              Generator g(752);
              return dropout(in[0], p, true, &g);
            },
            {x}, kExact, kExact);
      }
    }
    check_parity(
        [](const std::vector<Tensor>& in) {
          Generator g(753);
          return dropout(transpose(in[0], 0, 1), 0.3, true, &g);
        },
        {test::rand({33, 65}, 754, -1, 1, dt)}, kExact, kExact);
  }
}
