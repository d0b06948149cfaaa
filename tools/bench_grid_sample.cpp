// `ocellus bench affine_grid` / `ocellus bench grid_sample`: the spatial transformer kernels on the
// bench rows of their case table (tests/kernels/grid_sample/grid_sample_cases.cpp), forward and
// forward+backward, as milliseconds (median of runs) and as GB/s on each pass's minimum traffic
// beside the copy bandwidth measured in the same run (bench/torch_grid_sample.py times PyTorch on the
// same shapes and prints both side by side).
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "core/timing.h"
#include "kernels/common/dispatch.h"
#include "kernels/grid_sample/grid_sample_kernels.h"
#include "kernels/ops.h"
#include "tools/bench_common.h"
#include "tools/bench_grid_sample.h"

namespace oc::cli {
namespace {

// (N, C, [D,] H, W) sampled at an output of the same spatial size, as in a spatial transformer.
struct SampleShape {
  int64_t n, c, d, h, w;  // d = 0: 2-D
  bool is3d() const { return d > 0; }
  Shape input() const { return is3d() ? Shape{n, c, d, h, w} : Shape{n, c, h, w}; }
  std::string str() const { return shape_str(input()); }
};

// The bench rows of `op`'s case table: grid_sample's input shape, affine_grid's size.
std::vector<SampleShape> bench_shapes(const std::string& op) {
  std::vector<SampleShape> v;
  for (const test::OpCase& c : bench_cases(op)) {
    const Shape s = op == "grid_sample" ? c.shapes[0] : c.params["size"].get<Shape>();
    v.push_back(s.size() == 5 ? SampleShape{s[0], s[1], s[2], s[3], s[4]} : SampleShape{s[0], s[1], 0, s[2], s[3]});
  }
  return v;
}

// Sampling grids from near-identity random thetas (rotation, scale, shift), as an STN produces.
Tensor random_grid(const SampleShape& s, Device dev) {
  Generator g(11);
  const int dims = s.is3d() ? 3 : 2;
  Tensor eye_part = reshape(eye(dims, dims), {1, dims, dims});
  Tensor theta = uniform({s.n, dims, dims + 1}, -0.25, 0.25, &g, DType::f32);
  theta = add(theta, cat({expand(eye_part, {s.n, dims, dims}), zeros({s.n, dims, 1})}, 2));
  return to(affine_grid(theta, s.input(), false), dev);
}

struct PassTiming {
  std::string pass;
  double ms, bytes;
};

void print_row(const char* op, const SampleShape& s, const PassTiming& t, double copy_gbs, nlohmann::json& rows) {
  const double gbs = t.bytes / (t.ms * 1e6);
  std::printf("%-12s %-20s %-12s %9.3f %9.1f %8.0f%%\n", op, s.str().c_str(), t.pass.c_str(), t.ms, gbs,
              100.0 * gbs / copy_gbs);
  rows.push_back({{"op", op}, {"shape", s.input()}, {"pass", t.pass}, {"ms", t.ms}, {"gbs", gbs},
                  {"copy_fraction", gbs / copy_gbs}});
}

void bench_one_grid_sample(const SampleShape& s, Device dev, int repeats, double copy_gbs, nlohmann::json& rows) {
  Generator gen(7);
  Tensor x = uniform(s.input(), -1, 1, &gen, DType::f32, dev);
  Tensor grid = random_grid(s, dev);
  GridSampleOptions o;
  Tensor y = grid_sample(x, grid, o);
  Tensor gy = uniform(y.shape(), -1, 1, &gen, DType::f32, dev);
  Tensor gx = Tensor::empty(x.shape(), DType::f32, dev), gg = Tensor::empty(grid.shape(), DType::f32, dev);
  GridSampleGeom g;
  g.dims = s.is3d() ? 3 : 2;
  g.n = s.n, g.c = s.c, g.d = s.is3d() ? s.d : 1, g.h = s.h, g.w = s.w;
  g.out_d = g.d, g.out_h = s.h, g.out_w = s.w;
  Tensor xc = reshape(x, {s.n, s.c, g.plane()}), gc = reshape(grid, {s.n, g.points(), g.dims});
  Tensor yc = reshape(y, {s.n, s.c, g.points()}), gyc = reshape(gy, {s.n, s.c, g.points()});
  // Minimum traffic: forward reads x and the grid and writes y; the backward also reads gy and
  // writes gx and the grid gradient.
  const double xb = 4.0 * x.numel(), gb = 4.0 * grid.numel(), yb = 4.0 * y.numel();
  auto fwd = [&] { OC_ON_DEVICE(dev, grid_sample, xc, gc, yc, g); };
  auto bwd = [&] { OC_ON_DEVICE(dev, grid_sample_backward, xc, gc, gyc, gx, gg, g, false); };
  const double f_ms = median(time_runs_ms(dev, fwd, 1, repeats));
  const double fb_ms = median(time_runs_ms(dev, [&] { fwd(); bwd(); }, 1, repeats));
  print_row("grid_sample", s, {"forward", f_ms, xb + gb + yb}, copy_gbs, rows);
  print_row("grid_sample", s, {"fwd+bwd", fb_ms, 2 * (xb + gb + yb) + yb + xb + gb}, copy_gbs, rows);
  if (dev.is_cuda()) {  // what the deterministic input gradient costs
    auto bwd_det = [&] { OC_ON_DEVICE(dev, grid_sample_backward, xc, gc, gyc, gx, gg, g, true); };
    const double d_ms = median(time_runs_ms(dev, [&] { fwd(); bwd_det(); }, 1, repeats));
    print_row("grid_sample", s, {"fwd+bwd det", d_ms, 2 * (xb + gb + yb) + yb + xb + gb}, copy_gbs, rows);
  }
}

void bench_one_affine_grid(const SampleShape& s, Device dev, int repeats, double copy_gbs, nlohmann::json& rows) {
  const int dims = s.is3d() ? 3 : 2;
  Generator gen(9);
  Tensor theta = uniform({s.n, dims, dims + 1}, -1, 1, &gen, DType::f32, dev);
  AffineGridGeom g;
  g.dims = dims, g.n = s.n, g.d = s.is3d() ? s.d : 1, g.h = s.h, g.w = s.w;
  Tensor grid = Tensor::empty({s.n, g.points(), dims}, DType::f32, dev);
  Tensor ggrid = uniform(grid.shape(), -1, 1, &gen, DType::f32, dev), gtheta = Tensor::empty(theta.shape(), DType::f32, dev);
  auto fwd = [&] { OC_ON_DEVICE(dev, affine_grid, theta, grid, g); };
  auto bwd = [&] { OC_ON_DEVICE(dev, affine_grid_backward, ggrid, gtheta, g); };
  const double gb = 4.0 * grid.numel();
  print_row("affine_grid", s, {"forward", median(time_runs_ms(dev, fwd, 2, repeats)), gb}, copy_gbs, rows);
  print_row("affine_grid", s, {"fwd+bwd", median(time_runs_ms(dev, [&] { fwd(); bwd(); }, 2, repeats)), 2 * gb},
            copy_gbs, rows);
}

}  // namespace

nlohmann::json bench_spatial(const std::string& op, const ArgParser& p) {
  Device dev = Device::parse(p.get("--device", "cpu"));
  if (dev.is_cuda()) require_cuda(("bench " + op).c_str());
  const int repeats = p.has("--quick") ? 3 : (dev.is_cuda() ? 50 : 7);
  const double copy_gbs = copy_bandwidth_gbs(dev);
  std::printf("%s on %s (%d threads), float32, bilinear, zeros, output size = input size, median of %d runs\n",
              op.c_str(), dev.str().c_str(), num_threads(), repeats);
  std::printf("copy bandwidth (256 MB, read + write): %.1f GB/s\n", copy_gbs);
  std::printf("%-12s %-20s %-12s %9s %9s %9s\n", "op", "input", "pass", "ms", "GB/s", "of copy");
  nlohmann::json rows = nlohmann::json::array();
  for (const SampleShape& s : bench_shapes(op)) {
    if (op == "grid_sample") bench_one_grid_sample(s, dev, repeats, copy_gbs, rows);
    else bench_one_affine_grid(s, dev, repeats, copy_gbs, rows);
  }
  return {{"bench", op}, {"device", dev.str()}, {"dtype", "float32"}, {"threads", num_threads()},
          {"copy_gbs", copy_gbs}, {"results", rows}};
}

}  // namespace oc::cli
