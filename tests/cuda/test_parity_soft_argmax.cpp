// CUDA vs CPU parity of soft_argmax: 2-D and 3-D, both conventions, with and without the value,
// float32 and float64, small maps (one warp each) and large ones (one block each, 128x128), with the
// gradient of the heatmaps. Both devices run the statistics of soft_argmax_math.h; they differ in
// the order of the sums (CPU: per row in T then across rows in double; CUDA: per thread, then a
// shuffle and shared-memory tree in T) and in nvcc contracting multiply-adds.
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

namespace {

// float32: the coordinates are ratios of sums of up to 16384 terms in float32 (relative error
// ~1e-6 for a tree order, times coordinates < 128 pixels: absolute ~1e-4 in pixel units); the value
// adds log(s) / beta (~1e-6); the gradients are p * (beta g.(c - mu) + g_v) with p recomputed from
// the saved max and sum, so the coordinate error (1e-4 px) times beta * p leaves ~1e-5 absolute.
// float64: the same orders of summation at 1e-16 per term.
Tol out_tol(DType dt) { return dt == DType::f32 ? Tol{2e-4, 2e-5} : Tol{1e-11, 1e-11}; }
Tol grad_tol(DType dt) { return dt == DType::f32 ? Tol{2e-5, 1e-4} : Tol{1e-12, 1e-10}; }

Tensor coords_and_value(const Tensor& x, const SoftArgmaxOptions& o) {
  SoftArgmaxResult r = soft_argmax_with_value(x, o);
  return cat({r.coords, unsqueeze(r.value, 2)}, 2);
}

void check_shapes(const std::vector<Shape>& shapes, DType dt, uint64_t seed) {
  for (const Shape& shape : shapes)
    for (double beta : {1.0, 10.0})
      for (SoftArgmaxCoords coords : {SoftArgmaxCoords::pixel, SoftArgmaxCoords::normalized})
        for (bool with_value : {false, true}) {
          SoftArgmaxOptions o;
          o.beta = beta;
          o.coordinates = coords;
          INFO(dtype_name(dt) << " heatmaps " << shape_str(shape) << " beta " << beta << " " << to_string(coords)
                              << (with_value ? " with value" : ""));
          Tensor x = test::rand(shape, seed++, -1, 1, dt);
          if (with_value)
            check_parity([o](const std::vector<Tensor>& in) { return coords_and_value(in[0], o); }, {x}, out_tol(dt),
                         grad_tol(dt));
          else
            check_parity([o](const std::vector<Tensor>& in) { return soft_argmax(in[0], o); }, {x}, out_tol(dt),
                         grad_tol(dt));
        }
}

}  // namespace

TEST_CASE("cuda parity: soft_argmax 2-D, small maps (a warp per map) and 128x128 (a block per map)") {
  // 1x1, a single row, 31x33 (1023 pixels: the largest warp map), 32x33 (the smallest block map).
  for (DType dt : {DType::f32, DType::f64})
    check_shapes({{2, 3, 1, 1}, {1, 2, 1, 40}, {2, 3, 7, 9}, {2, 2, 31, 33}, {1, 2, 32, 33}, {2, 3, 128, 128}}, dt,
                 2101);
}

TEST_CASE("cuda parity: soft_argmax 3-D, small and large volumes") {
  for (DType dt : {DType::f32, DType::f64})
    check_shapes({{2, 3, 3, 4, 5}, {1, 2, 1, 1, 1}, {1, 2, 16, 24, 20}}, dt, 2201);
}

TEST_CASE("cuda parity: soft_argmax with many maps, and with huge beta") {
  // 140000 1x1 maps: 17500 blocks of 8 warps. beta = 1e4 on values in [0, 1]: nearly one-hot; the
  // gradients reach ~1e3 where two pixels nearly tie, so the bound on them is relative.
  Tensor x = test::rand({1000, 140, 1, 1}, 2301);
  check_parity([](const std::vector<Tensor>& in) { return coords_and_value(in[0], {}); }, {x}, out_tol(DType::f32),
               grad_tol(DType::f32));
  SoftArgmaxOptions sharp;
  sharp.beta = 1e4;
  Tensor y = test::rand({2, 4, 20, 20}, 2302, 0, 1);
  check_parity([sharp](const std::vector<Tensor>& in) { return coords_and_value(in[0], sharp); }, {y},
               out_tol(DType::f32), Tol{1e-2, 1e-3});
}

TEST_CASE("cuda parity: soft_argmax on non-contiguous heatmaps") {
  Tensor x = test::rand({2, 9, 8, 5}, 2401);
  check_parity([](const std::vector<Tensor>& in) { return coords_and_value(permute(in[0], {0, 3, 1, 2}), {}); }, {x},
               out_tol(DType::f32), grad_tol(DType::f32));
}

TEST_CASE("cuda: soft_argmax gives the same bits on every run") {
  Tensor x = to(test::rand({4, 17, 64, 64}, 2501), kCuda), w = to(test::rand({4, 17, 3}, 2502), kCuda);
  auto run = [&] {
    Tensor xl = clone(x);
    xl.set_requires_grad();
    SoftArgmaxOptions o;
    o.beta = 5;
    Tensor y = coords_and_value(xl, o);
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
