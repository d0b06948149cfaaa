// CPU convolution, the reference: im2col on tiles of output pixels + the blocked GEMM (gemm_cpu),
// threaded over (image, group, tile) work units; col2im for the input gradient; per-thread partial
// sums for the weight gradient. A 1x1 / stride 1 / unpadded convolution skips im2col (x already is
// the matrix); a depthwise one (one input channel per group) runs direct loops over image planes;
// float32 on AVX-512 mostly runs the direct kernels of conv_direct_cpu.h (conv_direct_applies).
#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/conv/conv_direct_cpu.h"
#include "kernels/conv/conv_kernels.h"
#include "kernels/conv/conv_math.h"
#include "kernels/conv/conv_parts_cpu.h"
#include "kernels/gemm/gemm_cpu.h"

namespace oc {
namespace {

// The im2col buffer of a work unit is [Cg*R*S, cols] for a tile of `cols` output pixels, sized to
// stay near L2 (the GEMM packs it once more); whole multiples of 64 columns keep the GEMM's panels
// full. Measured on the 2-core Zen 4 with `ocellus bench conv2d`.
constexpr int64_t kColTileElems = 96 * 1024;
constexpr int64_t kMinTileCols = 128;

int64_t tile_cols(const ConvGeom& g) {
  const int64_t P = g.P();
  if (g.pointwise()) return std::max<int64_t>(P, 1);
  int64_t t = kColTileElems / std::max<int64_t>(g.CRS(), 1);
  t = std::max(kMinTileCols, t / 64 * 64);
  return std::max<int64_t>(std::min(t, P), 1);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A per-thread scratch buffer that grows and is kept (allocating a few MiB per work unit would
// page-fault on every call).
template <class T>
T* scratch(int64_t n) {
  struct Buffer {
    std::unique_ptr<T[]> data;
    int64_t capacity = 0;
  };
  thread_local Buffer buf;
  if (n > buf.capacity) {
    buf.data.reset(new T[static_cast<size_t>(n)]);
    buf.capacity = n;
  }
  return buf.data.get();
}

// Visits the output pixels [p0, p1) as runs along rows: fn(ho, wo_begin, wo_end, column of wo_begin).
template <class F>
void for_each_row_run(const ConvGeom& g, int64_t p0, int64_t p1, F&& fn) {
  for (int64_t p = p0; p < p1;) {
    const int64_t ho = p / g.Wo, wo0 = p - ho * g.Wo, wo1 = std::min(g.Wo, wo0 + (p1 - p));
    fn(ho, wo0, wo1, p - p0);
    p += wo1 - wo0;
  }
}

// col[q, j] = im2col(xg)[q, p0 + j] for j < p1 - p0 (see conv_im2col_at); xg is [Cg, H, W].
template <class T>
void im2col_tile(const ConvGeom& g, const T* xg, int64_t p0, int64_t p1, T* col) {
  const int64_t cols = p1 - p0, Cg = g.Cg();
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t r = 0; r < g.R; ++r)
      for (int64_t s = 0; s < g.S; ++s) {
        T* dst = col + ((c * g.R + r) * g.S + s) * cols;
        const T* xc = xg + c * g.HW();
        const int64_t off_w = s * g.dw - g.pw;
        int64_t wlo, whi;
        conv_valid_range(g.W, g.Wo, g.sw, off_w, &wlo, &whi);
        for_each_row_run(g, p0, p1, [&](int64_t ho, int64_t wo0, int64_t wo1, int64_t j) {
          T* d = dst + j;  // d[wo - wo0] for wo in [wo0, wo1)
          const int64_t h = conv_in_coord(ho, g.sh, g.ph, r, g.dh);
          if (h < 0 || h >= g.H) {
            std::fill(d, d + (wo1 - wo0), T(0));
            return;
          }
          const T* xr = xc + h * g.W;
          const int64_t a = std::clamp(wlo, wo0, wo1), b = std::clamp(whi, a, wo1);
          std::fill(d, d + (a - wo0), T(0));
          if (g.sw == 1) {
            if (b > a) std::memcpy(d + (a - wo0), xr + (a + off_w), sizeof(T) * (b - a));
          } else {
            for (int64_t wo = a; wo < b; ++wo) d[wo - wo0] = xr[wo * g.sw + off_w];
          }
          std::fill(d + (b - wo0), d + (wo1 - wo0), T(0));
        });
      }
}

// The adjoint of im2col_tile: gxg[c, h, w] += col[q, j] for every tap that read (c, h, w).
template <class T>
void col2im_tile(const ConvGeom& g, const T* col, int64_t p0, int64_t p1, T* gxg) {
  const int64_t cols = p1 - p0, Cg = g.Cg();
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t r = 0; r < g.R; ++r)
      for (int64_t s = 0; s < g.S; ++s) {
        const T* src = col + ((c * g.R + r) * g.S + s) * cols;
        T* gc = gxg + c * g.HW();
        const int64_t off_w = s * g.dw - g.pw;
        int64_t wlo, whi;
        conv_valid_range(g.W, g.Wo, g.sw, off_w, &wlo, &whi);
        for_each_row_run(g, p0, p1, [&](int64_t ho, int64_t wo0, int64_t wo1, int64_t j) {
          const int64_t h = conv_in_coord(ho, g.sh, g.ph, r, g.dh);
          if (h < 0 || h >= g.H) return;
          const T* d = src + j;  // d[wo - wo0]
          T* gr = gc + h * g.W;
          const int64_t a = std::clamp(wlo, wo0, wo1), b = std::clamp(whi, a, wo1);
          if (g.sw == 1) {
            for (int64_t wo = a; wo < b; ++wo) gr[wo + off_w] += d[wo - wo0];
          } else {
            for (int64_t wo = a; wo < b; ++wo) gr[wo * g.sw + off_w] += d[wo - wo0];
          }
        });
      }
}

// Adds bias[m] to rows m < rows of a [rows, cols] block with row stride ld.
template <class T>
void add_row_bias(T* out, int64_t rows, int64_t cols, int64_t ld, const T* bias) {
  for (int64_t m = 0; m < rows; ++m) {
    T* o = out + m * ld;
    const T b = bias[m];
    for (int64_t j = 0; j < cols; ++j) o[j] += b;
  }
}

// Runs fn(u) for u in [0, units): in parallel when there are several units (each then runs its
// GEMMs on one thread), inline otherwise (the GEMM threads itself).
template <class F>
void for_units(int64_t units, F&& fn) {
  parallel_for(0, units, 1, [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) fn(u);
  });
}

// --- depthwise: direct loops ---------------------------------------------------------------------
// With one input channel per group and few outputs each, the GEMMs would be a single row deep: direct
// loops over the image planes run several times faster (measured: 8x128x56x56, 3x3, 2 threads).
// Units are image planes; every tap is an axpy along an output row over its valid range.
constexpr int64_t kDirectMaxKg = 4;  // channel multiplier

bool use_direct(const ConvGeom& g) { return g.Cg() == 1 && g.Kg() <= kDirectMaxKg; }

// Visits the taps (r, s) and output rows ho whose input row h is inside x:
// fn(tap index r*S + s, ho, h, off_w, wo range [lo, hi)); input column = wo*sw + off_w.
template <class F>
void for_each_tap_row(const ConvGeom& g, F&& fn) {
  for (int64_t r = 0; r < g.R; ++r)
    for (int64_t s = 0; s < g.S; ++s) {
      const int64_t off_w = s * g.dw - g.pw;
      int64_t lo, hi;
      conv_valid_range(g.W, g.Wo, g.sw, off_w, &lo, &hi);
      if (lo == hi) continue;
      for (int64_t ho = 0; ho < g.Ho; ++ho) {
        const int64_t h = conv_in_coord(ho, g.sh, g.ph, r, g.dh);
        if (h >= 0 && h < g.H) fn(r * g.S + s, ho, h, off_w, lo, hi);
      }
    }
}

template <class T>
void depthwise_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const int64_t P = g.P(), Kg = g.Kg(), RS = g.R * g.S;
  // Units (image, output channel k); k reads input channel k / Kg.
  parallel_for(0, g.N * g.K, 1, [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      const int64_t n = u / g.K, k = u - n * g.K;
      const T* xc = x + (n * g.C + k / Kg) * g.HW();
      const T* wk = w + k * RS;
      T* yk = y + u * P;
      std::fill(yk, yk + P, bias ? bias[k] : T(0));
      for_each_tap_row(g, [&](int64_t rs, int64_t ho, int64_t h, int64_t off_w, int64_t lo, int64_t hi) {
        const T wv = wk[rs];
        const T* xr = xc + h * g.W;
        T* yr = yk + ho * g.Wo;
        if (g.sw == 1) {
          for (int64_t wo = lo; wo < hi; ++wo) yr[wo] += wv * xr[wo + off_w];
        } else {
          for (int64_t wo = lo; wo < hi; ++wo) yr[wo] += wv * xr[wo * g.sw + off_w];
        }
      });
    }
  });
}

