// affine_grid and grid_sample by hand: the coordinate conventions (shifts by one and half a pixel, a
// 90-degree rotation, crops, identity, rounding ties, border and reflection), edge shapes,
// non-contiguous views, errors, and the deterministic option. The float64 gradients of every mode x
// padding x align_corners, float32 against float64, PyTorch's numbers and CUDA parity come from the
// case table, grid_sample_cases.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/grid_sample/grid_sample.h"
#include "tests/helpers.h"
#include "tests/kernels/grid_sample/grid_sample_grids.h"

using namespace oc;

namespace {

constexpr GridSampleMode kModes2d[] = {GridSampleMode::bilinear, GridSampleMode::nearest, GridSampleMode::bicubic};
constexpr GridSampleMode kModes3d[] = {GridSampleMode::bilinear, GridSampleMode::nearest};
constexpr GridPadding kPaddings[] = {GridPadding::zeros, GridPadding::border, GridPadding::reflection};

GridSampleOptions opts(GridSampleMode mode, GridPadding padding, bool align_corners, bool deterministic = false) {
  return test::grid_sample_opts(mode, padding, align_corners, deterministic);
}

std::string describe(const GridSampleOptions& o) {
  return str_cat(to_string(o.mode), " ", to_string(o.padding), " align_corners ", o.align_corners);
}

using test::normalized;
using test::smooth_grid;

// affine_grid then grid_sample with the same theta rows (2x3 or 3x4, row-major) for every sample.
Tensor warp(const Tensor& x, const std::vector<double>& theta_rows, const std::vector<int64_t>& out_spatial,
            const GridSampleOptions& o) {
  const int64_t n = x.size(0), rows = x.dim() == 4 ? 2 : 3;
  std::vector<double> theta;
  for (int64_t i = 0; i < n; ++i) theta.insert(theta.end(), theta_rows.begin(), theta_rows.end());
  std::vector<int64_t> size = {n, x.size(1)};
  size.insert(size.end(), out_spatial.begin(), out_spatial.end());
  return grid_sample(x, affine_grid(from_vector(theta, {n, rows, rows + 1}), size, o.align_corners), o);
}

// A grid [1, 1, P, 2] of points (x, y).
Tensor points2d(const std::vector<std::pair<double, double>>& xy) {
  std::vector<double> v;
  for (auto [x, y] : xy) v.insert(v.end(), {x, y});
  return from_vector(v, {1, 1, static_cast<int64_t>(xy.size()), 2});
}

// Bilinear sampling of one [H, W] plane at pixel coordinates (ix, iy), zeros outside, by its definition.
double bilinear_zeros(const std::vector<double>& plane, int64_t H, int64_t W, double ix, double iy) {
  const double x0 = std::floor(ix), y0 = std::floor(iy), tx = ix - x0, ty = iy - y0;
  double v = 0;
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      const auto r = static_cast<int64_t>(y0) + dy, c = static_cast<int64_t>(x0) + dx;
      if (r < 0 || r >= H || c < 0 || c >= W) continue;
      v += (dy ? ty : 1 - ty) * (dx ? tx : 1 - tx) * plane[r * W + c];
    }
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Hand-computed cases.

TEST_CASE("affine_grid: identity theta gives pixel centres (align_corners false) or corner centres (true)",
          "[affine_grid]") {
  Tensor id = from_vector<double>({1, 0, 0, 0, 1, 0}, {1, 2, 3});
  // 2 rows x 3 columns, (x, y) per point, rows outer.
  REQUIRE_CLOSE(affine_grid(id, {1, 1, 2, 3}, true),
                from_vector<double>({-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1}, {1, 2, 3, 2}), 1e-15, 0);
  const double t = 2.0 / 3;
  REQUIRE_CLOSE(affine_grid(id, {1, 1, 2, 3}, false),
                from_vector<double>({-t, -0.5, 0, -0.5, t, -0.5, -t, 0.5, 0, 0.5, t, 0.5}, {1, 2, 3, 2}), 1e-15, 0);
  // A size-1 dimension sits at 0 with either convention.
  for (bool ac : {false, true})
    REQUIRE_CLOSE(affine_grid(id, {1, 4, 1, 2}, ac),
                  from_vector<double>({ac ? -1 : -0.5, 0, ac ? 1 : 0.5, 0}, {1, 1, 2, 2}), 1e-15, 0);
  // 3-D identity: (x, y, z) with z outermost.
  Tensor id3 = from_vector<double>({1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}, {1, 3, 4});
  REQUIRE_CLOSE(affine_grid(id3, {1, 1, 2, 1, 2}, true),
                from_vector<double>({-1, 0, -1, 1, 0, -1, -1, 0, 1, 1, 0, 1}, {1, 2, 1, 2, 3}), 1e-15, 0);
}

TEST_CASE("affine_grid: grid[n, h, w] = theta[n] @ (x_w, y_h, 1), 2-D and 3-D, by hand", "[affine_grid]") {
  for (bool ac : {false, true}) {
    INFO("align_corners " << ac);
    Tensor theta = test::rand({2, 2, 3}, 410, -2, 2, DType::f64);
    std::vector<double> th = to_vector<double>(theta), want;
    const int64_t H = 3, W = 4;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          const double x = normalized(static_cast<double>(w), W, ac), y = normalized(static_cast<double>(h), H, ac);
          for (int r = 0; r < 2; ++r) want.push_back(th[n * 6 + r * 3] * x + th[n * 6 + r * 3 + 1] * y + th[n * 6 + r * 3 + 2]);
        }
    REQUIRE_CLOSE(affine_grid(theta, {2, 5, H, W}, ac), from_vector(want, {2, H, W, 2}), 1e-14, 1e-14);

    Tensor theta3 = test::rand({2, 3, 4}, 411, -2, 2, DType::f64);
    std::vector<double> t3 = to_vector<double>(theta3), want3;
    const int64_t D = 2;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t d = 0; d < D; ++d)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) {
            const double p[4] = {normalized(static_cast<double>(w), W, ac), normalized(static_cast<double>(h), H, ac),
                                 normalized(static_cast<double>(d), D, ac), 1};
            for (int r = 0; r < 3; ++r) {
              double s = 0;
              for (int k = 0; k < 4; ++k) s += t3[n * 12 + r * 4 + k] * p[k];
              want3.push_back(s);
            }
          }
    REQUIRE_CLOSE(affine_grid(theta3, {2, 1, D, H, W}, ac), from_vector(want3, {2, D, H, W, 3}), 1e-14, 1e-14);
  }
}

