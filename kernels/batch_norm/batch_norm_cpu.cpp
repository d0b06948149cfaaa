// CPU reference of the batch-norm kernels: channel reductions threaded over channels (double
// precision, eight independent accumulators so the adds overlap instead of waiting on each other),
// elementwise passes threaded over the N * C planes.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/batch_norm/batch_norm_kernels.h"
#include "kernels/batch_norm/batch_norm_math.h"
#include "kernels/common/lane_sum.h"

namespace oc {
namespace {

template <class T>
const T* cptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}

// Grain for a loop over items of `work` elements each: about 16k elements per chunk.
int64_t grain_for(int64_t work) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, work)); }

// A per-thread row of n values, kept between calls.
template <class T>
T* row_buffer(int64_t n) {
  thread_local std::vector<T> buf;
  if (static_cast<int64_t>(buf.size()) < n) buf.resize(static_cast<size_t>(n));
  return buf.data();
}

// Calls fn(std::bool_constant<relu>) so loops test the fused ReLU at compile time.
template <class F>
void with_relu(bool relu, F&& fn) {
  if (relu) fn(std::true_type{});
  else fn(std::false_type{});
}

}  // namespace

void batch_norm_stats_cpu(const Tensor& x, const Tensor& mean, const Tensor& var, BnDims d) {
  OC_DISPATCH_FLOATING(x.dtype(), "batch_norm", [&] {
    const scalar_t* xp = cptr<scalar_t>(x);
    scalar_t* mp = static_cast<scalar_t*>(mean.raw_data());
    scalar_t* vp = static_cast<scalar_t*>(var.raw_data());
    parallel_for(0, d.c, grain_for(d.n * d.s), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        // Each row's mean and squared deviations (two passes over a row that stays in cache), merged
        // into the channel's by Chan's formula: one pass over memory, no cancellation.
        double count = 0, m = 0, m2 = 0;
        for (int64_t i = 0; i < d.n && d.s > 0; ++i) {
          const scalar_t* row = xp + (i * d.c + c) * d.s;
          const double rn = static_cast<double>(d.s);
          const double rm = lane_sum(d.s, [row](int64_t k) { return static_cast<double>(row[k]); }) / rn;
          const double rm2 = lane_sum(d.s, [row, rm](int64_t k) {
            const double v = static_cast<double>(row[k]) - rm;
            return v * v;
          });
          const double delta = rm - m, total = count + rn;
          m += delta * rn / total;
          m2 += rm2 + delta * delta * count * rn / total;
          count = total;
        }
        mp[c] = static_cast<scalar_t>(m);
        vp[c] = static_cast<scalar_t>(count > 0 ? m2 / count : 0.0);
      }
    });
  });
}

void batch_norm_apply_cpu(const Tensor& x, const BnAffine& a, const Tensor& y, BnDims d) {
  OC_DISPATCH_FLOATING(x.dtype(), "batch_norm", [&] {
    const scalar_t *xp = cptr<scalar_t>(x), *mp = cptr<scalar_t>(a.mean), *ip = cptr<scalar_t>(a.invstd);
    const scalar_t *wp = cptr<scalar_t>(a.weight), *bp = cptr<scalar_t>(a.bias);
    scalar_t* yp = static_cast<scalar_t*>(y.raw_data());
    with_relu(a.relu, [&](auto relu) {
      parallel_for(0, d.n * d.c, grain_for(d.s), [&](int64_t b, int64_t e) {
        for (int64_t plane = b; plane < e; ++plane) {
          const int64_t c = plane % d.c;
          const scalar_t m = mp[c], scale = bn_scale(ip, wp, c), shift = bp ? bp[c] : scalar_t(0);
          const scalar_t* xr = xp + plane * d.s;
          scalar_t* yr = yp + plane * d.s;
          for (int64_t k = 0; k < d.s; ++k) {
            const scalar_t v = bn_normalize(xr[k], m, scale, shift);
            yr[k] = relu ? bn_relu(v) : v;
          }
        }
      });
    });
  });
}

