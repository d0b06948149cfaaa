// The coordinate convention of grid_sample and affine_grid, written once for the CPU reference and
// the CUDA kernels, with PyTorch's semantics (F.grid_sample / F.affine_grid).
//
// A normalized coordinate c in [-1, 1] names a point along an axis of `size` pixels:
//
//   align_corners = true: -1 and 1 are the centres of the corner pixels,
//       src = (c + 1) / 2 * (size - 1)
//          c:  -1          0          1
//              |           |          |
//             [ 0 ]      [ 1 ]      [ 2 ]        (size = 3)
//
//   align_corners = false: -1 and 1 are the outer edges of the corner pixels,
//       src = ((c + 1) * size - 1) / 2
//          c: -1                 0                 1
//             |                  |                 |
//             [   0   ][    1    ][    2    ]       (size = 3: c = -1 -> src = -0.5)
//
// src is a pixel index with pixel centres at integers. Points outside the image read:
//   zeros       0 (every out-of-range tap drops out),
//   border      the clamped coordinate, clip(src, 0, size - 1),
//   reflection  src mirrored at the corner-pixel centres (align_corners) or at the image edges
//               (not), as often as needed, then clamped.
// Taps: nearest reads pixel rint(src) (half to even); bilinear the two neighbours floor(src) and
// floor(src) + 1 per axis with weights 1 - t, t (t = src - floor(src)); bicubic the four neighbours
// floor(src) - 1 .. + 2 with Keys' cubic convolution weights (A = -0.75). Bicubic un-normalizes
// without padding and applies the padding to each tap (as PyTorch does), so its taps may repeat.
//
// Each output point becomes a small table of taps (pixel offset, weight, d weight / d grid
// coordinate) that forward, input-gradient and grid-gradient passes all read.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/hd.h"
#include "core/hd_math.h"
#include "core/hd_rounding.h"
#include "kernels/common/cast.h"
#include "kernels/grid_sample/grid_sample.h"

namespace oc {

// Input [N, C, D, H, W] (D = 1 for 2-D input) sampled at [N, Do, Ho, Wo] points (Do = 1 for 2-D).
struct GridSampleGeom {
  int64_t n = 0, c = 0, d = 1, h = 0, w = 0;
  int64_t out_d = 1, out_h = 0, out_w = 0;
  int dims = 2;  // 2 or 3: the coordinates per grid point
  GridSampleMode mode = GridSampleMode::bilinear;
  GridPadding padding = GridPadding::zeros;
  bool align_corners = false;