TEST_CASE("grid_sample: identity theta reproduces the input, align_corners false and true", "[grid_sample]") {
  // Up to rounding of the normalized coordinates (a few 1e-16 pixel); nearest exactly.
  Tensor x = test::rand({2, 3, 5, 7}, 420, -1, 1, DType::f64);
  Tensor x3 = test::rand({1, 2, 3, 4, 5}, 421, -1, 1, DType::f64);
  for (GridPadding padding : kPaddings)
    for (bool ac : {false, true}) {
      for (GridSampleMode mode : kModes2d) {
        const GridSampleOptions o = opts(mode, padding, ac);
        INFO(describe(o));
        const double tol = mode == GridSampleMode::nearest ? 0 : 1e-14;
        REQUIRE_CLOSE(warp(x, {1, 0, 0, 0, 1, 0}, {5, 7}, o), x, tol, 0);
      }
      for (GridSampleMode mode : kModes3d) {
        const GridSampleOptions o = opts(mode, padding, ac);
        INFO(describe(o) << " 3-D");
        const double tol = mode == GridSampleMode::nearest ? 0 : 1e-14;
        REQUIRE_CLOSE(warp(x3, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}, {3, 4, 5}, o), x3, tol, 0);
      }
    }
}

TEST_CASE("grid_sample: a shift by exactly one pixel moves every value to its neighbour, zeros or border at the edge",
          "[grid_sample][affine_grid]") {
  // align_corners false: the pixel pitch is 2 / W in normalized units, so tx = 2 / W reads column w + 1
  // at output column w. Values in [0.5, 1.5] so a zero is unmistakably padding.
  const int64_t H = 4, W = 8;
  Tensor x = test::rand({2, 2, H, W}, 430, 0.5, 1.5, DType::f64);
  const std::vector<double> xv = to_vector<double>(x);
  for (GridSampleMode mode : kModes2d)
    for (GridPadding padding : {GridPadding::zeros, GridPadding::border}) {
      const GridSampleOptions o = opts(mode, padding, false);
      INFO(describe(o));
      for (auto [dx, dy] : {std::pair<int, int>{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
        INFO("shift by (" << dx << ", " << dy << ") pixels");
        std::vector<double> want;
        for (int64_t p = 0; p < 4; ++p)
          for (int64_t h = 0; h < H; ++h)
            for (int64_t w = 0; w < W; ++w) {
              int64_t sh = h + dy, sw = w + dx;
              const bool outside = sh < 0 || sh >= H || sw < 0 || sw >= W;
              if (outside && padding == GridPadding::zeros) {
                want.push_back(0);
                continue;
              }
              sh = std::clamp<int64_t>(sh, 0, H - 1), sw = std::clamp<int64_t>(sw, 0, W - 1);
              want.push_back(xv[(p * H + sh) * W + sw]);
            }
        Tensor y = warp(x, {1, 0, 2.0 * dx / W, 0, 1, 2.0 * dy / H}, {H, W}, o);
        REQUIRE_CLOSE(y, from_vector(want, x.shape()), 1e-14, 0);
      }
    }
  // 3-D: tz = 2 / D reads depth slice d + 1 (grid[..., 2] is depth).
  const int64_t D = 4;
  Tensor x3 = test::rand({1, 2, D, 2, 4}, 431, 0.5, 1.5, DType::f64);
  const std::vector<double> x3v = to_vector<double>(x3);
  for (GridSampleMode mode : kModes3d) {
    const GridSampleOptions o = opts(mode, GridPadding::zeros, false);
    INFO(describe(o) << " 3-D depth shift");
    std::vector<double> want;
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t d = 0; d < D; ++d)
        for (int64_t i = 0; i < 8; ++i) want.push_back(d + 1 < D ? x3v[(c * D + d + 1) * 8 + i] : 0);
    REQUIRE_CLOSE(warp(x3, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2.0 / D}, {D, 2, 4}, o), from_vector(want, x3.shape()),
                  1e-14, 0);
  }
}