template <class T>
void depthwise_input_grad(const ConvGeom& g, const T* gy, const T* w, const T* bias, T* gx) {
  const int64_t P = g.P(), HW = g.HW(), Kg = g.Kg(), RS = g.R * g.S;
  // Units (image, input channel c), which output channels c*Kg .. c*Kg + Kg - 1 read.
  parallel_for(0, g.N * g.C, 1, [&](int64_t b, int64_t e) {
    for (int64_t u = b; u < e; ++u) {
      const int64_t n = u / g.C, c = u - n * g.C;
      T* gxc = gx + u * HW;
      std::fill(gxc, gxc + HW, bias ? bias[c] : T(0));
      for (int64_t k = c * Kg; k < (c + 1) * Kg; ++k) {
        const T* gyk = gy + (n * g.K + k) * P;
        const T* wk = w + k * RS;
        for_each_tap_row(g, [&](int64_t rs, int64_t ho, int64_t h, int64_t off_w, int64_t lo, int64_t hi) {
          const T wv = wk[rs];
          const T* gr = gyk + ho * g.Wo;
          T* xr = gxc + h * g.W;
          if (g.sw == 1) {
            for (int64_t wo = lo; wo < hi; ++wo) xr[wo + off_w] += wv * gr[wo];
          } else {
            for (int64_t wo = lo; wo < hi; ++wo) xr[wo * g.sw + off_w] += wv * gr[wo];
          }
        });
      }
    }
  });
}