  OC_HD int64_t plane() const { return d * h * w; }
  OC_HD int64_t points() const { return out_d * out_h * out_w; }
  // Axis a of a coordinate (0 = x, 1 = y, 2 = z): its size and its stride in a plane.
  OC_HD int64_t size(int a) const { return a == 0 ? w : (a == 1 ? h : d); }
  OC_HD int64_t stride(int a) const { return a == 0 ? 1 : (a == 1 ? w : h * w); }
};

// ---- one axis: normalized coordinate -> pixel coordinate, with d(pixel)/d(normalized) ----

template <class T>
OC_HD T grid_unnormalize(T c, int64_t size, bool align_corners, T* d) {
  if (align_corners) {
    *d = static_cast<T>(size - 1) / T(2);
    return (c + T(1)) / T(2) * static_cast<T>(size - 1);
  }
  *d = static_cast<T>(size) / T(2);
  // Not contracted into an FMA (core/hd_rounding.h): floor and nearest rounding at ties decide alike.
  return sub_rn(mul_rn(c + T(1), static_cast<T>(size)), T(1)) / T(2);
}

// clip(x, 0, size - 1); the derivative is 0 where clipped.
template <class T>
OC_HD T grid_clip(T x, int64_t size, T* d) {
  const T hi = static_cast<T>(size - 1);
  if (x <= T(0)) { *d = T(0); return T(0); }
  if (x >= hi) { *d = T(0); return hi; }
  *d = T(1);
  return x;
}

// Mirrors x into [lo, hi] = [twice_lo / 2, twice_hi / 2] (halves kept exact as integers).
template <class T>
OC_HD T grid_reflect(T x, int64_t twice_lo, int64_t twice_hi, T* d) {
  if (twice_lo == twice_hi) { *d = T(0); return T(0); }
  const T lo = static_cast<T>(twice_lo) / T(2), span = static_cast<T>(twice_hi - twice_lo) / T(2);
  T sign = T(1);
  x -= lo;
  if (x < T(0)) { sign = T(-1); x = -x; }
  const T extra = hd_fmod(x, span);
  const int64_t flips = cast_value<int64_t>(hd_floor(x / span));  // defined for inf and huge x too
  if (flips % 2 == 0) { *d = sign; return extra + lo; }
  *d = -sign;
  return span - extra + lo;
}

// NaN, infinities and huge values would overflow the integer tap indices: send them far outside.
template <class T>
OC_HD T grid_safe_coordinate(T x) {
  return (x == x && x > T(-1e9) && x < T(1e9)) ? x : T(-100);
}

// Padding applied to an un-normalized coordinate (border, reflection; zeros leaves it alone).
template <class T>
OC_HD T grid_pad_coordinate(T x, int64_t size, GridPadding padding, bool align_corners, T* d) {
  *d = T(1);
  if (padding == GridPadding::border) {
    x = grid_clip(x, size, d);
  } else if (padding == GridPadding::reflection) {
    T dr, dc;
    x = align_corners ? grid_reflect(x, 0, 2 * (size - 1), &dr) : grid_reflect(x, -1, 2 * size - 1, &dr);
    x = grid_clip(x, size, &dc);
    *d = dr * dc;
  }
  return grid_safe_coordinate(x);
}

// ---- bicubic weights (Keys, A = -0.75) and their derivatives in t ----

template <class T>
OC_HD void cubic_weights(T t, T w[4], T dw[4]) {
  const T A = T(-0.75);
  // |x| <= 1: (A + 2)|x|^3 - (A + 3)|x|^2 + 1;  1 < |x| < 2: A|x|^3 - 5A|x|^2 + 8A|x| - 4A
  const T x0 = t + T(1), x1 = t, x2 = T(1) - t, x3 = T(2) - t;
  w[0] = ((A * x0 - T(5) * A) * x0 + T(8) * A) * x0 - T(4) * A;
  w[1] = ((A + T(2)) * x1 - (A + T(3))) * x1 * x1 + T(1);
  w[2] = ((A + T(2)) * x2 - (A + T(3))) * x2 * x2 + T(1);
  w[3] = ((A * x3 - T(5) * A) * x3 + T(8) * A) * x3 - T(4) * A;
  // d/dt, by the chain rule through x0 = t + 1 (+), x1 = t (+), x2 = 1 - t (-), x3 = 2 - t (-)
  dw[0] = (T(3) * A * x0 - T(10) * A) * x0 + T(8) * A;
  dw[1] = (T(3) * (A + T(2)) * x1 - T(2) * (A + T(3))) * x1;
  dw[2] = -(T(3) * (A + T(2)) * x2 - T(2) * (A + T(3))) * x2;
  dw[3] = -((T(3) * A * x3 - T(10) * A) * x3 + T(8) * A);
}

// ---- the taps of one output point ----

template <GridSampleMode M, int kDims>
struct GridTapCount {
  static constexpr int value = M == GridSampleMode::nearest ? 1
                               : M == GridSampleMode::bilinear ? (kDims == 2 ? 4 : 8)
                                                               : 16;
};

template <class T, GridSampleMode M, int kDims>
struct GridTaps {
  static constexpr int kCount = GridTapCount<M, kDims>::value;
  int64_t offset[kCount];   // into one [D, H, W] plane
  T weight[kCount];
  T dweight[kCount][kDims];  // d weight / d grid coordinate (x, y, z)
  bool valid[kCount];        // false: outside the image with zero padding (reads 0, gets no gradient)
};

// Bicubic (2-D only, the front end checks): 4 x 4 taps around floor(src), padding per tap.
template <class T, GridSampleMode M, int kDims>
OC_HD void bicubic_point_taps(const T* coord, const GridSampleGeom& g, GridTaps<T, M, kDims>& taps) {
  T src[2], dsrc[2], w[2][4], dw[2][4];
  int64_t base[2];
  for (int a = 0; a < 2; ++a) {
    src[a] = grid_unnormalize(coord[a], g.size(a), g.align_corners, &dsrc[a]);
    const T fl = hd_floor(src[a]);
    base[a] = static_cast<int64_t>(grid_safe_coordinate(fl)) - 1;
    cubic_weights(src[a] - fl, w[a], dw[a]);
  }
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 4; ++i) {
      const int k = j * 4 + i;
      T unused;
      const T px = grid_pad_coordinate(static_cast<T>(base[0] + i), g.w, g.padding, g.align_corners, &unused);
      const T py = grid_pad_coordinate(static_cast<T>(base[1] + j), g.h, g.padding, g.align_corners, &unused);
      const int64_t ix = static_cast<int64_t>(px), iy = static_cast<int64_t>(py);
      taps.valid[k] = ix >= 0 && ix < g.w && iy >= 0 && iy < g.h;
      taps.offset[k] = taps.valid[k] ? iy * g.w + ix : 0;
      taps.weight[k] = w[0][i] * w[1][j];
      taps.dweight[k][0] = dw[0][i] * w[1][j] * dsrc[0];
      taps.dweight[k][1] = w[0][i] * dw[1][j] * dsrc[1];
    }
}

