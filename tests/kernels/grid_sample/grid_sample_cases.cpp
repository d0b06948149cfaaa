// The case table of affine_grid and grid_sample: every mode x padding x align_corners in 2-D and 3-D,
// checked by float64 finite differences, against PyTorch's F.affine_grid / F.grid_sample
// (tools/goldens/grid_sample.py), float32 against float64, CUDA against CPU, and the benchmark shapes.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/grid_sample/grid_sample.h"
#include "tests/kernels/grid_sample/grid_sample_grids.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

constexpr GridSampleMode kModes2d[] = {GridSampleMode::bilinear, GridSampleMode::nearest, GridSampleMode::bicubic};
constexpr GridSampleMode kModes3d[] = {GridSampleMode::bilinear, GridSampleMode::nearest};
constexpr GridPadding kPaddings[] = {GridPadding::zeros, GridPadding::border, GridPadding::reflection};

nlohmann::ordered_json options_params(const GridSampleOptions& o) {
  nlohmann::ordered_json p = {
      {"mode", to_string(o.mode)}, {"padding", to_string(o.padding)}, {"align_corners", o.align_corners}};
  if (o.deterministic) p["deterministic"] = true;
  return p;
}

// float32 sampling (CUDA vs CPU): a few roundings in the weights, a sum of <= 16 taps (forward) or
// of C * 16 terms (grid gradient), atomics reordering a sum of a handful of terms (input gradient).
void sampling_bounds(OpCase& c) {
  c.cuda32 = c.cuda32_grad = {2e-5, 2e-5};
  c.cuda64 = c.cuda64_grad = {1e-12, 1e-11};
}

// grid_sample on a grid that keeps 0.1 pixel from kinks and ties (smooth_grid, pixel coordinates in
// [lo_px, smallest size + hi_px)): the float64 gradient check, the goldens, and float32 against the
// float64 kernel (float32's 1e-7 coordinate error moves values by ~1e-6 at slopes of a few units per
// pixel).
OpCase smooth_row(const Shape& input, const Shape& grid, const GridSampleOptions& o, double lo_px, double hi_px) {
  OpCase c;
  c.op = "grid_sample";
  c.shapes = {input, grid};
  c.params = options_params(o);
  c.params["grid"] = str_cat("smooth(", lo_px, "..", hi_px, ")");
  const std::vector<int64_t> sizes = grid_order_sizes(input);
  const double hi = double(*std::min_element(sizes.begin(), sizes.end())) + hi_px;
  c.inputs = [=](DType dt, uint64_t seed) {
    return std::vector<Tensor>{to(rand(input, seed, -1, 1, DType::f64), dt),
                               to(smooth_grid(grid, sizes, o.align_corners, lo_px, hi, seed + 1), dt)};
  };
  c.run = [o](const std::vector<Tensor>& in) { return grid_sample(in[0], in[1], o); };
  c.reference = c.run;  // the float64 kernel: the hand tests check it against the formulas
  c.fwd64 = kExact, c.fwd32 = {1e-5, 1e-5};
  c.gradient = c.golden = true;
  sampling_bounds(c);
  return c;
}

// grid_sample on grid points uniform in [-range, range]: CUDA against CPU, and the goldens of edge
// shapes (whose size-1 axes have no pixel grid for smooth_grid). Random points fall on a kink or a
// rounding tie with probability ~1e-16.
OpCase uniform_row(const Shape& input, const Shape& grid, const GridSampleOptions& o, double range) {
  OpCase c;
  c.op = "grid_sample";
  c.shapes = {input, grid};
  c.params = options_params(o);
  c.params["grid"] = str_cat("U(", -range, " ", range, ")");
  c.inputs = [=](DType dt, uint64_t seed) {
    return std::vector<Tensor>{to(rand(input, seed, -1, 1, DType::f64), dt),
                               to(rand(grid, seed + 1, -range, range, DType::f64), dt)};
  };
  c.run = [o](const std::vector<Tensor>& in) { return grid_sample(in[0], in[1], o); };
  sampling_bounds(c);
  return c;
}

