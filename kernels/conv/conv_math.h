// Convolution index math shared by the CPU kernels, the CUDA kernels and the tests: the coordinate
// convention, its inverse, and the three kernels written as implicit GEMMs.
#pragma once
#include <cstdint>

#include "core/hd.h"
#include "kernels/conv/conv_kernels.h"

namespace oc {

// One axis (the other is alike). Output position o, kernel tap r read input position
//
//     i = o * stride - pad + r * dilation
//
// e.g. stride 2, pad 1, dilation 1, R = 3:  o = 0 reads i = -1 (padding: zero), 0, 1;  o = 1 reads 1, 2, 3.
OC_HD int64_t conv_in_coord(int64_t o, int64_t stride, int64_t pad, int64_t r, int64_t dilation) {
  return o * stride - pad + r * dilation;
}

// The inverse, for gathering an input gradient: the output position whose tap r reads input position
// i, or -1 when there is none (i + pad - r*dilation negative, not a multiple of stride, or >= out).
OC_HD int conv_out_coord(int i, int stride, int pad, int r, int dilation, int out) {
  const int t = i + pad - r * dilation;
  if (t < 0) return -1;
  const int o = t / stride;
  return o * stride == t && o < out ? o : -1;
}

// The output positions o in [0, out) whose tap at offset off = r*dilation - pad reads inside
// [0, in): o * stride + off in [0, in)  <=>  o in [*lo, *hi) (empty when *lo == *hi).
OC_HD void conv_valid_range(int64_t in, int64_t out, int64_t stride, int64_t off, int64_t* lo, int64_t* hi) {
  int64_t a = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t b = in - 1 - off < 0 ? 0 : (in - 1 - off) / stride + 1;
  a = a < out ? a : out;
  b = b < out ? b : out;
  *lo = a;
  *hi = b > a ? b : a;
}

// ConvGeom's sizes as 32-bit ints for the per-element index math of the implicit GEMMs (integer
// division is several times cheaper on 32 bits on a GPU). The CUDA launcher checks that every
// product used here fits (conv_idx_fits); memory offsets are formed in 64 bits.
struct ConvIdx {
  int C, H, W, K, R, S, Ho, Wo, sh, sw, ph, pw, dh, dw, G, Cg, Kg, RS, P, HW, CRS;
};

inline ConvIdx conv_idx(const ConvGeom& g) {
  auto i = [](int64_t v) { return static_cast<int>(v); };
  return {i(g.C),  i(g.H),  i(g.W),  i(g.K),  i(g.R),  i(g.S),  i(g.Ho),     i(g.Wo),
          i(g.sh), i(g.sw), i(g.ph), i(g.pw), i(g.dh), i(g.dw), i(g.G),      i(g.Cg()),
          i(g.Kg()), i(g.R * g.S), i(g.P()), i(g.HW()), i(g.CRS())};
}

// Whether the 32-bit index math is exact for g: every size, product and reduction length below
// 2^30 (a margin below 2^31 for sums such as i + pad).
inline bool conv_idx_fits(const ConvGeom& g) {
  constexpr int64_t lim = int64_t(1) << 30;
  for (int64_t v : {g.C, g.K, g.H + g.ph, g.W + g.pw, (g.R - 1) * g.dh, (g.S - 1) * g.dw, g.P(), g.HW(), g.CRS(),
                    g.Kg() * g.R * g.S, g.N * g.P(), g.Ho * g.sh, g.Wo * g.sw})
    if (v >= lim) return false;
  return true;
}

// x as image n's im2col matrix for one group, [Cg*R*S, Ho*Wo]: row q = (c*R + r)*S + s, column
// p = ho*Wo + wo holds x[c, ho*sh - ph + r*dh, wo*sw - pw + s*dw], zero outside the image.
// xg points at channel 0 of the group in that image: [Cg, H, W].
template <class T>
OC_HD T conv_im2col_at(const ConvIdx& d, const T* xg, int q, int p) {
  const int c = q / d.RS, rs = q - c * d.RS, r = rs / d.S, s = rs - r * d.S;
  const int ho = p / d.Wo, wo = p - ho * d.Wo;
  const int h = ho * d.sh - d.ph + r * d.dh, w = wo * d.sw - d.pw + s * d.dw;
  if (h < 0 || h >= d.H || w < 0 || w >= d.W) return T(0);
  return xg[(static_cast<int64_t>(c) * d.H + h) * d.W + w];
}

// --- the kernels as implicit GEMMs ----------------------------------------------------------------
// Each is a batch of GEMMs C_z [rows x cols] = A_z [rows x depth] * B_z [depth x cols] whose operands
// are never built: entry(z) points into the tensors for batch entry z, a(e, m, k) and b(e, k, n) say
// where each operand value lives (zero for taps in the padding), store(e, split, m, n, v) where each
// result goes. A kernel may split the depth into `splits` ranges; then store writes one partial
// result per range (into a [splits, ...] buffer) and a second pass sums them.

// Forward: z = (image n, group g); y[n, g*Kg + m, p] = bias + sum_q w[g*Kg + m, q] * im2col(x)[q, p].
//   rows Kg, cols Ho*Wo, depth Cg*R*S.
template <class T>
struct ConvFwdProblem {
  ConvIdx d;
  const T* x;     // [N, C, H, W]
  const T* w;     // [K, Cg, R, S]
  const T* bias;  // [K] or null
  T* y;           // [N, K, Ho, Wo]
  struct Entry {
    const T *x, *w, *bias;
    T* y;
  };
  OC_HD Entry entry(int64_t z) const {
    const int64_t n = z / d.G, g = z - n * d.G;
    return {x + (n * d.C + g * d.Cg) * d.HW, w + g * d.Kg * d.CRS, bias ? bias + g * d.Kg : nullptr, y + z * d.Kg * d.P};
  }
  OC_HD int rows() const { return d.Kg; }
  OC_HD int cols() const { return d.P; }
  OC_HD int depth() const { return d.CRS; }
  OC_HD T a(const Entry& e, int m, int k) const { return e.w[static_cast<int64_t>(m) * d.CRS + k]; }
  OC_HD T b(const Entry& e, int k, int n) const { return conv_im2col_at(d, e.x, k, n); }
  OC_HD void store(const Entry& e, int, int m, int n, T v) const {
    e.y[static_cast<int64_t>(m) * d.P + n] = e.bias ? v + e.bias[m] : v;
  }
};

// Input gradient, as a gather (no atomics): z = (image n, group g);
//   gx[n, g*Cg + c, h, w] = bias + sum_{kk,r,s} w[g*Kg + kk, c, r, s] * gy[n, g*Kg + kk, ho, wo]
// over the taps with h = ho*sh - ph + r*dh and w = wo*sw - pw + s*dw (conv_out_coord).
//   rows Cg, cols H*W, depth Kg*R*S (k = kk*R*S + r*S + s).
template <class T>
struct ConvDgradProblem {
  ConvIdx d;
  const T* gy;    // [N, K, Ho, Wo]
  const T* w;     // [K, Cg, R, S]
  const T* bias;  // [C] or null (conv_transpose2d)
  T* gx;          // [N, C, H, W]
  struct Entry {
    const T *gy, *w, *bias;
    T* gx;
  };
  OC_HD Entry entry(int64_t z) const {
    const int64_t n = z / d.G, g = z - n * d.G;
    return {gy + z * d.Kg * d.P, w + g * d.Kg * d.CRS, bias ? bias + g * d.Cg : nullptr, gx + z * d.Cg * d.HW};
  }
  OC_HD int rows() const { return d.Cg; }
  OC_HD int cols() const { return d.HW; }
  OC_HD int depth() const { return d.Kg * d.RS; }
  OC_HD T a(const Entry& e, int m, int k) const {
    const int kk = k / d.RS, rs = k - kk * d.RS;
    return e.w[(static_cast<int64_t>(kk) * d.Cg + m) * d.RS + rs];
  }
  OC_HD T b(const Entry& e, int k, int n) const {
    const int kk = k / d.RS, rs = k - kk * d.RS, r = rs / d.S, s = rs - r * d.S;
    const int h = n / d.W, w = n - h * d.W;
    const int ho = conv_out_coord(h, d.sh, d.ph, r, d.dh, d.Ho), wo = conv_out_coord(w, d.sw, d.pw, s, d.dw, d.Wo);
    if (ho < 0 || wo < 0) return T(0);
    return e.gy[(static_cast<int64_t>(kk) * d.Ho + ho) * d.Wo + wo];
  }
  OC_HD void store(const Entry& e, int, int m, int n, T v) const {
    e.gx[static_cast<int64_t>(m) * d.HW + n] = e.bias ? v + e.bias[m] : v;
  }
};

// Weight gradient: z = group g; out[split, g*Kg + m, q] = sum over (n, p) in the split's depth range
// of gy[n, g*Kg + m, p] * im2col(x_n)[q, p].
//   rows Kg, cols Cg*R*S, depth N*Ho*Wo (k = n*P + p).
template <class T>
struct ConvWgradProblem {
  ConvIdx d;
  const T* x;   // [N, C, H, W]
  const T* gy;  // [N, K, Ho, Wo]
  T* out;       // [splits, K, Cg, R, S]: gw itself when splits == 1
  int n_images;
  struct Entry {
    const T *x, *gy;
    T* out;
  };
  OC_HD Entry entry(int64_t z) const { return {x + z * d.Cg * d.HW, gy + z * d.Kg * d.P, out + z * d.Kg * d.CRS}; }
  OC_HD int rows() const { return d.Kg; }
  OC_HD int cols() const { return d.CRS; }
  OC_HD int depth() const { return n_images * d.P; }
  OC_HD T a(const Entry& e, int m, int k) const {
    const int n = k / d.P, p = k - n * d.P;
    return e.gy[static_cast<int64_t>(n) * d.K * d.P + static_cast<int64_t>(m) * d.P + p];
  }
  OC_HD T b(const Entry& e, int k, int q) const {
    const int n = k / d.P, p = k - n * d.P;
    return conv_im2col_at(d, e.x + static_cast<int64_t>(n) * d.C * d.HW, q, p);
  }
  OC_HD void store(const Entry& e, int split, int m, int n, T v) const {
    e.out[static_cast<int64_t>(split) * d.K * d.CRS + static_cast<int64_t>(m) * d.CRS + n] = v;
  }
};

}  // namespace oc
