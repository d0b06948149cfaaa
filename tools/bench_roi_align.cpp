// `ocellus bench roi_align | roi_pool`: the ops on the bench rows of their case table (1000 boxes
// over a 256-channel stride-16 map, 7x7 bins), forward and forward+backward through the public op
// (its box checks included), as milliseconds (median of runs) and as GB/s of each pass's minimum
// traffic beside the copy bandwidth measured in the same run, with a check of the results against
// the float64 reference loops (bench/roi_align_torchvision.py times torchvision on the same rows).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "core/timing.h"
#include "kernels/ops.h"
#include "kernels/roi_align/roi_align.h"
#include "tests/kernels/roi_align/roi_align_reference.h"
#include "tools/bench_common.h"
#include "tools/bench_roi_align.h"

namespace oc::cli {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b, double* magnitude) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i], *magnitude += std::fabs(a[i] * b[i]);
  return s;
}

}  // namespace

int bench_roi(const std::string& op, const ArgParser& p) {
  Device dev = Device::parse(p.get("--device", "cpu"));
  if (dev.is_cuda()) require_cuda("bench roi_align");
  const bool align = op == "roi_align";
  const int repeats = p.has("--quick") ? 3 : (dev.is_cuda() ? 50 : 9);
  const double copy_gbs = copy_bandwidth_gbs(dev);
  std::printf("%s on %s (%d threads), float32, median of %d runs\n", op.c_str(), dev.str().c_str(), num_threads(),
              repeats);
  std::printf("copy bandwidth (256 MB, read + write): %.1f GB/s\n", copy_gbs);
  std::printf("%-18s %-6s %-8s %9s %9s %9s %9s\n", "features", "boxes", "pass", "ms", "GB/s", "of copy", "error");
  nlohmann::json rows = nlohmann::json::array();
  for (const test::OpCase& c : bench_cases(op)) {
    const auto& j = c.params;
    const RoiAlignParams ap{j["out"][0], j["out"][1], j["scale"].get<double>(), align ? j["sampling"].get<int64_t>() : 0,
                            align && j["aligned"].get<bool>()};
    const RoiPoolParams pp{ap.pooled_h, ap.pooled_w, ap.spatial_scale};
    OC_CHECK(!j.contains("permute"), "bench ", op, ": ", c.name(), ": contiguous features only");
    // The table's own inputs: its features and its boxes (stored in 1/1024 pixel).
    const std::vector<Tensor> in = c.make_inputs(DType::f32);
    const Tensor x = to(in[0], dev), boxes = to(div(to(in[1], DType::f32), 1024.0), dev);
    auto run = [&](const Tensor& f) { return align ? roi_align(f, boxes, ap) : roi_pool(f, boxes, pp); };
    Tensor y;
    const Tensor gy = to(test::rand({boxes.size(0), x.size(1), ap.pooled_h, ap.pooled_w}, 5, -1, 1, DType::f32), dev);
    Tensor xg = x.detach().set_requires_grad();
    auto fwd = [&] {
      NoGradGuard no_grad;
      y = run(x);
    };
    auto fwd_bwd = [&] {
      xg.zero_grad();
      run(xg).backward(gy);
    };
    const double f_ms = median(time_runs_ms(dev, fwd, 1, repeats));
    const double fb_ms = median(time_runs_ms(dev, fwd_bwd, 1, repeats));
    // Minimum traffic: the forward reads the map once and writes the bins; the backward reads the
    // bins' gradients and writes the map's.
    const double xb = 4.0 * x.numel(), yb = 4.0 * gy.numel();
    // error: forward, the largest difference from the float64 reference relative to 1 (|features| < 1);
    // fwd+bwd, <gx, v> against the reference's directional derivative along v, relative to its terms.
    const Tensor x64 = to(to(x, Device::cpu()), DType::f64), b64 = to(to(boxes, Device::cpu()), DType::f64);
    auto ref = [&](const Tensor& f) {  // RoIPool's bin edges in float32, as the kernel computes them
      return align ? test::ref_roi_align(f, b64, ap) : test::ref_roi_pool<float>(f, b64, pp);
    };
    const std::vector<double> want = to_vector<double>(ref(x64)), got = to_vector<double>(y);
    double fwd_err = 0;
    for (size_t i = 0; i < want.size(); ++i) fwd_err = std::max(fwd_err, std::fabs(got[i] - want[i]));
    const Tensor v = test::rand(x.shape(), 6, -1, 1, DType::f64);
    const double eps = 1e-6;
    const std::vector<double> up = to_vector<double>(ref(add(x64, mul(v, eps))));
    const std::vector<double> down = to_vector<double>(ref(sub(x64, mul(v, eps))));
    const std::vector<double> gyv = to_vector<double>(gy);
    double mag = 0, unused = 0, numeric = 0;
    for (size_t i = 0; i < up.size(); ++i) numeric += gyv[i] * (up[i] - down[i]) / (2 * eps), mag += std::fabs(gyv[i]);
    const double analytic = dot(to_vector<double>(xg.grad()), to_vector<double>(v), &unused);
    const double grad_err = std::fabs(analytic - numeric) / std::max(mag, 1e-30);
    const std::string feat = shape_str(x.shape());
    for (auto [pass, ms, bytes, err] :
         {std::tuple{"forward", f_ms, xb + yb, fwd_err}, std::tuple{"fwd+bwd", fb_ms, 2 * (xb + yb), grad_err}}) {
      const double gbs = bytes / (ms * 1e6);
      std::printf("%-18s %-6ld %-8s %9.3f %9.1f %8.0f%% %9.1e\n", feat.c_str(), long(boxes.size(0)), pass, ms, gbs,
                  100.0 * gbs / copy_gbs, err);
      rows.push_back({{"op", op}, {"features", x.shape()}, {"boxes", boxes.size(0)}, {"params", j}, {"pass", pass},
                      {"ms", ms}, {"gbs", gbs}, {"copy_fraction", gbs / copy_gbs}, {"error", err}});
    }
    OC_CHECK(fwd_err < 1e-4 && grad_err < 1e-4, "bench ", op, ": results of ", c.name(), " are wrong (forward error ",
             fwd_err, ", gradient error ", grad_err, ")");
  }
  write_bench_json(p.get("--json", ""),
                   {{"bench", op}, {"device", dev.str()}, {"dtype", "float32"}, {"threads", num_threads()},
                    {"copy_gbs", copy_gbs}, {"results", rows}},
                   op);
  return 0;
}

}  // namespace oc::cli