TEST_CASE("grid_sample: a shift by half a pixel averages neighbours (bilinear)", "[grid_sample][affine_grid]") {
  const int64_t H = 3, W = 8;
  Tensor x = test::rand({1, 2, H, W}, 440, 0.5, 1.5, DType::f64);
  const std::vector<double> xv = to_vector<double>(x);
  for (GridPadding padding : kPaddings) {
    const GridSampleOptions o = opts(GridSampleMode::bilinear, padding, false);
    INFO(describe(o));
    std::vector<double> want;
    for (int64_t r = 0; r < 2 * H; ++r)
      for (int64_t w = 0; w < W; ++w) {
        const double here = xv[r * W + w];
        // The last column reads W - 0.5: half of pixel W - 1 and half of padding (zero, or the
        // border pixel again; reflection folds at W - 0.5 itself, then clips to W - 1).
        const double next = w + 1 < W ? xv[r * W + w + 1] : (padding == GridPadding::zeros ? 0 : here);
        want.push_back((here + next) / 2);
      }
    REQUIRE_CLOSE(warp(x, {1, 0, 1.0 / W, 0, 1, 0}, {H, W}, o), from_vector(want, x.shape()), 1e-14, 0);
  }
}

TEST_CASE("grid_sample: rotating a square image by 90 degrees permutes its pixels (align_corners true)",
          "[grid_sample][affine_grid]") {
  // theta = [[0, -1, 0], [1, 0, 0]]: output (x, y) reads (-y, x), so out[h][w] = in[w][n - 1 - h].
  const int64_t n = 5;
  Tensor x = test::rand({2, 3, n, n}, 450, -1, 1, DType::f64);
  const std::vector<double> xv = to_vector<double>(x);
  std::vector<double> want;
  for (int64_t p = 0; p < 6; ++p)
    for (int64_t h = 0; h < n; ++h)
      for (int64_t w = 0; w < n; ++w) want.push_back(xv[(p * n + w) * n + (n - 1 - h)]);
  for (GridSampleMode mode : kModes2d)
    for (GridPadding padding : kPaddings) {
      const GridSampleOptions o = opts(mode, padding, true);
      INFO(describe(o));
      REQUIRE_CLOSE(warp(x, {0, -1, 0, 1, 0, 0}, {n, n}, o), from_vector(want, x.shape()),
                    mode == GridSampleMode::nearest ? 0 : 1e-14, 0);
    }
}

