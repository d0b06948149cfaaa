// `ocellus bench soft_argmax`: the fused soft-argmax on pose-heatmap shapes, forward and
// forward+backward, as milliseconds (median of runs) and as GB/s on each pass's minimum traffic
// beside the copy bandwidth measured in the same run (bench/torch_soft_argmax.py times the PyTorch
// composite on the same shapes and prints both side by side).
#include <cstdio>
#include <fstream>
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

// (N, K, H, W): a batch of K keypoint heatmaps per image.
const std::vector<Shape> kShapes = {{64, 17, 64, 64}, {256, 16, 32, 32}, {32, 17, 128, 128}};

}  // namespace

int bench_soft_argmax(const ArgParser& p) {
  Device dev = Device::parse(p.get("--device", "cpu"));
  if (dev.is_cuda()) require_cuda("bench soft_argmax");
  const int repeats = p.has("--quick") ? 3 : (dev.is_cuda() ? 50 : 7);
  const double copy_gbs = copy_bandwidth_gbs(dev);
  std::printf("soft_argmax on %s (%d threads), float32, beta 1, pixel coordinates, median of %d runs\n",
              dev.str().c_str(), num_threads(), repeats);
  std::printf("copy bandwidth (256 MB, read + write): %.1f GB/s\n", copy_gbs);
  std::printf("%-20s %-8s %9s %9s %9s\n", "heatmaps", "pass", "ms", "GB/s", "of copy");
  nlohmann::json rows = nlohmann::json::array();
  for (const Shape& s : kShapes) {
    Generator gen(7);
    Tensor x = uniform(s, -1, 1, &gen, DType::f32, dev);
    SoftArgmaxGeom g;
    g.maps = s[0] * s[1], g.h = s[2], g.w = s[3];
    Tensor xc = reshape(x, {g.maps, g.plane()});
    Tensor out = Tensor::empty({g.maps, g.cols()}, DType::f32, dev), stats = Tensor::empty({g.maps, 2}, DType::f32, dev);
    Tensor gout = uniform({g.maps, g.cols()}, -1, 1, &gen, DType::f32, dev);
    Tensor gx = Tensor::empty(xc.shape(), DType::f32, dev);
    auto fwd = [&] { OC_ON_DEVICE(dev, soft_argmax_forward, xc, out, stats, g); };
    auto bwd = [&] { OC_ON_DEVICE(dev, soft_argmax_backward, xc, stats, out, gout, gx, g); };
    // Minimum traffic: the forward reads the heatmaps once; the backward reads them again and writes
    // their gradient (the per-map outputs and statistics are negligible).
    const double xb = 4.0 * x.numel();
    const double f_ms = median(time_runs_ms(dev, fwd, 1, repeats));
    const double fb_ms = median(time_runs_ms(dev, [&] { fwd(); bwd(); }, 1, repeats));
    for (auto [pass, ms, bytes] : {std::tuple{"forward", f_ms, xb}, std::tuple{"fwd+bwd", fb_ms, 3 * xb}}) {
      const double gbs = bytes / (ms * 1e6);
      std::printf("%-20s %-8s %9.3f %9.1f %8.0f%%\n", shape_str(s).c_str(), pass, ms, gbs, 100.0 * gbs / copy_gbs);
      rows.push_back({{"op", "soft_argmax"}, {"shape", s}, {"pass", pass}, {"ms", ms}, {"gbs", gbs},
                      {"copy_fraction", gbs / copy_gbs}});
    }
  }
  const std::string out_file = p.get("--json", "");
  if (!out_file.empty()) {
    nlohmann::json j = {{"bench", "soft_argmax"}, {"device", dev.str()}, {"dtype", "float32"},
                        {"threads", num_threads()}, {"copy_gbs", copy_gbs}, {"results", rows}};
    std::ofstream f(out_file);
    OC_CHECK(f.good(), "bench soft_argmax: cannot write ", out_file);
    f << j.dump(2) << "\n";
    std::printf("wrote %s\n", out_file.c_str());
  }
  return 0;
}

}  // namespace oc::cli
