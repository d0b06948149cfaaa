// The soft-argmax math written once for the CPU reference and the CUDA kernels: the coordinate
// convention, the online (max, sums) statistics of a map and how two of them combine, and the
// per-pixel gradient recomputed from the saved statistics.
//
// A map's statistics with max m: s = sum exp(beta (S - m)), s_a = sum exp(beta (S - m)) * a for
// each pixel coordinate a (x, y, z, in pixels). Two partial statistics combine by rescaling both to
// the larger max, so one pass in any order (rows on the CPU, threads on CUDA) sees every pixel once.
// beta multiplies S - m (<= 0), never S alone, so no magnitude of beta * S overflows.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/hd.h"
#include "core/hd_math.h"
#include "kernels/soft_argmax/soft_argmax.h"

namespace oc {

// maps = N * K heatmaps of D x H x W pixels (D = 1 for 2-D), each contiguous.
struct SoftArgmaxGeom {
  int64_t maps = 0, d = 1, h = 0, w = 0;
  int dims = 2;             // 2: (x, y); 3: (x, y, z)
  double beta = 1;
  bool normalized = false;  // SoftArgmaxCoords::normalized
  bool with_value = false;  // the output row is (x, y[, z], value)

  OC_HD int64_t plane() const { return d * h * w; }
  OC_HD int cols() const { return dims + (with_value ? 1 : 0); }
  // Axis a (0 = x, 1 = y, 2 = z): its size in pixels.
  OC_HD int64_t size(int a) const { return a == 0 ? w : (a == 1 ? h : d); }
};

// Pixel coordinate p (centres at integers) in the output convention (see soft_argmax.h).
template <class T>
OC_HD T soft_argmax_coord(T p, int64_t size, bool normalized) {
  return normalized ? (T(2) * p + T(1)) / static_cast<T>(size) - T(1) : p;
}

// Partial statistics of some pixels of one map; m = -inf and zero sums: no pixel yet.
// (No default member initializers: CUDA keeps arrays of these in shared memory.)
template <class A>
struct SoftArgmaxStats {
  A m, s, sx, sy, sz;
};

template <class A>
OC_HD SoftArgmaxStats<A> sa_empty() {
  return {-std::numeric_limits<A>::infinity(), A(0), A(0), A(0), A(0)};
}

// Adds pixel value v at pixel coordinates (x, y, z): a new max rescales the sums (exp(-inf) = 0
// for the first pixel), a -inf pixel adds nothing. A NaN pixel makes the sums NaN, as in a softmax.
template <class A>
OC_HD void sa_add(SoftArgmaxStats<A>& a, A v, A x, A y, A z, A beta) {
  // A -inf pixel weighs exp(-inf) = 0; skipped, since while every pixel so far is -inf, v - a.m
  // would be -inf - -inf = NaN.
  if (v == -std::numeric_limits<A>::infinity()) return;
  if (v > a.m) {
    const A f = hd_exp(beta * (a.m - v));
    a.s *= f, a.sx *= f, a.sy *= f, a.sz *= f;
    a.m = v;
  }
  const A e = hd_exp(beta * (v - a.m));
  a.s += e, a.sx += e * x, a.sy += e * y, a.sz += e * z;
}

// The statistics of the union of two disjoint pixel sets (b's values converted to A).
template <class A, class B>
OC_HD SoftArgmaxStats<A> sa_combine(const SoftArgmaxStats<A>& a, const SoftArgmaxStats<B>& b, A beta) {
  const A bm = static_cast<A>(b.m);
  if (bm == -std::numeric_limits<A>::infinity()) return a;  // b is empty
  if (a.m == -std::numeric_limits<A>::infinity()) return {bm, A(b.s), A(b.sx), A(b.sy), A(b.sz)};
  const A m = a.m > bm ? a.m : bm;
  const A fa = hd_exp(beta * (a.m - m)), fb = hd_exp(beta * (bm - m));
  return {m, a.s * fa + A(b.s) * fb, a.sx * fa + A(b.sx) * fb, a.sy * fa + A(b.sy) * fb, a.sz * fa + A(b.sz) * fb};
}

// Writes a finished map's output row (x, y[, z][, value]) and its saved statistics (m, s).
template <class T, class A>
OC_HD void sa_finish(const SoftArgmaxStats<A>& a, const SoftArgmaxGeom& g, T* out, T* stats) {
  const A mean[3] = {a.sx / a.s, a.sy / a.s, a.sz / a.s};
  for (int k = 0; k < g.dims; ++k) out[k] = static_cast<T>(soft_argmax_coord(mean[k], g.size(k), g.normalized));
  if (g.with_value) out[g.dims] = static_cast<T>(a.m + hd_log(a.s) / static_cast<A>(g.beta));
  stats[0] = static_cast<T>(a.m);
  stats[1] = static_cast<T>(a.s);
}

// dL/dS at one pixel: p * (beta * sum_a g_a (c_a - mu_a) + g_value), with p = e / s recomputed from
// the saved (m, s) as e = exp(beta (S - m)); `dot` = sum_a g_a (c_a - mu_a) in output coordinates.
template <class T>
OC_HD T sa_grad(T e, T inv_s, T beta, T dot, T g_value) {
  return e * inv_s * (beta * dot + g_value);
}

}  // namespace oc
