// CPU reference of soft_argmax, in parallel over maps (each map belongs to one thread: the same
// bits on every run). Forward reads each map once, row by row: the row's max, then the row's sums
// of exp(beta (S - row max)) and of that times x in T (a plain loop), folded into the map's
// statistics in double with sa_combine. Backward recomputes each pixel's probability from the
// saved (max, sum) and writes its gradient; the softmax is never stored.
#include <vector>

#include "core/thread_pool.h"
#include "kernels/soft_argmax/soft_argmax_kernels.h"

namespace oc {
namespace {

template <class T>
void forward_typed(const Tensor& x, const Tensor& out, const Tensor& stats, const SoftArgmaxGeom& g) {
  const T* xp = static_cast<const T*>(x.raw_data());
  T* op = static_cast<T*>(out.raw_data());
  T* sp = static_cast<T*>(stats.raw_data());
  const int64_t w = g.w, rows = g.d * g.h, plane = g.plane();
  const T beta = static_cast<T>(g.beta);
  parallel_for(0, g.maps, 1, [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) {
      SoftArgmaxStats<double> total = sa_empty<double>();
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = xp + q * plane + r * w;
        T m = row[0];
        for (int64_t i = 1; i < w; ++i) m = row[i] > m ? row[i] : m;
        T s = 0, sx = 0;
        for (int64_t i = 0; i < w; ++i) {
          const T e = sa_exp(beta * (row[i] - m));
          s += e;
          sx += e * static_cast<T>(i);
        }
        const double y = static_cast<double>(r % g.h), z = static_cast<double>(r / g.h);
        const SoftArgmaxStats<double> part = {static_cast<double>(m), static_cast<double>(s), static_cast<double>(sx),
                                              y * static_cast<double>(s), z * static_cast<double>(s)};
        total = sa_combine(total, part, g.beta);
      }
      sa_finish(total, g, op + q * g.cols(), sp + q * 2);
    }
  });
}

template <class T>
void backward_typed(const Tensor& x, const Tensor& stats, const Tensor& out, const Tensor& gout, const Tensor& gx,
                    const SoftArgmaxGeom& g) {
  const T* xp = static_cast<const T*>(x.raw_data());
  const T* sp = static_cast<const T*>(stats.raw_data());
  const T* op = static_cast<const T*>(out.raw_data());
  const T* gp = static_cast<const T*>(gout.raw_data());
  T* gxp = static_cast<T*>(gx.raw_data());
  const int64_t w = g.w, rows = g.d * g.h, plane = g.plane(), cols = g.cols();
  const T beta = static_cast<T>(g.beta);
  // The output-convention x coordinate of every column (a division each in normalized mode).
  std::vector<T> cx(w);
  for (int64_t i = 0; i < w; ++i) cx[i] = soft_argmax_coord(static_cast<T>(i), w, g.normalized);
  parallel_for(0, g.maps, 1, [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) {
      const T m = sp[q * 2], inv_s = T(1) / sp[q * 2 + 1];
      const T* mu = op + q * cols;
      const T* gq = gp + q * cols;
      const T g_value = g.with_value ? gq[g.dims] : T(0);
      for (int64_t r = 0; r < rows; ++r) {
        const T cy = soft_argmax_coord(static_cast<T>(r % g.h), g.h, g.normalized);
        const T cz = soft_argmax_coord(static_cast<T>(r / g.h), g.d, g.normalized);
        // g . (c - mu) = g_x (c_x - mu_x) + [the row's constant y and z terms]
        const T row_dot = gq[1] * (cy - mu[1]) + (g.dims == 3 ? gq[2] * (cz - mu[2]) : T(0));
        const T* row = xp + q * plane + r * w;
        T* grow = gxp + q * plane + r * w;
        for (int64_t i = 0; i < w; ++i)
          grow[i] = sa_grad(row[i], m, inv_s, beta, row_dot + gq[0] * (cx[i] - mu[0]), g_value);
      }
    }
  });
}

}  // namespace

void soft_argmax_forward_cpu(const Tensor& x, const Tensor& out, const Tensor& stats, const SoftArgmaxGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "soft_argmax", [&] { forward_typed<scalar_t>(x, out, stats, g); });
}

void soft_argmax_backward_cpu(const Tensor& x, const Tensor& stats, const Tensor& out, const Tensor& gout,
                              const Tensor& gx, const SoftArgmaxGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "soft_argmax_backward",
                       [&] { backward_typed<scalar_t>(x, stats, out, gout, gx, g); });
}

}  // namespace oc