// grid_sample nearest on grid points whose pixel coordinate is a half-way tie k + 0.5 in exact
// arithmetic, computed in the tested dtype from inexact normalized values (e.g. -0.2 at width 5):
// un-normalizing rounds each operation, and a fused multiply-add on one device would move the tie to
// another pixel there. Nearest reads one pixel: the CUDA output must match exactly.
OpCase nearest_ties_row(int64_t size, GridPadding padding, bool ac) {
  OpCase c;
  c.op = "grid_sample";
  const Shape input{1, 2, size, size}, grid{1, size + 1, size + 1, 2};
  c.shapes = {input, grid};
  c.params = options_params(grid_sample_opts(GridSampleMode::nearest, padding, ac));
  c.params["grid"] = "half-pixel ties";
  c.inputs = [=](DType dt, uint64_t seed) {
    // Tie k + 0.5 for k = -1 .. size - 1: c = (2k + 2) / size - 1, or (2k + 1) / (size - 1) - 1 with
    // align_corners.
    std::vector<double> ties;
    for (int64_t k = -1; k < size; ++k)
      ties.push_back(ac ? double(2 * k + 1) / double(size - 1) - 1 : double(2 * k + 2) / double(size) - 1);
    std::vector<double> g;
    for (int64_t i = 0; i <= size; ++i)
      for (int64_t j = 0; j <= size; ++j) g.insert(g.end(), {ties[j], ties[(i + j) % (size + 1)]});
    return std::vector<Tensor>{to(rand(input, seed, -1, 1, DType::f64), dt), to(from_vector(g, grid), dt)};
  };
  c.run = [o = grid_sample_opts(GridSampleMode::nearest, padding, ac)](const std::vector<Tensor>& in) {
    return grid_sample(in[0], in[1], o);
  };
  sampling_bounds(c);  // the input gradient: atomics add a few points' gradients in any order
  c.cuda32 = c.cuda64 = kExact;
  return c;
}

// affine_grid: theta [N,2,3] -> [N,H,W,2] or [N,3,4] -> [N,D,H,W,3], against its definition.
OpCase affine_row(const Shape& theta, const std::vector<int64_t>& size, bool ac) {
  OpCase c;
  c.op = "affine_grid";
  c.shapes = {theta};
  c.params = {{"size", size}, {"align_corners", ac}};
  c.inputs = uniform_inputs({theta});
  c.run = [size, ac](const std::vector<Tensor>& in) { return affine_grid(in[0], size, ac); };
  c.reference = [size, ac](const std::vector<Tensor>& in) { return affine_grid_reference(in[0], size, ac); };
  c.fwd64 = {1e-14, 1e-14}, c.fwd32 = {1e-6, 1e-6};
  c.gradient = c.golden = true;
  c.cuda32 = c.cuda32_grad = {2e-5, 2e-5};
  c.cuda64 = c.cuda64_grad = {1e-12, 1e-11};
  return c;
}