TEST_CASE("grid_sample: bilinear values by hand on a 2x2 image, every padding", "[grid_sample]") {
  // [[1, 2], [3, 4]]. (0, 0) is the centre: 2.5 with both conventions. align_corners true: x = 0.5
  // is pixel 0.75 -> 1.75 on the top row. align_corners false: (-1, -1) is the outer corner, pixel
  // (-0.5, -0.5): a quarter of pixel (0, 0) with zeros, pixel (0, 0) after clipping or reflecting;
  // (0.5, -1) is pixel (1, -0.5): half of the top-right pixel with zeros (1), all of it after clipping (2).
  Tensor x = from_vector<double>({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor g = points2d({{0, 0}, {-1, -1}, {0.5, -1}});
  for (GridPadding padding : kPaddings) {
    INFO(to_string(padding));
    REQUIRE_CLOSE(grid_sample(x, g, opts(GridSampleMode::bilinear, padding, true)),
                  from_vector<double>({2.5, 1, 1.75}, {1, 1, 1, 3}), 1e-15, 0);
    const bool zeros = padding == GridPadding::zeros;
    REQUIRE_CLOSE(grid_sample(x, g, opts(GridSampleMode::bilinear, padding, false)),
                  from_vector<double>({2.5, zeros ? 0.25 : 1.0, zeros ? 1.0 : 2.0}, {1, 1, 1, 3}), 1e-15, 0);
  }
}

TEST_CASE("grid_sample: cropping and upsampling matches the bilinear formula", "[grid_sample][affine_grid]") {
  // A linear image f(r, c) = 10 r + c is reproduced exactly by bilinear interpolation. With
  // align_corners true, theta = 0.5 I on a 4x5 image maps output (x, y) to pixel
  // (c, r) = ((0.5 x + 1) / 2 * 4, (0.5 y + 1) / 2 * 3) = (x + 2, 0.75 y + 1.5).
  std::vector<double> lin;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 5; ++c) lin.push_back(10 * r + c);
  Tensor x = from_vector(lin, {1, 1, 4, 5});
  std::vector<double> want;
  for (int h = 0; h < 5; ++h)
    for (int w = 0; w < 5; ++w) {
      const double xn = -1 + 0.5 * w, yn = -1 + 0.5 * h;
      want.push_back(10 * (0.75 * yn + 1.5) + (xn + 2));
    }
  REQUIRE_CLOSE(warp(x, {0.5, 0, 0, 0, 0.5, 0}, {5, 5}, opts(GridSampleMode::bilinear, GridPadding::zeros, true)),
                from_vector(want, {1, 1, 5, 5}), 1e-13, 0);

  // A random image, an off-centre crop (scale 0.6, shift (0.3, -0.35)) upsampled to 7x9, align_corners
  // false, against the formula: pixel = ((x + 1) W - 1) / 2, bilinear weights, zeros outside.
  const int64_t H = 6, W = 5, Ho = 7, Wo = 9;
  Tensor img = test::rand({2, 2, H, W}, 460, -1, 1, DType::f64);
  const std::vector<double> iv = to_vector<double>(img);
  std::vector<double> want2;
  for (int64_t p = 0; p < 4; ++p) {
    const std::vector<double> plane(iv.begin() + p * H * W, iv.begin() + (p + 1) * H * W);
    for (int64_t h = 0; h < Ho; ++h)
      for (int64_t w = 0; w < Wo; ++w) {
        const double xn = 0.6 * normalized(static_cast<double>(w), Wo, false) + 0.3;
        const double yn = 0.6 * normalized(static_cast<double>(h), Ho, false) - 0.35;
        want2.push_back(bilinear_zeros(plane, H, W, ((xn + 1) * W - 1) / 2, ((yn + 1) * H - 1) / 2));
      }
  }
  REQUIRE_CLOSE(warp(img, {0.6, 0, 0.3, 0, 0.6, -0.35}, {Ho, Wo}, opts(GridSampleMode::bilinear, GridPadding::zeros, false)),
                from_vector(want2, {2, 2, Ho, Wo}), 1e-14, 1e-13);
}

TEST_CASE("grid_sample: nearest rounds a point exactly between two pixels half to even, 2-D", "[grid_sample]") {
  // align_corners false on 4 pixels: x = -1, -0.5, 0, 0.5, 1 are pixels -0.5, 0.5, 1.5, 2.5, 3.5, which
  // round to 0, 0, 2, 2, 4 -- and 4 is outside: zero, or pixel 3 where border/reflection clip first.
  Tensor row = from_vector<double>({10, 20, 30, 40}, {1, 1, 1, 4});
  Tensor g = points2d({{-1, 0}, {-0.5, 0}, {0, 0}, {0.5, 0}, {1, 0}});
  for (GridPadding padding : kPaddings) {
    INFO(to_string(padding));
    const double last = padding == GridPadding::zeros ? 0 : 40;
    REQUIRE(to_vector<double>(grid_sample(row, g, opts(GridSampleMode::nearest, padding, false))) ==
            std::vector<double>{10, 10, 30, 30, last});
  }
  // The same along y.
  Tensor col = from_vector<double>({10, 20, 30, 40}, {1, 1, 4, 1});
  Tensor gy = points2d({{0, -1}, {0, -0.5}, {0, 0}, {0, 0.5}, {0, 1}});
  REQUIRE(to_vector<double>(grid_sample(col, gy, opts(GridSampleMode::nearest, GridPadding::zeros, false))) ==
          std::vector<double>{10, 10, 30, 30, 0});
  // align_corners true on 5 pixels: x = -0.75, -0.25, 0.25, 0.75 are pixels 0.5, 1.5, 2.5, 3.5.
  Tensor row5 = from_vector<double>({10, 20, 30, 40, 50}, {1, 1, 1, 5});
  REQUIRE(to_vector<double>(grid_sample(row5, points2d({{-0.75, 0}, {-0.25, 0}, {0.25, 0}, {0.75, 0}}),
                                        opts(GridSampleMode::nearest, GridPadding::zeros, true))) ==
          std::vector<double>{10, 30, 30, 50});
}

TEST_CASE("grid_sample: nearest rounds a point exactly between two pixels half to even, 3-D depth", "[grid_sample]") {
  // The ocellus rule is half to even in 2-D and 3-D alike. NB: PyTorch 1.13's CPU 3-D kernel uses
  // std::round (half away from zero) and would give {0, 20, 30, 40, 0} here (pytorch/pytorch#97000
  // discusses the inconsistency); the golden data has no ties, so it does not see the difference.
  Tensor depth = from_vector<double>({10, 20, 30, 40}, {1, 1, 4, 1, 1});
  std::vector<double> g;
  for (double z : {-1.0, -0.5, 0.0, 0.5, 1.0}) g.insert(g.end(), {0, 0, z});
  REQUIRE(to_vector<double>(grid_sample(depth, from_vector(g, {1, 1, 1, 5, 3}),
                                        opts(GridSampleMode::nearest, GridPadding::zeros, false))) ==
          std::vector<double>{10, 10, 30, 30, 0});
}

TEST_CASE("grid_sample: border and reflection padding on points outside, by hand", "[grid_sample]") {
  // One row of 4 pixels [10, 20, 30, 40]; pixel coordinate p <-> x = (2p + 1) / 4 - 1 (align_corners
  // false) or x = 2p / 3 - 1 (true).
  Tensor row = from_vector<double>({10, 20, 30, 40}, {1, 1, 1, 4});
  auto sample = [&](std::vector<double> xs, GridPadding padding, bool ac) {
    std::vector<std::pair<double, double>> pts;
    for (double x : xs) pts.push_back({x, 0});
    return to_vector<double>(grid_sample(row, points2d(pts), opts(GridSampleMode::bilinear, padding, ac)));
  };
  auto close = [](const std::vector<double>& got, const std::vector<double>& want) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("point " << i << ": got " << got[i] << ", expected " << want[i]);
      CHECK(std::fabs(got[i] - want[i]) <= 1e-13);
    }
  };
  // Border clips the pixel coordinate to [0, 3]: p = -4.5 -> 0, p = 4.5 -> 3.
  close(sample({-3, 1.5}, GridPadding::border, false), {10, 40});
  close(sample({-1.5}, GridPadding::border, true), {10});
  // Reflection, align_corners false: folds at the outer edges -0.5 and 3.5, then clips to [0, 3].
  //   x = -1.25: p = -1 -> 0 -> 10;   x = 1.25: p = 4 -> 3 -> 40;   x = 1.375: p = 4.25 -> 2.75 -> 37.5;
  //   x = -1: p = -0.5 (the fold) -> clipped to 0 -> 10;   x = -1.375: p = -1.25 -> 0.25 -> 12.5;
  //   x = 3.5: p = 8.5, 9 past -0.5 = two spans of 4 and 1 -> 0.5 -> 15.
  close(sample({-1.25, 1.25, 1.375, -1, -1.375, 3.5}, GridPadding::reflection, false), {10, 40, 37.5, 10, 12.5, 15});
  // Reflection, align_corners true: folds at the corner centres 0 and 3.
  //   x = 1.5: p = 3.75 -> 2.25 -> 32.5;  x = -1.5: p = -0.75 -> 0.75 -> 17.5;
  //   x = 4: p = 7.5 -> 7.5 - 6 = 1.5 (two folds) -> 25;  x = -3: p = -3 -> 3 -> 40.
  close(sample({1.5, -1.5, 4, -3}, GridPadding::reflection, true), {32.5, 17.5, 25, 40});
  // Zeros: p = 3.75 is a quarter of pixel 3 and three quarters of nothing.
  close(sample({1.125}, GridPadding::zeros, false), {10});
}

