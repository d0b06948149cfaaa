// The pose math written once for the CPU reference and the CUDA kernels: the cell <-> input-pixel
// convention (diagram in pose.h), a joint's Gaussian at a cell, a limb's coverage of a cell, the peak
// test with its tie rule and parabola refinement, and the bilinear PAF lookup.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/hd.h"
#include "core/hd_math.h"
#include "core/hd_rounding.h"

namespace oc {

// Sizes shared by the render kernels: keypoints [N, P, K, 3] -> maps [N, C, H, W].
struct PoseRenderGeom {
  int64_t n = 0, people = 0, joints = 0, limbs = 0, h = 0, w = 0;
  double stride = 1;
  double sigma = 1;       // render_heatmaps
  double limb_width = 1;  // render_pafs
  OC_HD int64_t plane() const { return h * w; }
};

// Input-pixel position of the centre of cell i, and the (fractional) cell of input position x.
// Rounded op by op (core/hd_rounding.h): the Gaussian's 3-sigma cut-off and the PAF's coverage test
// compare these centres, and both devices must decide the same at a tie.
template <class T>
OC_HD T pose_cell_centre(int64_t i, T stride) {
  return add_rn(mul_rn(static_cast<T>(i), stride), (stride - T(1)) / T(2));
}
template <class T>
OC_HD T pose_to_cell(T x, T stride) {
  return (x - (stride - T(1)) / T(2)) / stride;
}

// The cells [lo, hi] (clamped to [0, size)) that may hold a centre in [x0, x1], one cell wider on
// each side than needed, so rounding never hides a cell; callers test each cell exactly.
// Returns false when the range misses the map (or x0, x1 are not finite).
inline bool pose_cell_range(double x0, double x1, double stride, int64_t size, int64_t* lo, int64_t* hi) {
  const double c0 = std::floor(pose_to_cell(x0, stride)) - 1, c1 = std::ceil(pose_to_cell(x1, stride)) + 1;
  if (!(c0 <= c1) || c1 < 0 || c0 > static_cast<double>(size - 1)) return false;
  *lo = c0 < 0 ? 0 : static_cast<int64_t>(c0);
  *hi = c1 > static_cast<double>(size - 1) ? size - 1 : static_cast<int64_t>(c1);
  return true;
}

// ---- heatmaps ----

// Joint (kx, ky) at the cell centred at (cx, cy): its Gaussian inside the 3-sigma square, else 0
// (NaN coordinates fail the test too).
template <class T>
OC_HD T pose_gaussian(T cx, T cy, T kx, T ky, T sigma) {
  const T dx = cx - kx, dy = cy - ky, r = T(3) * sigma;  // single operations: nothing to contract
  if (!(dx >= -r && dx <= r && dy >= -r && dy <= r)) return T(0);
  return hd_exp(-(dx * dx + dy * dy) / (T(2) * sigma * sigma));
}

// ---- part affinity fields ----

template <class T>
struct PafSegment {
  T ax, ay, ux, uy, length;
  bool valid;  // both joints present, distinct, finite
};

// The segment from joint a to joint b, each (x, y, v).
template <class T>
OC_HD PafSegment<T> paf_segment(const T* a, const T* b) {
  PafSegment<T> s;
  const T dx = b[0] - a[0], dy = b[1] - a[1];
  s.ax = a[0];
  s.ay = a[1];
  s.length = hd_sqrt(add_rn(mul_rn(dx, dx), mul_rn(dy, dy)));  // as paf_covers: the same bits on both devices
  s.valid = a[2] > T(0) && b[2] > T(0) && s.length > T(0) && s.length < T(1e30);
  s.ux = s.valid ? dx / s.length : T(0);
  s.uy = s.valid ? dy / s.length : T(0);
  return s;
}

// Whether the cell centred at (cx, cy) lies within `width` of the segment, between its ends.
template <class T>
OC_HD bool paf_covers(const PafSegment<T>& s, T cx, T cy, T width) {
  const T dx = cx - s.ax, dy = cy - s.ay;
  const T along = add_rn(mul_rn(dx, s.ux), mul_rn(dy, s.uy));  // not contracted: the same decision at a tie
  const T across = sub_rn(mul_rn(dx, s.uy), mul_rn(dy, s.ux));
  return s.valid && along >= T(0) && along <= s.length && across >= -width && across <= width;
}

// ---- peaks ----

// Cell (i, j) of an h x w map m: the peak test of pose.h (threshold, >= all neighbours, > those
// before it in raster order). On success writes the refined cell coordinates (col, row).
template <class T>
OC_HD bool pose_peak_at(const T* m, int64_t h, int64_t w, int64_t i, int64_t j, T threshold, T* col, T* row) {
  const T v = m[i * w + j];
  if (!(v > threshold)) return false;
  for (int64_t di = -1; di <= 1; ++di)
    for (int64_t dj = -1; dj <= 1; ++dj) {
      if (di == 0 && dj == 0) continue;
      const int64_t y = i + di, x = j + dj;
      if (y < 0 || y >= h || x < 0 || x >= w) continue;
      const T u = m[y * w + x];
      const bool before = di < 0 || (di == 0 && dj < 0);
      if (before ? u >= v : u > v) return false;  // a NaN neighbour never blocks
    }
  // The parabola through (left, v, right); the top is at most half a cell away from a maximum.
  auto offset = [v](T l, T r) {
    const T curv = l - T(2) * v + r;
    if (!(curv < T(0))) return T(0);
    T o = (l - r) / (T(2) * curv);
    return o < T(-0.5) ? T(-0.5) : (o > T(0.5) ? T(0.5) : o);
  };
  *col = static_cast<T>(j) + (j > 0 && j + 1 < w ? offset(m[i * w + j - 1], m[i * w + j + 1]) : T(0));
  *row = static_cast<T>(i) + (i > 0 && i + 1 < h ? offset(m[(i - 1) * w + j], m[(i + 1) * w + j]) : T(0));
  return true;
}

// ---- PAF line integral ----

// Bilinear read of an h x w plane at cell coordinates (u, v), clamped to the map.
template <class T>
OC_HD T pose_bilinear(const T* m, int64_t h, int64_t w, T u, T v) {
  u = u < T(0) ? T(0) : (u > static_cast<T>(w - 1) ? static_cast<T>(w - 1) : u);
  v = v < T(0) ? T(0) : (v > static_cast<T>(h - 1) ? static_cast<T>(h - 1) : v);
  if (!(u == u) || !(v == v)) return T(0);
  const int64_t x0 = static_cast<int64_t>(hd_floor(u)), y0 = static_cast<int64_t>(hd_floor(v));
  const int64_t x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
  const T tx = u - static_cast<T>(x0), ty = v - static_cast<T>(y0);
  const T top = m[y0 * w + x0] * (T(1) - tx) + m[y0 * w + x1] * tx;
  const T bottom = m[y1 * w + x0] * (T(1) - tx) + m[y1 * w + x1] * tx;
  return top * (T(1) - ty) + bottom * ty;
}

// Candidate c = (xa, ya, xb, yb) on field f [2, h, w]: (mean of d_i, share of d_i > threshold).
template <class T>
OC_HD void paf_line_score(const T* f, int64_t h, int64_t w, const T* c, T stride, int samples, T threshold,
                          T* score, T* fraction) {
  const T dx = c[2] - c[0], dy = c[3] - c[1];
  const T length = hd_sqrt(dx * dx + dy * dy);
  *score = T(0);
  *fraction = T(0);
  if (!(length > T(0)) || !(length < T(1e30))) return;
  const T ux = dx / length, uy = dy / length;
  const T* fx = f;
  const T* fy = f + h * w;
  T sum = T(0);
  int above = 0;
  for (int i = 0; i < samples; ++i) {
    const T t = samples == 1 ? T(0.5) : static_cast<T>(i) / static_cast<T>(samples - 1);
    const T u = pose_to_cell(c[0] + dx * t, stride), v = pose_to_cell(c[1] + dy * t, stride);
    const T d = pose_bilinear(fx, h, w, u, v) * ux + pose_bilinear(fy, h, w, u, v) * uy;
    sum += d;
    above += d > threshold ? 1 : 0;
  }
  *score = sum / static_cast<T>(samples);
  *fraction = static_cast<T>(above) / static_cast<T>(samples);
}

}  // namespace oc
