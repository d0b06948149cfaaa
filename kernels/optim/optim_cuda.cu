// CUDA fused optimizer updates: one grid-stride pass per parameter, the same per-element math as the
// CPU (optim_math.h, rounded op by op), so both devices produce bit-identical parameters and state.
#include "core/cuda_context.h"
#include "kernels/optim/optim_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// p, g, buf [n] (buf null without momentum).
template <class T>
__global__ void sgd_update_kernel(int64_t n, T* p, const T* g, T* buf, SgdScalars<T> s) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    sgd_element(p[i], g[i], buf ? buf + i : nullptr, s);
}

// p, g, m, v [n].
template <class T>
__global__ void adam_update_kernel(int64_t n, T* p, const T* g, T* m, T* v, AdamScalars<T> s) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    adam_element(p[i], g[i], m[i], v[i], s);
}

}  // namespace

void sgd_update_cuda(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, const SgdCoeffs& c) {
  const int64_t n = param.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(param.dtype(), "sgd_update", [&] {
    scalar_t* buf = momentum_buf.defined() ? static_cast<scalar_t*>(momentum_buf.raw_data()) : nullptr;
    launch<sgd_update_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<scalar_t*>(param.raw_data()), static_cast<const scalar_t*>(grad.raw_data()), buf,
        SgdScalars<scalar_t>(c));
    CUDA_CHECK_LAUNCH();
  });
}

void adam_update_cuda(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                      const AdamCoeffs& c) {
  const int64_t n = param.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(param.dtype(), "adam_update", [&] {
    launch<adam_update_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<scalar_t*>(param.raw_data()), static_cast<const scalar_t*>(grad.raw_data()),
        static_cast<scalar_t*>(exp_avg.raw_data()), static_cast<scalar_t*>(exp_avg_sq.raw_data()),
        AdamScalars<scalar_t>(c));
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