// The padded source coordinate of each axis and d(source)/d(normalized coordinate).
template <class T, int kDims>
OC_HD void grid_source_point(const T* coord, const GridSampleGeom& g, T* src, T* dsrc) {
  for (int a = 0; a < kDims; ++a) {
    T du, dp;
    const T u = grid_unnormalize(coord[a], g.size(a), g.align_corners, &du);
    src[a] = grid_pad_coordinate(u, g.size(a), g.padding, g.align_corners, &dp);
    dsrc[a] = du * dp;
  }
}

template <class T, GridSampleMode M, int kDims>
OC_HD void nearest_point_taps(const T* coord, const GridSampleGeom& g, GridTaps<T, M, kDims>& taps) {
  T src[kDims], dsrc[kDims];
  grid_source_point<T, kDims>(coord, g, src, dsrc);
  bool inside = true;
  int64_t off = 0;
  for (int a = 0; a < kDims; ++a) {
    const int64_t i = static_cast<int64_t>(hd_round_half_even(src[a]));
    inside = inside && i >= 0 && i < g.size(a);
    off += i * g.stride(a);
  }
  taps.valid[0] = inside;
  taps.offset[0] = inside ? off : 0;
  taps.weight[0] = T(1);
  for (int a = 0; a < kDims; ++a) taps.dweight[0][a] = T(0);
}

// Bilinear / trilinear: corner k takes floor(src) + bit a of k along axis a.
template <class T, GridSampleMode M, int kDims>
OC_HD void linear_point_taps(const T* coord, const GridSampleGeom& g, GridTaps<T, M, kDims>& taps) {
  T src[kDims], dsrc[kDims];
  grid_source_point<T, kDims>(coord, g, src, dsrc);
  int64_t lo[kDims];
  T w[kDims][2];
  for (int a = 0; a < kDims; ++a) {
    const T fl = hd_floor(src[a]);
    lo[a] = static_cast<int64_t>(fl);
    w[a][1] = src[a] - fl;
    w[a][0] = T(1) - w[a][1];
  }
  for (int k = 0; k < taps.kCount; ++k) {
    bool inside = true;
    int64_t off = 0;
    T weight = T(1);
    for (int a = 0; a < kDims; ++a) {
      const int bit = (k >> a) & 1;
      const int64_t i = lo[a] + bit;
      inside = inside && i >= 0 && i < g.size(a);
      off += i * g.stride(a);
      weight *= w[a][bit];
    }
    taps.valid[k] = inside;
    taps.offset[k] = inside ? off : 0;
    taps.weight[k] = weight;
    for (int a = 0; a < kDims; ++a) {
      T dw = ((k >> a) & 1) ? T(1) : T(-1);
      for (int b = 0; b < kDims; ++b)
        if (b != a) dw *= w[b][(k >> b) & 1];
      taps.dweight[k][a] = dw * dsrc[a];
    }
  }
}

// Fills `taps` for the point whose normalized coordinates are coord[0..kDims).
template <class T, GridSampleMode M, int kDims>
OC_HD void grid_point_taps(const T* coord, const GridSampleGeom& g, GridTaps<T, M, kDims>& taps) {
  if constexpr (M == GridSampleMode::bicubic) bicubic_point_taps(coord, g, taps);
  else if constexpr (M == GridSampleMode::nearest) nearest_point_taps(coord, g, taps);
  else linear_point_taps(coord, g, taps);
}

// ---- what the kernels do with a point's taps ----