template <class T>
void depthwise_weight_grad(const ConvGeom& g, const T* x, const T* gy, T* gw) {
  const int64_t P = g.P(), Kg = g.Kg(), RS = g.R * g.S;
  // Units: output channels k (disjoint rows of gw); each sums over the batch in order.
  parallel_for(0, g.K, 1, [&](int64_t b, int64_t e) {
    std::vector<double> acc(static_cast<size_t>(RS));
    for (int64_t k = b; k < e; ++k) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t n = 0; n < g.N; ++n) {
        const T* xc = x + (n * g.C + k / Kg) * g.HW();
        const T* gyk = gy + (n * g.K + k) * P;
        for_each_tap_row(g, [&](int64_t rs, int64_t ho, int64_t h, int64_t off_w, int64_t lo, int64_t hi) {
          const T* gr = gyk + ho * g.Wo;
          const T* xr = xc + h * g.W;
          // Eight independent partial sums: the compiler can vectorize them (one chain cannot be
          // reordered), and rounding stays per row, summed in double.
          T part[8] = {};
          int64_t wo = lo;
          for (; wo + 8 <= hi; wo += 8)
            for (int j = 0; j < 8; ++j) part[j] += gr[wo + j] * xr[(wo + j) * g.sw + off_w];
          for (; wo < hi; ++wo) part[0] += gr[wo] * xr[wo * g.sw + off_w];
          double row = 0;
          for (int j = 0; j < 8; ++j) row += part[j];
          acc[rs] += row;
        });
      }
      for (int64_t rs = 0; rs < RS; ++rs) gw[k * RS + rs] = static_cast<T>(acc[rs]);
    }
  });
}