// ---------------------------------------------------------------------------------------------------
// Edge shapes.

TEST_CASE("grid_sample: empty batch, forward and backward, 2-D and 3-D", "[grid_sample][affine_grid]") {
  for (GridSampleMode mode : kModes2d) {
    INFO(to_string(mode));
    Tensor x = zeros({0, 2, 3, 4}, DType::f64).set_requires_grad();
    Tensor g = zeros({0, 5, 6, 2}, DType::f64).set_requires_grad();
    Tensor y = grid_sample(x, g, opts(mode, GridPadding::zeros, false));
    REQUIRE(y.shape() == Shape{0, 2, 5, 6});
    sum(y).backward();
    REQUIRE(x.grad().shape() == x.shape());
    if (g.grad().defined()) REQUIRE(g.grad().shape() == g.shape());
  }
  for (GridSampleMode mode : kModes3d) {
    Tensor x = zeros({0, 2, 3, 4, 5}, DType::f64).set_requires_grad();
    Tensor g = zeros({0, 1, 2, 3, 3}, DType::f64).set_requires_grad();
    Tensor y = grid_sample(x, g, opts(mode, GridPadding::border, true));
    REQUIRE(y.shape() == Shape{0, 2, 1, 2, 3});
    sum(y).backward();
    REQUIRE(x.grad().shape() == x.shape());
  }
  // An empty output grid on a non-empty batch: a [2, 3, 0, 4] result, zero input gradient.
  Tensor x = test::rand({2, 3, 4, 4}, 470, -1, 1, DType::f64).set_requires_grad();
  Tensor y = grid_sample(x, zeros({2, 0, 4, 2}, DType::f64));
  REQUIRE(y.shape() == Shape{2, 3, 0, 4});
  sum(y).backward();
  REQUIRE(to_vector<double>(x.grad()) == std::vector<double>(x.numel(), 0));
  // affine_grid with no samples.
  Tensor theta = zeros({0, 2, 3}, DType::f64).set_requires_grad();
  Tensor grid = affine_grid(theta, {0, 3, 4, 5}, false);
  REQUIRE(grid.shape() == Shape{0, 4, 5, 2});
  sum(grid).backward();
  REQUIRE(theta.grad().shape() == theta.shape());
  REQUIRE(affine_grid(zeros({0, 3, 4}, DType::f64), {0, 1, 2, 3, 4}, true).shape() == Shape{0, 2, 3, 4, 3});
}