// y[c * y_stride] = sum of the taps of x[c * plane + ...], for c in [0, C).
template <class T, class Taps>
OC_HD void grid_sample_point(const Taps& t, const T* x, int64_t plane, int64_t channels, T* y, int64_t y_stride) {
  for (int64_t c = 0; c < channels; ++c) {
    const T* xc = x + c * plane;
    T acc = T(0);
    for (int k = 0; k < t.kCount; ++k)
      if (t.valid[k]) acc += t.weight[k] * xc[t.offset[k]];
    y[c * y_stride] = acc;
  }
}

// The input gradient of one point: add(c * plane + offset, value) for every valid tap.
template <class T, class Taps, class Add>
OC_HD void grid_sample_point_input_grad(const Taps& t, const T* gy, int64_t gy_stride, int64_t plane, int64_t channels,
                                        Add&& add) {
  for (int64_t c = 0; c < channels; ++c) {
    const T go = gy[c * gy_stride];
    for (int k = 0; k < t.kCount; ++k)
      if (t.valid[k]) add(c * plane + t.offset[k], t.weight[k] * go);
  }
}

// The grid gradient of one point: ggrid[a] = sum_c gy_c * sum_k x_c[k] * d weight_k / d coord_a.
template <class T, int kDims, class Taps>
OC_HD void grid_sample_point_grid_grad(const Taps& t, const T* x, int64_t plane, const T* gy, int64_t gy_stride,
                                       int64_t channels, T* ggrid) {
  T acc[kDims];
  for (int a = 0; a < kDims; ++a) acc[a] = T(0);
  for (int64_t c = 0; c < channels; ++c) {
    const T* xc = x + c * plane;
    const T go = gy[c * gy_stride];
    for (int k = 0; k < t.kCount; ++k) {
      if (!t.valid[k]) continue;
      const T v = xc[t.offset[k]] * go;
      for (int a = 0; a < kDims; ++a) acc[a] += v * t.dweight[k][a];
    }
  }
  for (int a = 0; a < kDims; ++a) ggrid[a] = acc[a];
}

// Runtime (mode, dims) -> compile-time tag, so each kernel is instantiated for the tap table it needs.
template <GridSampleMode M, int D>
struct GridModeTag {
  static constexpr GridSampleMode mode = M;
  static constexpr int dims = D;
};

template <class F>
void dispatch_grid_mode(const GridSampleGeom& g, F&& f) {
  using M = GridSampleMode;
  if (g.dims == 3) {
    if (g.mode == M::nearest) f(GridModeTag<M::nearest, 3>{});
    else f(GridModeTag<M::bilinear, 3>{});  // trilinear; bicubic is refused for 3-D by the front end
    return;
  }
  if (g.mode == M::nearest) f(GridModeTag<M::nearest, 2>{});
  else if (g.mode == M::bicubic) f(GridModeTag<M::bicubic, 2>{});
  else f(GridModeTag<M::bilinear, 2>{});
}

// ---- affine_grid ----

// The normalized coordinate of pixel i of `size` (PyTorch's base grid): evenly spaced from -1 to 1
// over the pixel centres with align_corners, scaled by (size - 1) / size without; 0 when size == 1.
template <class T>
OC_HD T affine_base_coordinate(int64_t i, int64_t size, bool align_corners) {
  if (size <= 1) return T(0);
  const T c = T(-1) + T(2) * static_cast<T>(i) / static_cast<T>(size - 1);
  return align_corners ? c : c * static_cast<T>(size - 1) / static_cast<T>(size);
}

// Output [N, Do, Ho, Wo, dims] from theta [N, dims, dims + 1]; point p = (dz, hy, wx).
struct AffineGridGeom {
  int64_t n = 0, d = 1, h = 0, w = 0;
  int dims = 2;
  bool align_corners = false;
  OC_HD int64_t points() const { return d * h * w; }
};

// The homogeneous base point (x, y, [z,] 1) of point p.
template <class T>
OC_HD void affine_base_point(int64_t p, const AffineGridGeom& g, T* base) {
  const int64_t wx = p % g.w, hy = (p / g.w) % g.h, dz = p / (g.w * g.h);
  base[0] = affine_base_coordinate<T>(wx, g.w, g.align_corners);
  base[1] = affine_base_coordinate<T>(hy, g.h, g.align_corners);
  if (g.dims == 3) base[2] = affine_base_coordinate<T>(dz, g.d, g.align_corners);
  base[g.dims] = T(1);
}

}  // namespace oc
