// `ocellus bench soft_argmax`: the fused soft-argmax on pose-heatmap shapes, forward and
// forward+backward, as milliseconds (median of runs) and as GB/s on each pass's minimum traffic
// beside the copy bandwidth measured in the same run, with a spot check of the results
// (bench/torch_soft_argmax.py times the PyTorch composite on the same shapes and prints both).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "core/timing.h"
#include "kernels/common/dispatch.h"
#include "kernels/ops.h"
#include "kernels/soft_argmax/soft_argmax_kernels.h"
#include "tools/bench_common.h"
#include "tools/bench_soft_argmax.h"

namespace oc::cli {
namespace {

// Largest errors of 8 sampled maps against float64 sums over the definition (beta 1, pixels): of
// the coordinates (in pixels) and of the heatmap gradient relative to its largest magnitude.
std::pair<double, double> spot_check(const SoftArgmaxGeom& g, const Tensor& x, const Tensor& out, const Tensor& gout,
                                     const Tensor& gx) {
  const std::vector<float> xv = to_vector<float>(x), ov = to_vector<float>(out), gv = to_vector<float>(gout);
  const std::vector<float> gxv = to_vector<float>(gx);
  const int64_t plane = g.plane(), cols = g.cols();
  double coord_err = 0, grad_err = 0;
  for (int t = 0; t < 8; ++t) {
    const int64_t q = (g.maps - 1) * t / 7;
    const float* s = xv.data() + q * plane;
    double m = s[0], total = 0, sx = 0, sy = 0;
    for (int64_t i = 0; i < plane; ++i) m = std::max(m, double(s[i]));
    for (int64_t i = 0; i < plane; ++i) {
      const double e = std::exp(s[i] - m);
      total += e, sx += e * double(i % g.w), sy += e * double(i / g.w);
    }
    const double mx = sx / total, my = sy / total;
    coord_err = std::max({coord_err, std::fabs(ov[q * cols] - mx), std::fabs(ov[q * cols + 1] - my)});
    double worst = 0, largest = 0;
    for (int64_t i = 0; i < plane; ++i) {
      const double p = std::exp(s[i] - m) / total;
      const double want = p * (gv[q * cols] * (double(i % g.w) - mx) + gv[q * cols + 1] * (double(i / g.w) - my));
      worst = std::max(worst, std::fabs(gxv[q * plane + i] - want));
      largest = std::max(largest, std::fabs(want));
    }
    grad_err = std::max(grad_err, worst / std::max(largest, 1e-30));
  }
  return {coord_err, grad_err};
}

}  // namespace

int bench_soft_argmax(const ArgParser& p) {
  Device dev = Device::parse(p.get("--device", "cpu"));
  if (dev.is_cuda()) require_cuda("bench soft_argmax");
  const int repeats = p.has("--quick") ? 3 : (dev.is_cuda() ? 50 : 7);
  const double copy_gbs = copy_bandwidth_gbs(dev);
  std::printf("soft_argmax on %s (%d threads), float32, beta 1, pixel coordinates, median of %d runs\n",
              dev.str().c_str(), num_threads(), repeats);
  std::printf("copy bandwidth (256 MB, read + write): %.1f GB/s\n", copy_gbs);
  std::printf("%-20s %-8s %9s %9s %9s %9s\n", "heatmaps", "pass", "ms", "GB/s", "of copy", "error");
  nlohmann::json rows = nlohmann::json::array();
  // (N, K, H, W): a batch of K keypoint heatmaps per image, from the table's bench rows.
  for (const test::OpCase& c : bench_cases("soft_argmax")) {
    OC_CHECK(c.params["beta"] == 1.0 && c.params["coords"] == "pixel" && c.shapes[0].size() == 4,
             "bench soft_argmax: ", c.name(), ": the spot check knows 2-D maps, beta 1, pixel coordinates only");
    const Shape& s = c.shapes[0];
    Generator gen(7);
    Tensor x = uniform(s, -1, 1, &gen, DType::f32, dev);
    SoftArgmaxGeom g;
    g.maps = s[0] * s[1], g.h = s[2], g.w = s[3];
    Tensor xc = reshape(x, {g.maps, g.plane()});
    Tensor out = Tensor::empty({g.maps, g.cols()}, DType::f32, dev);
    Tensor stats = Tensor::empty({g.maps, 2}, DType::f32, dev);
    Tensor gout = uniform({g.maps, g.cols()}, -1, 1, &gen, DType::f32, dev);
    Tensor gx = Tensor::empty(xc.shape(), DType::f32, dev);
    auto fwd = [&] { OC_ON_DEVICE(dev, soft_argmax_forward, xc, out, stats, g); };
    auto bwd = [&] { OC_ON_DEVICE(dev, soft_argmax_backward, xc, stats, out, gout, gx, g); };
    // Minimum traffic: the forward reads the heatmaps once; the backward reads them again and writes
    // their gradient (the per-map outputs and statistics are negligible).
    const double xb = 4.0 * x.numel();
    const double f_ms = median(time_runs_ms(dev, fwd, 1, repeats));
    const double fb_ms = median(time_runs_ms(dev, [&] { fwd(); bwd(); }, 1, repeats));
    // error: forward, the coordinates' largest error in pixels; fwd+bwd, the gradient's relative to its largest value.
    const auto [coord_err, grad_err] = spot_check(g, xc, out, gout, gx);
    for (auto [pass, ms, bytes, err] :
         {std::tuple{"forward", f_ms, xb, coord_err}, std::tuple{"fwd+bwd", fb_ms, 3 * xb, grad_err}}) {
      const double gbs = bytes / (ms * 1e6);
      std::printf("%-20s %-8s %9.3f %9.1f %8.0f%% %9.1e\n", shape_str(s).c_str(), pass, ms, gbs, 100.0 * gbs / copy_gbs,
                  err);
      rows.push_back({{"op", "soft_argmax"}, {"shape", s}, {"pass", pass}, {"ms", ms}, {"gbs", gbs},
                      {"copy_fraction", gbs / copy_gbs}, {"error", err}});
    }
    OC_CHECK(coord_err < 1e-3 && grad_err < 1e-4, "bench soft_argmax: results of ", shape_str(s),
             " are wrong (coordinate error ", coord_err, " px, relative gradient error ", grad_err, ")");
  }
  write_bench_json(p.get("--json", ""),
                   {{"bench", "soft_argmax"}, {"device", dev.str()}, {"dtype", "float32"},
                    {"threads", num_threads()}, {"copy_gbs", copy_gbs}, {"results", rows}},
                   "soft_argmax");
  return 0;
}

}  // namespace oc::cli
