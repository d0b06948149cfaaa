// CUDA vs CPU parity of grid_sample and affine_grid: every mode x padding x align_corners, 2-D and
// 3-D, float32 and float64, grids reaching outside the input (and far outside, for reflection). Both
// devices run the same tap math (grid_sample_math.h); differences come from nvcc contracting
// multiply-adds and from the order of atomicAdd in the input gradient.
#include <catch2/catch.hpp>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

namespace {

struct SampleCase {
  Shape input, grid;
};

const std::vector<SampleCase> kCases2d = {{{2, 3, 7, 9}, {2, 5, 6, 2}}, {{1, 1, 1, 1}, {1, 3, 3, 2}},
                                          {{3, 4, 16, 12}, {3, 20, 17, 2}}};
const std::vector<SampleCase> kCases3d = {{{2, 3, 5, 6, 7}, {2, 4, 3, 5, 3}}, {{1, 2, 1, 1, 1}, {1, 2, 2, 2, 3}}};

// float32: a few roundings in the weights, a sum of <= 16 taps (forward) or of C * 16 terms (grid
// gradient) and atomics reordering a sum of a handful of terms (input gradient).
Tol tol_for(DType dt) { return dt == DType::f32 ? Tol{2e-5, 2e-5} : Tol{1e-12, 1e-11}; }

std::string options_str(const GridSampleOptions& o) {
  return str_cat(to_string(o.mode), " ", to_string(o.padding), o.align_corners ? " align_corners" : "",
                 o.deterministic ? " deterministic" : "");
}

void check_cases(const std::vector<SampleCase>& cases, const std::vector<GridSampleMode>& modes, DType dt,
                 double grid_range, uint64_t seed) {
  for (const SampleCase& sc : cases)
    for (GridSampleMode mode : modes)
      for (GridPadding pad : {GridPadding::zeros, GridPadding::border, GridPadding::reflection})
        for (bool ac : {false, true})
          for (bool det : {false, true}) {
            GridSampleOptions o{mode, pad, ac, det};
            INFO(dtype_name(dt) << " input " << shape_str(sc.input) << " grid " << shape_str(sc.grid) << " "
                                << options_str(o));
            Tensor x = test::rand(sc.input, seed, -1, 1, dt), g = test::rand(sc.grid, seed + 1, -grid_range, grid_range, dt);
            check_parity([o](const std::vector<Tensor>& in) { return grid_sample(in[0], in[1], o); }, {x, g},
                         tol_for(dt), tol_for(dt));
          }
}

}  // namespace

TEST_CASE("cuda parity: grid_sample 2-D, every mode x padding x align_corners, points outside") {
  for (DType dt : {DType::f32, DType::f64})
    check_cases(kCases2d, {GridSampleMode::bilinear, GridSampleMode::nearest, GridSampleMode::bicubic}, dt, 1.3, 1201);
}

TEST_CASE("cuda parity: grid_sample 3-D, trilinear and nearest x padding x align_corners") {
  for (DType dt : {DType::f32, DType::f64})
    check_cases(kCases3d, {GridSampleMode::bilinear, GridSampleMode::nearest}, dt, 1.3, 1301);
}

TEST_CASE("cuda parity: grid_sample reflection far outside the input (several reflections)") {
  for (DType dt : {DType::f32, DType::f64}) {
    check_cases({kCases2d[0]}, {GridSampleMode::bilinear, GridSampleMode::bicubic}, dt, 4.5, 1401);
    check_cases({kCases3d[0]}, {GridSampleMode::bilinear}, dt, 4.5, 1402);
  }
}

TEST_CASE("cuda parity: grid_sample on non-contiguous input and grid") {
  Tensor x = test::rand({2, 9, 8, 3}, 1501), g = test::rand({2, 2, 6, 5}, 1502, -1.2, 1.2);
  check_parity(
      [](const std::vector<Tensor>& in) {
        return grid_sample(permute(in[0], {0, 3, 1, 2}), permute(in[1], {0, 2, 3, 1}), {});
      },
      {x, g}, tol_for(DType::f32), tol_for(DType::f32));
}

TEST_CASE("cuda: grid_sample deterministic backward gives the same bits on every run") {
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

TEST_CASE("cuda parity: grid_sample computes only the gradient that is required") {
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

TEST_CASE("cuda parity: affine_grid 2-D and 3-D, both align_corners, and affine_grid into grid_sample") {
  for (DType dt : {DType::f32, DType::f64})
    for (bool ac : {false, true}) {
      INFO(dtype_name(dt) << (ac ? " align_corners" : ""));
      Tensor t2 = test::rand({3, 2, 3}, 1801, -1, 1, dt), t3 = test::rand({2, 3, 4}, 1802, -1, 1, dt);
      check_parity([ac](const std::vector<Tensor>& in) { return affine_grid(in[0], {3, 4, 9, 13}, ac); }, {t2},
                   tol_for(dt), tol_for(dt));
      check_parity([ac](const std::vector<Tensor>& in) { return affine_grid(in[0], {2, 1, 5, 6, 7}, ac); }, {t3},
                   tol_for(dt), tol_for(dt));
      // A large grid: the block reduction of the theta gradient runs over many points per thread.
      check_parity([ac](const std::vector<Tensor>& in) { return affine_grid(in[0], {3, 1, 90, 70}, ac); }, {t2},
                   tol_for(dt), dt == DType::f32 ? Tol{1e-3, 1e-4} : tol_for(dt));
      Tensor x = test::rand({3, 2, 12, 12}, 1803, -1, 1, dt);
      check_parity(
          [ac](const std::vector<Tensor>& in) {
            GridSampleOptions o;
            o.align_corners = ac;
            return grid_sample(in[1], affine_grid(in[0], {3, 2, 10, 10}, ac), o);
          },
          {t2, x}, tol_for(dt), dt == DType::f32 ? Tol{1e-4, 1e-4} : tol_for(dt));
    }
}

TEST_CASE("cuda parity: grid_sample and affine_grid with an empty batch") {
  check_parity([](const std::vector<Tensor>& in) { return grid_sample(in[0], in[1], {}); },
               {test::rand({0, 3, 4, 4}, 1901), test::rand({0, 2, 2, 2}, 1902)}, kExact, kExact);
  check_parity([](const std::vector<Tensor>& in) { return affine_grid(in[0], {0, 1, 4, 4}, false); },
               {test::rand({0, 2, 3}, 1903)}, kExact, kExact);
}