TEST_CASE("grid_sample: 1x1 input, every mode x padding x align_corners, by hand", "[grid_sample]") {
  // align_corners true: every point maps to pixel 0 (the span 0..size-1 is a single point), so every
  // mode and padding reads the pixel. align_corners false: p = x / 2; zeros padding fades bilinear as
  // (1 - |px|)(1 - |py|) and nearest keeps the pixel for |p| < 0.5; border and reflection clip to it.
  Tensor one = from_vector<double>({7}, {1, 1, 1, 1});
  Tensor g = points2d({{0.5, 0}, {-1.5, 0.3}, {0.9, -0.9}});
  for (GridSampleMode mode : kModes2d)
    for (GridPadding padding : kPaddings)
      for (bool ac : {false, true}) {
        const GridSampleOptions o = opts(mode, padding, ac);
        INFO(describe(o));
        std::vector<double> want(3, 7);
        if (!ac && padding == GridPadding::zeros) {
          if (mode == GridSampleMode::bilinear) want = {7 * 0.75, 7 * 0.25 * 0.85, 7 * 0.55 * 0.55};
          if (mode == GridSampleMode::nearest) want = {7, 0, 7};
          if (mode == GridSampleMode::bicubic) continue;  // in the golden data
        }
        // Bicubic with border/reflection sums four copies of the pixel with weights summing to 1.
        REQUIRE_CLOSE(grid_sample(one, g, o), from_vector(want, {1, 1, 1, 3}), 1e-14, 0);
      }
  // 3-D 1x1x1.
  Tensor one3 = from_vector<double>({7}, {1, 1, 1, 1, 1});
  Tensor g3 = from_vector<double>({0.3, -0.2, 0.9, 1.5, 1.5, -1.5}, {1, 1, 1, 2, 3});
  for (GridSampleMode mode : kModes3d)
    for (GridPadding padding : {GridPadding::border, GridPadding::reflection}) {
      INFO(to_string(mode) << " " << to_string(padding));
      REQUIRE_CLOSE(grid_sample(one3, g3, opts(mode, padding, true)), full({1, 1, 1, 1, 2}, 7, DType::f64), 1e-14, 0);
      REQUIRE_CLOSE(grid_sample(one3, g3, opts(mode, padding, false)), full({1, 1, 1, 1, 2}, 7, DType::f64), 1e-14, 0);
    }
}

TEST_CASE("grid_sample: a 1x1 output is the same point of a larger output, and its gradients check",
          "[grid_sample]") {
  Tensor x = test::rand({2, 3, 4, 5}, 480, -1, 1, DType::f64);
  for (GridSampleMode mode : kModes2d)
    for (GridPadding padding : kPaddings)
      for (bool ac : {false, true}) {
        const GridSampleOptions o = opts(mode, padding, ac);
        INFO(describe(o));
        Tensor big = smooth_grid({2, 3, 4, 2}, {5, 4}, ac, -2, 6, 481);
        Tensor point = contiguous(slice(slice(big, 1, 1, 2), 2, 2, 3));  // [2, 1, 1, 2]
        REQUIRE_CLOSE(grid_sample(x, point, o), slice(slice(grid_sample(x, big, o), 2, 1, 2), 3, 2, 3), 1e-15, 1e-14);
        Tensor xg = x.detach().set_requires_grad(), pg = point.detach().set_requires_grad();
        REQUIRE_GRADCHECK([o](const std::vector<Tensor>& in) { return grid_sample(in[0], in[1], o); }, {xg, pg});
      }
}