template <class T>
void forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  if (use_direct(g)) return depthwise_forward(g, x, w, bias, y);
  if constexpr (std::is_same_v<T, float>)
    if (conv_direct_applies(g, ConvPass::forward)) return conv_direct_forward(g, x, w, bias, y);
  const int64_t P = g.P(), CRS = g.CRS(), Kg = g.Kg(), Cg = g.Cg();
  const int64_t tc = tile_cols(g), tiles = ceil_div(P, tc);
  const bool pointwise = g.pointwise();
  // Units (image, group, tile) write disjoint blocks of y.
  for_units(g.N * g.G * tiles, [&](int64_t u) {
    const int64_t item = u / tiles, t = u - item * tiles, n = item / g.G, grp = item - n * g.G;
    const int64_t p0 = t * tc, p1 = std::min(P, p0 + tc), cols = p1 - p0;
    const T* xg = x + (n * g.C + grp * Cg) * g.HW();
    const T* B = xg + p0;
    int64_t ldb = P;
    if (!pointwise) {
      T* col = scratch<T>(CRS * cols);
      im2col_tile(g, xg, p0, p1, col);
      B = col;
      ldb = cols;
    }
    T* yt = y + (n * g.K + grp * Kg) * P + p0;
    gemm_cpu(false, false, Kg, cols, CRS, T(1), w + grp * Kg * CRS, CRS, B, ldb, T(0), yt, P);
    if (bias) add_row_bias(yt, Kg, cols, P, bias + grp * Kg);
  });
}

template <class T>
void input_grad(const ConvGeom& g, const T* gy, const T* w, const T* bias, T* gx) {
  if (use_direct(g)) return depthwise_input_grad(g, gy, w, bias, gx);
  if constexpr (std::is_same_v<T, float>)
    if (conv_direct_applies(g, ConvPass::input_grad)) return conv_direct_input_grad(g, gy, w, bias, gx);
  const int64_t P = g.P(), CRS = g.CRS(), Kg = g.Kg(), Cg = g.Cg(), HW = g.HW();
  const int64_t tc = tile_cols(g), tiles = ceil_div(P, tc);
  // Units (image, group) write disjoint blocks of gx; the tiles of one unit overlap (neighbouring
  // output pixels read neighbouring input pixels) and run in order on one thread.
  for_units(g.N * g.G, [&](int64_t item) {
    const int64_t n = item / g.G, grp = item - n * g.G;
    const T* gyg = gy + (n * g.K + grp * Kg) * P;
    const T* wg = w + grp * Kg * CRS;  // [Kg, CRS]: A stored transposed
    T* gxg = gx + (n * g.C + grp * Cg) * HW;
    if (g.pointwise()) {
      gemm_cpu(true, false, Cg, P, Kg, T(1), wg, CRS, gyg, P, T(0), gxg, P);
    } else {
      std::fill(gxg, gxg + Cg * HW, T(0));
      for (int64_t t = 0; t < tiles; ++t) {
        const int64_t p0 = t * tc, p1 = std::min(P, p0 + tc), cols = p1 - p0;
        T* col = scratch<T>(CRS * cols);
        gemm_cpu(true, false, CRS, cols, Kg, T(1), wg, CRS, gyg + p0, P, T(0), col, cols);
        col2im_tile(g, col, p0, p1, gxg);
      }
    }
    if (bias) add_row_bias(gxg, Cg, HW, HW, bias + grp * Cg);
  });
}

