// CPU reference of the fused optimizer updates: a flat loop over the elements, split across the pool.
#include "core/thread_pool.h"
#include "kernels/optim/optim_kernels.h"

namespace oc {

namespace {
constexpr int64_t kGrain = 1 << 15;
}

void sgd_update_cpu(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdCoeffs& c) {
  OC_DISPATCH_FLOATING(param.dtype(), "sgd_update", [&] {
    const SgdScalars<scalar_t> s(c);
    scalar_t* p = static_cast<scalar_t*>(param.raw_data());
    const scalar_t* g = static_cast<const scalar_t*>(grad.raw_data());
    scalar_t* buf = momentum_buf.defined() ? static_cast<scalar_t*>(momentum_buf.raw_data()) : nullptr;
    parallel_for(0, param.numel(), kGrain, [&](int64_t b, int64_t e) {
      if (buf) {
        for (int64_t i = b; i < e; ++i) sgd_element(p[i], g[i], buf + i, s);
      } else {
        for (int64_t i = b; i < e; ++i) sgd_element<scalar_t>(p[i], g[i], nullptr, s);
      }
    });
  });
}

void adam_update_cpu(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                     const AdamCoeffs& c) {
  OC_DISPATCH_FLOATING(param.dtype(), "adam_update", [&] {
    const AdamScalars<scalar_t> s(c);
    scalar_t* p = static_cast<scalar_t*>(param.raw_data());
    const scalar_t* g = static_cast<const scalar_t*>(grad.raw_data());
    scalar_t* m = static_cast<scalar_t*>(exp_avg.raw_data());
    scalar_t* v = static_cast<scalar_t*>(exp_avg_sq.raw_data());
    parallel_for(0, param.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) adam_element(p[i], g[i], m[i], v[i], s);
    });
  });
}

}  // namespace oc