TEST_CASE("grid_sample: non-contiguous input and grid give the values and gradients of contiguous copies",
          "[grid_sample]") {
  // input: an NHWC tensor permuted to NCHW; grids: a transposed [N, Wo, Ho, 2], a strided slice of a
  // wider grid, and one whose coordinate dimension is not innermost in memory.
  Tensor nhwc = test::rand({2, 4, 5, 3}, 490, -1, 1, DType::f64);
  Tensor wide = smooth_grid({2, 3, 8, 2}, {5, 4}, false, -2, 6, 491);
  // [2, N, Ho, Wo] in memory: the coordinate stride is Ho * Wo.
  Tensor coord_first = contiguous(permute(smooth_grid({2, 3, 4, 2}, {5, 4}, false, -2, 6, 492), {3, 0, 1, 2}));
  std::vector<Tensor> grids = {transpose(smooth_grid({2, 4, 3, 2}, {5, 4}, false, -2, 6, 493), 1, 2),
                               slice(wide, 2, 0, 8, 2), permute(coord_first, {1, 2, 3, 0})};
  for (size_t k = 0; k < grids.size(); ++k)
    for (GridSampleMode mode : kModes2d)
      for (GridPadding padding : kPaddings) {
        const GridSampleOptions o = opts(mode, padding, false);
        INFO(describe(o) << ", grid view " << k);
        REQUIRE(grids[k].shape() == Shape{2, 3, 4, 2});
        REQUIRE(!grids[k].is_contiguous());
        Tensor xv = permute(nhwc, {0, 3, 1, 2}).detach().set_requires_grad();  // a non-leaf view would not take grad
        REQUIRE(!xv.is_contiguous());
        Tensor gv = grids[k].detach().set_requires_grad();
        Tensor xc = contiguous(xv).detach().set_requires_grad(), gc = contiguous(gv).detach().set_requires_grad();
        Tensor yv = grid_sample(xv, gv, o), yc = grid_sample(xc, gc, o);
        REQUIRE_CLOSE(yv, yc, 0, 0);
        Tensor w = test::rand(yc.shape(), 494, 0.5, 1.5, DType::f64);
        sum(mul(yv, w)).backward();
        sum(mul(yc, w)).backward();
        REQUIRE_CLOSE(xv.grad(), xc.grad(), 1e-15, 1e-14);
        if (mode != GridSampleMode::nearest) REQUIRE_CLOSE(gv.grad(), gc.grad(), 1e-15, 1e-14);
      }
  // Gradients through a permuted view, 3-D.
  Tensor ndhwc = test::rand({1, 3, 4, 5, 2}, 495, -1, 1, DType::f64).set_requires_grad();
  Tensor g3 = smooth_grid({1, 3, 2, 2, 3}, {5, 4, 3}, true, -2, 5, 496).set_requires_grad();
  REQUIRE_GRADCHECK(
      [](const std::vector<Tensor>& in) {
        return grid_sample(permute(in[0], {0, 4, 1, 2, 3}), transpose(in[1], 1, 2),
                           opts(GridSampleMode::bilinear, GridPadding::reflection, true));
      },
      {ndhwc, g3});
  // affine_grid on a non-contiguous theta (a transposed [N, 3, 2]).
  Tensor t = test::rand({2, 3, 2}, 497, -1, 1, DType::f64);
  REQUIRE_CLOSE(affine_grid(transpose(t, 1, 2), {2, 1, 3, 4}, false),
                affine_grid(contiguous(transpose(t, 1, 2)), {2, 1, 3, 4}, false), 0, 0);
}

// ---------------------------------------------------------------------------------------------------
// Options, names, errors.

TEST_CASE("grid_sample: deterministic=true on the CPU gives the same bits as the default", "[grid_sample]") {
  // Many output points per input pixel (a 4x5 input sampled at 12x14 points), so any reordering of
  // the input-gradient accumulation would show.
  for (bool ac : {false, true}) {
    std::vector<std::pair<Tensor, Tensor>> cases = {
        {test::rand({2, 3, 4, 5}, 510, -1, 1, DType::f64), test::rand({2, 12, 14, 2}, 511, -1.3, 1.3, DType::f64)},
        {test::rand({1, 2, 3, 4, 5}, 512, -1, 1, DType::f64), test::rand({1, 6, 7, 8, 3}, 513, -1.3, 1.3, DType::f64)},
        {test::rand({2, 3, 4, 5}, 514, -1, 1), test::rand({2, 12, 14, 2}, 515, -1.3, 1.3)}};  // float32
    for (auto& [x, g] : cases)
      for (GridSampleMode mode : kModes2d)
        for (GridPadding padding : kPaddings) {
          if (x.dim() == 5 && mode == GridSampleMode::bicubic) continue;
          INFO(describe(opts(mode, padding, ac)) << ", input " << shape_str(x.shape()) << " " << dtype_name(x.dtype()));
          std::vector<double> out[2], gx[2], gg[2];
          for (int det = 0; det < 2; ++det) {
            Tensor xl = x.detach().set_requires_grad(), gl = g.detach().set_requires_grad();
            Tensor y = grid_sample(xl, gl, opts(mode, padding, ac, det == 1));
            sum(mul(y, test::rand(y.shape(), 516, 0.5, 1.5, y.dtype()))).backward();
            out[det] = to_vector<double>(y);
            gx[det] = to_vector<double>(xl.grad());
            if (gl.grad().defined()) gg[det] = to_vector<double>(gl.grad());
          }
          REQUIRE(out[0] == out[1]);
          REQUIRE(gx[0] == gx[1]);
          REQUIRE(gg[0] == gg[1]);
        }
  }
}

TEST_CASE("grid_sample: mode and padding names round-trip, unknown names list the valid ones", "[grid_sample]") {
  for (GridSampleMode m : kModes2d) REQUIRE(grid_sample_mode_from_string(to_string(m)) == m);
  for (GridPadding p : kPaddings) REQUIRE(grid_padding_from_string(to_string(p)) == p);
  REQUIRE(std::string(to_string(GridSampleMode::bicubic)) == "bicubic");
  REQUIRE(std::string(to_string(GridPadding::reflection)) == "reflection");
  test::require_error([] { grid_sample_mode_from_string("trilinear"); }, {"trilinear", "bilinear", "nearest", "bicubic"});
  test::require_error([] { grid_padding_from_string("constant"); }, {"constant", "zeros", "border", "reflection"});
}