template <class T>
void weight_grad(const ConvGeom& g, const T* x, const T* gy, T* gw) {
  if (use_direct(g)) return depthwise_weight_grad(g, x, gy, gw);
  if constexpr (std::is_same_v<T, float>)
    if (conv_direct_applies(g, ConvPass::weight_grad)) return conv_direct_weight_grad(g, x, gy, gw);
  const int64_t P = g.P(), CRS = g.CRS(), Kg = g.Kg(), Cg = g.Cg(), numel = g.K * CRS;
  const int64_t tc = tile_cols(g), tiles = ceil_div(P, tc), units = g.N * g.G * tiles;
  // Each part sums a fixed, contiguous range of units into its own buffer (part 0: gw), and the
  // parts are added in order: the result depends on neither thread timing nor the thread count
  // (conv_parts_cpu.h).
  const int64_t parts = weight_grad_parts(units, numel, sizeof(T));
  std::vector<T> partial_store(static_cast<size_t>((parts - 1) * numel), T(0));
  std::fill(gw, gw + numel, T(0));
  auto partial = [&](int64_t part) { return part == 0 ? gw : partial_store.data() + (part - 1) * numel; };
  auto run_unit = [&](int64_t u, T* acc) {
    const int64_t item = u / tiles, t = u - item * tiles, n = item / g.G, grp = item - n * g.G;
    const int64_t p0 = t * tc, p1 = std::min(P, p0 + tc), cols = p1 - p0;
    const T* xg = x + (n * g.C + grp * Cg) * g.HW();
    const T* B = xg + p0;  // stored [CRS, cols]: transposed
    int64_t ldb = P;
    if (!g.pointwise()) {
      T* col = scratch<T>(CRS * cols);
      im2col_tile(g, xg, p0, p1, col);
      B = col;
      ldb = cols;
    }
    gemm_cpu(false, true, Kg, CRS, cols, T(1), gy + (n * g.K + grp * Kg) * P + p0, P, B, ldb, T(1),
             acc + grp * Kg * CRS, CRS);
  };
  auto run_part = [&](int64_t part) {
    for (int64_t u = part * units / parts; u < (part + 1) * units / parts; ++u) run_unit(u, partial(part));
  };
  parallel_for(0, parts, 1, [&](int64_t b, int64_t e) {
    for (int64_t part = b; part < e; ++part) run_part(part);
  });
  add_parts_in_order(gw, partial_store.data(), parts - 1, numel, numel);
}

template <class T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}

}  // namespace

void conv2d_forward_cpu(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y) {
  OC_DISPATCH_FLOATING(y.dtype(), "conv2d", [&] {
    forward<scalar_t>(g, static_cast<const scalar_t*>(x.raw_data()), static_cast<const scalar_t*>(w.raw_data()),
                      ptr_or_null<scalar_t>(bias), static_cast<scalar_t*>(y.raw_data()));
  });
}

void conv2d_input_grad_cpu(const ConvGeom& g, const Tensor& gy, const Tensor& w, const Tensor& bias,
                           const Tensor& gx) {
  OC_DISPATCH_FLOATING(gx.dtype(), "conv2d_input_grad", [&] {
    input_grad<scalar_t>(g, static_cast<const scalar_t*>(gy.raw_data()), static_cast<const scalar_t*>(w.raw_data()),
                         ptr_or_null<scalar_t>(bias), static_cast<scalar_t*>(gx.raw_data()));
  });
}

void conv2d_weight_grad_cpu(const ConvGeom& g, const Tensor& x, const Tensor& gy, const Tensor& gw) {
  OC_DISPATCH_FLOATING(gw.dtype(), "conv2d_weight_grad", [&] {
    weight_grad<scalar_t>(g, static_cast<const scalar_t*>(x.raw_data()), static_cast<const scalar_t*>(gy.raw_data()),
                          static_cast<scalar_t*>(gw.raw_data()));
  });
}

}  // namespace oc
