// CUDA vs CPU parity of upsampling and dropout (pooling's and batch norm's come from their case
// tables, tests/kernels/pool/ and tests/kernels/batch_norm/): each op runs on the same seeded
// inputs on both devices; outputs, and the gradients of sum(w * out) for a random weight w, must agree
// within the tolerance stated per test. Without a GPU the runner exits 77 (ctest: skipped).
#include <catch2/catch.hpp>

#include <functional>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

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