TEST_CASE("grid_sample: errors name the op and the offending shapes", "[grid_sample]") {
  const DType f = DType::f64;
  // Ranks.
  test::require_error([&] { grid_sample(zeros({3, 4, 4}, f), zeros({3, 2, 2, 2}, f)); }, {"grid_sample", "[3, 4, 4]"});
  test::require_error([&] { grid_sample(zeros({1, 1, 1, 3, 4, 4}, f), zeros({1, 2, 2, 2, 3}, f)); },
                      {"grid_sample", "[1, 1, 1, 3, 4, 4]"});
  test::require_error([&] { grid_sample(zeros({1, 2, 4, 4}, f), zeros({1, 2, 2, 2, 2}, f)); },
                      {"grid_sample", "[1, 2, 4, 4]", "[1, 2, 2, 2, 2]"});
  test::require_error([&] { grid_sample(zeros({1, 2, 3, 4, 4}, f), zeros({1, 2, 2, 3}, f)); },
                      {"grid_sample", "[1, 2, 3, 4, 4]", "[1, 2, 2, 3]"});
  // The grid's last dimension.
  test::require_error([&] { grid_sample(zeros({1, 2, 4, 4}, f), zeros({1, 3, 3, 3}, f)); },
                      {"grid_sample", "[1, 3, 3, 3]"});
  test::require_error([&] { grid_sample(zeros({1, 2, 3, 4, 4}, f), zeros({1, 2, 3, 3, 2}, f)); },
                      {"grid_sample", "[1, 2, 3, 3, 2]"});
  // Batch.
  test::require_error([&] { grid_sample(zeros({2, 1, 4, 4}, f), zeros({3, 3, 3, 2}, f)); },
                      {"grid_sample", "[2, 1, 4, 4]", "[3, 3, 3, 2]"});
  // Bicubic is 2-D only.
  test::require_error(
      [&] { grid_sample(zeros({1, 1, 2, 3, 4}, f), zeros({1, 2, 2, 2, 3}, f), opts(GridSampleMode::bicubic, GridPadding::zeros, false)); },
      {"grid_sample", "bicubic", "[1, 1, 2, 3, 4]"});
  // An empty spatial input cannot be sampled.
  test::require_error([&] { grid_sample(zeros({1, 1, 0, 4}, f), zeros({1, 2, 2, 2}, f)); },
                      {"grid_sample", "[1, 1, 0, 4]"});
  // Dtypes: integer tensors, and input and grid of different floating types.
  test::require_error([&] { grid_sample(zeros({1, 1, 4, 4}, DType::i64), zeros({1, 2, 2, 2}, f)); },
                      {"grid_sample", "int64"});
  test::require_error([&] { grid_sample(zeros({1, 1, 4, 4}, f), zeros({1, 2, 2, 2}, DType::i32)); },
                      {"grid_sample", "int32"});
  test::require_error([&] { grid_sample(zeros({1, 1, 4, 4}, DType::f32), zeros({1, 2, 2, 2}, f)); },
                      {"grid_sample", "float32", "float64"});
}

TEST_CASE("affine_grid: errors name the op, theta's shape and the size", "[affine_grid]") {
  const DType f = DType::f64;
  // theta must be [N, 2, 3] for a 4-D size and [N, 3, 4] for a 5-D size.
  test::require_error([&] { affine_grid(zeros({2, 2, 3}, f), {2, 3, 4, 5, 6}, false); },
                      {"affine_grid", "[2, 2, 3]", "[2, 3, 4, 5, 6]"});
  test::require_error([&] { affine_grid(zeros({2, 3, 4}, f), {2, 3, 4, 5}, false); },
                      {"affine_grid", "[2, 3, 4]", "[2, 3, 4, 5]"});
  test::require_error([&] { affine_grid(zeros({2, 2, 2}, f), {2, 3, 4, 5}, true); },
                      {"affine_grid", "[2, 2, 2]", "[2, 3, 4, 5]"});
  test::require_error([&] { affine_grid(zeros({6}, f), {2, 3, 4, 5}, true); }, {"affine_grid", "[6]", "[2, 3, 4, 5]"});
  // Batch mismatch.
  test::require_error([&] { affine_grid(zeros({3, 2, 3}, f), {2, 3, 4, 5}, false); },
                      {"affine_grid", "[3, 2, 3]", "[2, 3, 4, 5]"});
  // Sizes that are neither 4-D nor 5-D.
  test::require_error([&] { affine_grid(zeros({2, 2, 3}, f), {2, 3, 4}, false); }, {"affine_grid", "[2, 3, 4]"});
  // Integer theta.
  test::require_error([&] { affine_grid(zeros({2, 2, 3}, DType::i64), {2, 3, 4, 5}, false); },
                      {"affine_grid", "int64"});
}
