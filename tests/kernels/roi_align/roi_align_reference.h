// RoIAlign and RoIPool by torchvision's definitions, as plain float64 loops written from the
// documented rules (not from roi_align_math.h): the references of the case table and the hand tests.
#pragma once
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "kernels/ops.h"
#include "kernels/roi_align/roi_align.h"

namespace oc::test {

// Bilinear read of plane [H, W] at (y, x) with RoIAlign's border rules: outside [-1, H] x [-1, W]
// reads 0; otherwise the point is clamped into [0, H - 1] x [0, W - 1] and interpolated.
inline double ref_roi_bilinear(const double* plane, int64_t H, int64_t W, double y, double x) {
  if (y < -1 || y > double(H) || x < -1 || x > double(W)) return 0;
  y = std::min(std::max(y, 0.0), double(H - 1));
  x = std::min(std::max(x, 0.0), double(W - 1));
  const int64_t y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const int64_t y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0 + 1, W - 1);
  const double ty = y - double(y0), tx = x - double(x0);
  return (1 - ty) * (1 - tx) * plane[y0 * W + x0] + (1 - ty) * tx * plane[y0 * W + x1] +
         ty * (1 - tx) * plane[y1 * W + x0] + ty * tx * plane[y1 * W + x1];
}

inline Tensor ref_roi_align(const Tensor& features, const Tensor& boxes, const RoiAlignParams& p) {
  const int64_t N = features.size(0), C = features.size(1), H = features.size(2), W = features.size(3);
  const int64_t K = boxes.size(0), PH = p.pooled_h, PW = p.pooled_w;
  (void)N;
  const std::vector<double> x = to_vector<double>(features), b = to_vector<double>(boxes);
  std::vector<double> out(static_cast<size_t>(K * C * PH * PW));
  const double off = p.aligned ? 0.5 : 0;
  for (int64_t k = 0; k < K; ++k) {
    const double* r = &b[5 * k];
    const int64_t n = static_cast<int64_t>(r[0]);
    const double x0 = r[1] * p.spatial_scale - off, y0 = r[2] * p.spatial_scale - off;
    double w = r[3] * p.spatial_scale - off - x0, h = r[4] * p.spatial_scale - off - y0;
    if (!p.aligned) w = std::max(w, 1.0), h = std::max(h, 1.0);
    const double bh = h / double(PH), bw = w / double(PW);
    const int64_t gh = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<int64_t>(std::ceil(bh));
    const int64_t gw = p.sampling_ratio > 0 ? p.sampling_ratio : static_cast<int64_t>(std::ceil(bw));
    const double count = std::max<double>(double(gh) * double(gw), 1);
    for (int64_t c = 0; c < C; ++c) {
      const double* plane = &x[((n * C + c) * H) * W];
      for (int64_t ph = 0; ph < PH; ++ph)
        for (int64_t pw = 0; pw < PW; ++pw) {
          double s = 0;
          for (int64_t iy = 0; iy < gh; ++iy)
            for (int64_t ix = 0; ix < gw; ++ix)
              s += ref_roi_bilinear(plane, H, W, y0 + (double(ph) + (double(iy) + 0.5) / double(gh)) * bh,
                                    x0 + (double(pw) + (double(ix) + 0.5) / double(gw)) * bw);
          out[((k * C + c) * PH + ph) * PW + pw] = s / count;
        }
    }
  }
  return from_vector(out, {K, C, PH, PW});
}

// RoIPool: corners rounded half away from zero, bins of whole pixels, max (0 for an empty bin).
// Edge: the type torchvision computes the bin edges in, the features' dtype (float32 and float64
// round 7 * (29 / 7) and 7 * (57 / 7) to different sides of an integer; test_roi_align.cpp).
template <class Edge = double>
Tensor ref_roi_pool(const Tensor& features, const Tensor& boxes, const RoiPoolParams& p) {
  const int64_t C = features.size(1), H = features.size(2), W = features.size(3);
  const int64_t K = boxes.size(0), PH = p.pooled_h, PW = p.pooled_w;
  const std::vector<double> x = to_vector<double>(features), b = to_vector<double>(boxes);
  std::vector<double> out(static_cast<size_t>(K * C * PH * PW));
  for (int64_t k = 0; k < K; ++k) {
    const double* r = &b[5 * k];
    const int64_t n = static_cast<int64_t>(r[0]);
    const auto x0 = static_cast<int64_t>(std::round(r[1] * p.spatial_scale));
    const auto y0 = static_cast<int64_t>(std::round(r[2] * p.spatial_scale));
    const auto x1 = static_cast<int64_t>(std::round(r[3] * p.spatial_scale));
    const auto y1 = static_cast<int64_t>(std::round(r[4] * p.spatial_scale));
    const int64_t h = std::max<int64_t>(y1 - y0 + 1, 1), w = std::max<int64_t>(x1 - x0 + 1, 1);
    // Bin edges as torchvision computes them: floor(p * (size / P)), ceil((p + 1) * (size / P)).
    const Edge bh = Edge(h) / Edge(PH), bw = Edge(w) / Edge(PW);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ph = 0; ph < PH; ++ph)
        for (int64_t pw = 0; pw < PW; ++pw) {
          auto clip = [](int64_t v, int64_t hi) { return std::min(std::max<int64_t>(v, 0), hi); };
          const int64_t hs = clip(y0 + static_cast<int64_t>(std::floor(Edge(ph) * bh)), H);
          const int64_t he = clip(y0 + static_cast<int64_t>(std::ceil(Edge(ph + 1) * bh)), H);
          const int64_t ws = clip(x0 + static_cast<int64_t>(std::floor(Edge(pw) * bw)), W);
          const int64_t we = clip(x0 + static_cast<int64_t>(std::ceil(Edge(pw + 1) * bw)), W);
          double m = (he <= hs || we <= ws) ? 0 : -INFINITY;
          for (int64_t i = hs; i < he; ++i)
            for (int64_t j = ws; j < we; ++j) m = std::max(m, x[((n * C + c) * H + i) * W + j]);
          out[((k * C + c) * PH + ph) * PW + pw] = m;
        }
  }
  return from_vector(out, {K, C, PH, PW});
}

}  // namespace oc::test
