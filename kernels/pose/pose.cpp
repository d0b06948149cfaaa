// Front end of the pose primitives: every shape, dtype, device and parameter check, dispatch, and
// the host-side compaction of the peaks. Nothing here records a gradient (targets and decoding).
#include "kernels/pose/pose.h"

#include <cmath>

#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/pose/pose_kernels.h"

namespace oc {
namespace {

void check_positive(const char* op, const char* what, double value) {
  OC_CHECK(std::isfinite(value) && value > 0, op, ": ", what, " must be positive and finite, got ", value);
}

PoseRenderGeom check_render(const char* op, const Tensor& keypoints, int64_t height, int64_t width, double stride) {
  check_defined(op, {&keypoints});
  check_floating(op, keypoints);
  OC_CHECK(keypoints.dim() == 4 && keypoints.size(3) == 3, op, ": expected keypoints [N,P,K,3] (x, y, v), got ",
           shape_str(keypoints.shape()));
  OC_CHECK(height >= 0 && width >= 0, op, ": map size must not be negative, got ", height, " x ", width);
  check_positive(op, "stride", stride);
  PoseRenderGeom g;
  g.n = keypoints.size(0);
  g.people = keypoints.size(1);
  g.joints = keypoints.size(2);
  g.h = height;
  g.w = width;
  g.stride = stride;
  return g;
}

}  // namespace

Tensor render_heatmaps(const Tensor& keypoints, int64_t height, int64_t width, double stride, double sigma) {
  PoseRenderGeom g = check_render("render_heatmaps", keypoints, height, width, stride);
  check_positive("render_heatmaps", "sigma", sigma);
  g.sigma = sigma;
  Tensor kc = contiguous(keypoints.detach());
  Tensor out = Tensor::empty({g.n, g.joints, g.h, g.w}, keypoints.dtype(), keypoints.device());
  if (out.numel() > 0) OC_ON_DEVICE(keypoints.device(), render_heatmaps, kc, out, g);
  return out;
}

Tensor render_pafs(const Tensor& keypoints, const std::vector<std::array<int, 2>>& limbs, int64_t height,
                   int64_t width, double stride, double limb_width) {
  const char* op = "render_pafs";
  PoseRenderGeom g = check_render(op, keypoints, height, width, stride);
  OC_CHECK(std::isfinite(limb_width) && limb_width >= 0, op, ": limb_width must be finite and >= 0, got ",
           limb_width);
  std::vector<int32_t> flat;
  for (size_t l = 0; l < limbs.size(); ++l) {
    for (int e : limbs[l])
      OC_CHECK(e >= 0 && e < g.joints, op, ": limb ", l, " (", limbs[l][0], ", ", limbs[l][1],
               ") names a joint outside [0, ", g.joints, ") of keypoints ", shape_str(keypoints.shape()));
    flat.push_back(limbs[l][0]);
    flat.push_back(limbs[l][1]);
  }
  g.limbs = static_cast<int64_t>(limbs.size());
  g.limb_width = limb_width;
  Tensor kc = contiguous(keypoints.detach());
  Tensor out = Tensor::empty({g.n, 2 * g.limbs, g.h, g.w}, keypoints.dtype(), keypoints.device());
  if (out.numel() == 0) return out;
  Tensor lt = from_vector(flat, {g.limbs, 2}, keypoints.device());
  OC_ON_DEVICE(keypoints.device(), render_pafs, kc, lt, out, g);
  return out;
}

std::vector<Peak> find_peaks(const Tensor& heatmaps, double threshold, double stride) {
  const char* op = "find_peaks";
  check_defined(op, {&heatmaps});
  check_floating(op, heatmaps);
  OC_CHECK(heatmaps.dim() == 4, op, ": expected heatmaps [N,K,H,W], got ", shape_str(heatmaps.shape()));
  check_positive(op, "stride", stride);
  const int64_t n = heatmaps.size(0), k = heatmaps.size(1), h = heatmaps.size(2), w = heatmaps.size(3);
  std::vector<Peak> peaks;
  if (heatmaps.numel() == 0) return peaks;
  Tensor hc = contiguous(heatmaps.detach());
  // (flag, column, row, value) per cell; one copy to the host, compacted there in raster order.
  Tensor marks = Tensor::empty({n * k, h, w, 4}, heatmaps.dtype(), heatmaps.device());
  OC_ON_DEVICE(heatmaps.device(), mark_peaks, hc, marks, h, w, threshold);
  Tensor host = to(marks, Device::cpu());
  OC_DISPATCH_FLOATING(host.dtype(), op, [&] {
    const scalar_t* m = static_cast<const scalar_t*>(host.raw_data());
    for (int64_t c = 0; c < n * k * h * w; ++c, m += 4) {
      if (m[0] == scalar_t(0)) continue;
      Peak p;
      p.n = c / (k * h * w);
      p.k = (c / (h * w)) % k;
      p.x = pose_cell_centre<double>(0, stride) + static_cast<double>(m[1]) * stride;
      p.y = pose_cell_centre<double>(0, stride) + static_cast<double>(m[2]) * stride;
      p.score = static_cast<double>(m[3]);
      peaks.push_back(p);
    }
  });
  return peaks;
}

Tensor paf_limb_scores(const Tensor& pafs_limb, const Tensor& candidates, double stride, int samples,
                       double threshold) {
  const char* op = "paf_limb_scores";
  check_defined(op, {&pafs_limb, &candidates});
  check_floating(op, pafs_limb);
  check_same_dtype(op, {&pafs_limb, &candidates});
  check_same_device(op, {&pafs_limb, &candidates});
  OC_CHECK(pafs_limb.dim() == 3 && pafs_limb.size(0) == 2 && pafs_limb.size(1) > 0 && pafs_limb.size(2) > 0, op,
           ": expected one limb's field [2,H,W] with H, W > 0, got ", shape_str(pafs_limb.shape()));
  OC_CHECK(candidates.dim() == 2 && candidates.size(1) == 4, op, ": expected candidates [M,4] (xa, ya, xb, yb), got ",
           shape_str(candidates.shape()));
  check_positive(op, "stride", stride);
  OC_CHECK(samples >= 1, op, ": samples must be >= 1, got ", samples);
  Tensor fc = contiguous(pafs_limb.detach()), cc = contiguous(candidates.detach());
  Tensor out = Tensor::empty({candidates.size(0), 2}, pafs_limb.dtype(), pafs_limb.device());
  if (out.numel() > 0) OC_ON_DEVICE(pafs_limb.device(), paf_limb_scores, fc, cc, out, stride, samples, threshold);
  return out;
}

}  // namespace oc