// affine_grid -> grid_sample with theta = identity + U(-spread, spread) (rotation, shear, scale,
// shift): some points leave the input; gradients of the input and of theta through the grid.
OpCase composite_row(const Shape& input, const std::vector<int64_t>& size, const GridSampleOptions& o, double spread) {
  OpCase c;
  const int64_t dims = static_cast<int64_t>(input.size()) - 2;
  const Shape theta{input[0], dims, dims + 1};
  c.op = "affine_grid_sample";
  c.shapes = {input, theta};
  c.params = options_params(o);
  c.params["size"] = size;
  c.params["theta"] = str_cat("I+U(", -spread, " ", spread, ")");
  c.inputs = [=](DType dt, uint64_t seed) {
    Tensor t = add(eye(dims, dims + 1, DType::f64), rand(theta, seed + 1, -spread, spread, DType::f64));
    return std::vector<Tensor>{to(rand(input, seed, -1, 1, DType::f64), dt), to(t, dt)};
  };
  c.run = [o, size](const std::vector<Tensor>& in) {
    return grid_sample(in[0], affine_grid(in[1], size, o.align_corners), o);
  };
  sampling_bounds(c);
  c.cuda32_grad = {1e-4, 1e-4};  // theta's gradient sums every output point's grid gradient
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(grid_sample) {
  std::vector<OpCase> t;
  // Nearest at half-pixel ties, widths whose normalized ties are inexact.
  for (bool ac : {false, true})
    for (GridPadding padding : kPaddings)
      for (int64_t size : {5, 7, 11}) t.push_back(nearest_ties_row(size, padding, ac));
  // Grid points at NaN, +-inf, +-1e30 and 3e9 (reflection's flip count and the integer taps must stay
  // defined far outside) among uniform ones: CUDA against CPU, outputs and gradients.
  {
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<std::pair<int64_t, double>> specials = {
        {0, std::nan("")}, {3, inf}, {4, -inf}, {7, 1e30}, {8, -1e30}, {11, 3e9}, {12, -inf}, {13, -inf}};
    for (bool ac : {false, true})
      for (GridPadding padding : kPaddings)
        for (GridSampleMode mode : kModes2d) {
          OpCase c = uniform_row({1, 2, 3, 4}, {1, 2, 4, 2}, grid_sample_opts(mode, padding, ac), 1.2);
          c.params["grid"] = "U(-1.2 1.2) with NaN inf 1e30";
          c.inputs = with_values(c.inputs, specials, 1);
          t.push_back(c);
        }
  }
  // Every mode x padding x align_corners, points up to 3 pixels outside (2-D) and far outside
  // (several reflections, long clipping).
  for (bool ac : {false, true})
    for (GridPadding padding : kPaddings) {
      for (GridSampleMode mode : kModes2d) {
        const GridSampleOptions o = grid_sample_opts(mode, padding, ac);
        t.push_back(smooth_row({2, 2, 3, 4}, {2, 3, 4, 2}, o, -3, 2));
        t.push_back(smooth_row({2, 3, 4, 5}, {2, 3, 4, 2}, o, -3, 2));
        t.push_back(smooth_row({1, 2, 3, 4}, {1, 4, 5, 2}, o, -12, 9));
        // Edge shapes: a 1x1 input (align_corners maps every point to its centre; reflection on a
        // span of zero width).
        OpCase one = uniform_row({2, 2, 1, 1}, {2, 2, 3, 2}, o, 1.4);
        one.gradient = one.golden = true;
        t.push_back(one);
      }
      for (GridSampleMode mode : kModes3d) {
        const GridSampleOptions o = grid_sample_opts(mode, padding, ac);
        t.push_back(smooth_row({2, 2, 3, 4, 5}, {2, 2, 2, 3, 3}, o, -3, 2));
        t.push_back(smooth_row({2, 2, 3, 4, 5}, {2, 2, 3, 4, 3}, o, -3, 2));
        t.push_back(smooth_row({1, 1, 3, 4, 3}, {1, 2, 3, 4, 3}, o, -12, 9));
      }
    }
  for (bool ac : {false, true}) {
    // A single-row input read at one point (a 1x1 output); a 1x1x1 volume.
    for (GridSampleMode mode : kModes2d) {
      OpCase row = uniform_row({1, 2, 1, 6}, {1, 1, 1, 2}, grid_sample_opts(mode, GridPadding::border, ac), 0.9);
      row.gradient = row.golden = true;
      t.push_back(row);
    }
    OpCase vol =
        uniform_row({1, 2, 1, 1, 1}, {1, 1, 2, 3, 3}, grid_sample_opts(GridSampleMode::bilinear, GridPadding::reflection, ac), 1.4);
    vol.gradient = vol.golden = true;
    t.push_back(vol);
  }
  // CUDA: the same options with and without the deterministic input gradient, grids reaching
  // outside the input, and far outside for reflection.
  for (bool det : {false, true})
    for (bool ac : {false, true})
      for (GridPadding padding : kPaddings) {
        for (GridSampleMode mode : kModes2d) {
          const GridSampleOptions o = grid_sample_opts(mode, padding, ac, det);
          t.push_back(uniform_row({2, 3, 7, 9}, {2, 5, 6, 2}, o, 1.3));
          t.push_back(uniform_row({1, 1, 1, 1}, {1, 3, 3, 2}, o, 1.3));
          t.push_back(uniform_row({3, 4, 16, 12}, {3, 20, 17, 2}, o, 1.3));
          if (mode != GridSampleMode::nearest) t.push_back(uniform_row({2, 3, 7, 9}, {2, 5, 6, 2}, o, 4.5));
        }
        for (GridSampleMode mode : kModes3d) {
          const GridSampleOptions o = grid_sample_opts(mode, padding, ac, det);
          t.push_back(uniform_row({2, 3, 5, 6, 7}, {2, 4, 3, 5, 3}, o, 1.3));
          t.push_back(uniform_row({1, 2, 1, 1, 1}, {1, 2, 2, 2, 3}, o, 1.3));
          if (mode == GridSampleMode::bilinear) t.push_back(uniform_row({2, 3, 5, 6, 7}, {2, 4, 3, 5, 3}, o, 4.5));
        }
      }
  // Empty batch (exact on both devices).
  OpCase empty = uniform_row({0, 3, 4, 4}, {0, 2, 2, 2}, {}, 1);
  empty.cuda32 = empty.cuda32_grad = empty.cuda64 = empty.cuda64_grad = kExact;
  t.push_back(empty);
  // Non-contiguous input and grid: [N,H,W,C] read as [N,C,H,W], a grid stored coordinate-first.
  OpCase views = uniform_row({2, 9, 8, 3}, {2, 2, 6, 5}, {}, 1.2);
  views.params["views"] = "permute(0 3 1 2) permute(0 2 3 1)";
  views.run = [](const std::vector<Tensor>& in) {
    return grid_sample(permute(in[0], {0, 3, 1, 2}), permute(in[1], {0, 2, 3, 1}), {});
  };
  views.parity_dtypes = {DType::f32};
  t.push_back(views);

  // affine_grid, 2-D and 3-D, size-1 dimensions (coordinate 0 whatever align_corners says).
  for (bool ac : {false, true}) {
    t.push_back(affine_row({2, 2, 3}, {2, 3, 4, 5}, ac));
    t.push_back(affine_row({1, 2, 3}, {1, 1, 1, 4}, ac));
    t.push_back(affine_row({1, 2, 3}, {1, 1, 1, 3}, ac));
    t.push_back(affine_row({2, 3, 4}, {2, 3, 3, 4, 5}, ac));
    t.push_back(affine_row({2, 3, 4}, {2, 1, 3, 4, 2}, ac));
    t.push_back(affine_row({1, 3, 4}, {1, 2, 2, 1, 3}, ac));
    t.push_back(affine_row({3, 2, 3}, {3, 4, 9, 13}, ac));
    t.push_back(affine_row({2, 3, 4}, {2, 1, 5, 6, 7}, ac));
    // A large grid: the CUDA block reduction of theta's gradient runs over many points per thread.
    OpCase large = affine_row({3, 2, 3}, {3, 1, 90, 70}, ac);
    large.gradient = large.golden = false;
    large.cuda32_grad = {1e-3, 1e-4};
    t.push_back(large);
  }
  OpCase empty_theta = affine_row({0, 2, 3}, {0, 1, 4, 4}, false);
  empty_theta.gradient = empty_theta.golden = false;
  empty_theta.cuda32 = empty_theta.cuda32_grad = empty_theta.cuda64 = empty_theta.cuda64_grad = kExact;
  t.push_back(empty_theta);

  // affine_grid -> grid_sample (random points land on a kink with probability ~1e-5 each).
  for (bool ac : {false, true}) {
    for (GridPadding padding : kPaddings)
      for (GridSampleMode mode : kModes2d) {
        const GridSampleOptions o = grid_sample_opts(mode, padding, ac);
        for (OpCase c : {composite_row({2, 2, 4, 5}, {2, 2, 3, 4}, o, 0.35),
                         composite_row({2, 3, 4, 5}, {2, 3, 3, 4}, o, 0.35)}) {
          c.gradient = c.golden = true;
          t.push_back(c);
        }
      }
    for (GridPadding padding : kPaddings)
      for (GridSampleMode mode : kModes3d) {
        OpCase c = composite_row({1, 2, 3, 4, 5}, {1, 2, 2, 3, 4}, grid_sample_opts(mode, padding, ac), 0.3);
        c.golden = true;
        c.gradient = padding == GridPadding::reflection;
        t.push_back(c);
      }
    t.push_back(composite_row({3, 2, 12, 12}, {3, 2, 10, 10}, grid_sample_opts(GridSampleMode::bilinear, GridPadding::zeros, ac), 1));
  }

  // `ocellus bench grid_sample` / `affine_grid`: (N, C, [D,] H, W) sampled at an output of the same
  // spatial size, as in a spatial transformer; CUDA parity on them in float32.
  for (const Shape& input : {Shape{64, 32, 64, 64}, Shape{32, 64, 128, 128}, Shape{256, 1, 60, 60}, Shape{8, 8, 32, 32, 32}}) {
    const int64_t dims = static_cast<int64_t>(input.size()) - 2;
    Shape grid = {input[0]};
    grid.insert(grid.end(), input.begin() + 2, input.end());
    grid.push_back(dims);
    OpCase b = uniform_row(input, grid, {}, 1.1);
    b.bench = true;
    b.parity_dtypes = {DType::f32};
    // The grid gradient of a point sums C x taps terms of up to |g x dweight| x size / 2 (the
    // un-normalizing slope) that cancel to a small value; a contracted multiply-add on one device
    // rounds each term differently: float32's 6e-8 per term of that size, absolute.
    const int64_t taps = dims == 2 ? 4 : 8, size = *std::max_element(input.begin() + 2, input.end());
    b.cuda32_grad.atol = std::max(b.cuda32_grad.atol, 6e-8 * double(input[1] * taps * size) / 2);
    t.push_back(b);
    OpCase a = affine_row({input[0], dims, dims + 1}, std::vector<int64_t>(input.begin(), input.end()), false);
    a.gradient = a.golden = false;
    a.bench = true;
    a.parity_dtypes = {DType::f32};
    a.cuda32_grad = {1e-3, 1e-4};
    t.push_back(a);
  }
  return t;
}