void batch_norm_backward_reduce_cpu(const Tensor& gy, const Tensor& x, const BnAffine& a, const Tensor& sum_g,
                                    const Tensor& sum_gxmu, BnDims d) {
  OC_DISPATCH_FLOATING(x.dtype(), "batch_norm_backward", [&] {
    const scalar_t *gp = cptr<scalar_t>(gy), *xp = cptr<scalar_t>(x), *mp = cptr<scalar_t>(a.mean);
    const scalar_t *ip = cptr<scalar_t>(a.invstd), *wp = cptr<scalar_t>(a.weight), *bp = cptr<scalar_t>(a.bias);
    scalar_t* sg = static_cast<scalar_t*>(sum_g.raw_data());
    scalar_t* sgx = static_cast<scalar_t*>(sum_gxmu.raw_data());
    with_relu(a.relu, [&](auto relu) {
      parallel_for(0, d.c, grain_for(d.n * d.s), [&](int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) {
          const scalar_t mt = mp[c];
          const scalar_t scale = relu ? bn_scale(ip, wp, c) : scalar_t(0), shift = bp ? bp[c] : scalar_t(0);
          const double m = static_cast<double>(mt);
          double s0 = 0, s1 = 0;
          for (int64_t i = 0; i < d.n; ++i) {
            const scalar_t *gr = gp + (i * d.c + c) * d.s, *xr = xp + (i * d.c + c) * d.s;
            if (relu) {  // the masked row first, in a loop of its own that vectorizes to a select
              scalar_t* masked = row_buffer<scalar_t>(d.s);
              for (int64_t k = 0; k < d.s; ++k) masked[k] = bn_relu_grad(gr[k], xr[k], mt, scale, shift);
              gr = masked;
            }
            s0 += lane_sum(d.s, [&](int64_t k) { return static_cast<double>(gr[k]); });
            s1 += lane_sum(d.s, [&](int64_t k) { return static_cast<double>(gr[k]) * (static_cast<double>(xr[k]) - m); });
          }
          sg[c] = static_cast<scalar_t>(s0);
          sgx[c] = static_cast<scalar_t>(s1);
        }
      });
    });
  });
}

void batch_norm_backward_input_cpu(const Tensor& gy, const Tensor& x, const BnAffine& a, const Tensor& sum_g,
                                   const Tensor& sum_gxmu, const Tensor& gx, BnDims d, bool batch_stats) {
  OC_DISPATCH_FLOATING(x.dtype(), "batch_norm_backward", [&] {
    const scalar_t *gp = cptr<scalar_t>(gy), *xp = cptr<scalar_t>(x), *mp = cptr<scalar_t>(a.mean);
    const scalar_t *ip = cptr<scalar_t>(a.invstd), *wp = cptr<scalar_t>(a.weight), *bp = cptr<scalar_t>(a.bias);
    const scalar_t *sg = cptr<scalar_t>(sum_g), *sgx = cptr<scalar_t>(sum_gxmu);
    scalar_t* gxp = static_cast<scalar_t*>(gx.raw_data());
    const double inv_n = 1.0 / static_cast<double>(d.n * d.s);
    with_relu(a.relu, [&](auto relu) {
      parallel_for(0, d.n * d.c, grain_for(d.s), [&](int64_t b, int64_t e) {
        for (int64_t plane = b; plane < e; ++plane) {
          const int64_t c = plane % d.c;
          const BnGradCoeffs<scalar_t> k = bn_grad_coeffs<scalar_t>(
              batch_stats ? static_cast<double>(sg[c]) : 0.0, batch_stats ? static_cast<double>(sgx[c]) : 0.0, ip[c],
              wp ? wp[c] : scalar_t(1), inv_n, batch_stats);
          const scalar_t m = mp[c], scale = bn_scale(ip, wp, c), shift = bp ? bp[c] : scalar_t(0);
          const int64_t off = plane * d.s;
          for (int64_t i = 0; i < d.s; ++i) {
            const scalar_t g = relu ? bn_relu_grad(gp[off + i], xp[off + i], m, scale, shift) : gp[off + i];
            gxp[off + i] = bn_input_grad(g, xp[off + i], m, k);
          }
        }
      });
    });
  });
}

}  // namespace oc
