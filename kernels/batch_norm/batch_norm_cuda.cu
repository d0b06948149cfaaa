// CUDA batch norm: the channel reductions run one block per channel (grid-stride over channels),
// summing in double as the CPU reference does; the elementwise passes run one thread per element,
// with the per-element math of batch_norm_math.h.
#include "core/cuda_context.h"
#include "kernels/batch_norm/batch_norm_kernels.h"
#include "kernels/batch_norm/batch_norm_math.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// The sum of v over the block; every thread gets the total (warps folded in the same order by
// all threads). `shared` holds 32 doubles; the block must call this uniformly.
__device__ double block_sum(double v, double* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  double total = 0;
  for (int w = 0; w < nwarps; ++w) total += shared[w];
  __syncthreads();  // shared is rewritten by the next call
  return total;
}

// Element k (of N * S) of channel c in [N, C, S].
__device__ __forceinline__ int64_t channel_offset(int64_t k, int64_t c, BnDims d) {
  return ((k / d.s) * d.c + c) * d.s + k % d.s;
}

// x [N, C, S] -> mean, biased var [C]: the mean, then the squared deviations from it.
template <class T>
__global__ void __launch_bounds__(kThreads) bn_stats_kernel(const T* x, T* mean, T* var, BnDims d) {
  OC_SHARED(double, shared, [32]);
  const int64_t count = d.n * d.s;
  for (int64_t c = blockIdx.x; c < d.c; c += gridDim.x) {
    double s = 0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) s += static_cast<double>(x[channel_offset(k, c, d)]);
    const double m = block_sum(s, shared) / static_cast<double>(count);
    double sq = 0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const double dev = static_cast<double>(x[channel_offset(k, c, d)]) - m;
      sq += dev * dev;
    }
    sq = block_sum(sq, shared);
    if (threadIdx.x == 0) {
      mean[c] = static_cast<T>(m);
      var[c] = static_cast<T>(sq / static_cast<double>(count));
    }
  }
}

// The per-channel pointers of BnAffine, for the kernels.
template <class T>
struct BnAffinePtrs {
  const T *mean, *invstd, *weight, *bias;
  bool relu;
  // gy masked by the fused ReLU (unchanged without it).
  __device__ __forceinline__ T grad(T g, T x, int64_t c) const {
    return relu ? bn_relu_grad(g, x, mean[c], bn_scale(invstd, weight, c), bias ? bias[c] : T(0)) : g;
  }
};

// gy, x [N, C, S] -> sum_g, sum_gxmu [C]
template <class T>
__global__ void __launch_bounds__(kThreads)
    bn_backward_reduce_kernel(const T* gy, const T* x, BnAffinePtrs<T> a, T* sum_g, T* sum_gxmu, BnDims d) {
  OC_SHARED(double, shared, [32]);
  const int64_t count = d.n * d.s;
  for (int64_t c = blockIdx.x; c < d.c; c += gridDim.x) {
    const double m = static_cast<double>(a.mean[c]);
    double s0 = 0, s1 = 0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const int64_t off = channel_offset(k, c, d);
      const double g = static_cast<double>(a.grad(gy[off], x[off], c));
      s0 += g;
      s1 += g * (static_cast<double>(x[off]) - m);
    }
    s0 = block_sum(s0, shared);
    s1 = block_sum(s1, shared);
    if (threadIdx.x == 0) {
      sum_g[c] = static_cast<T>(s0);
      sum_gxmu[c] = static_cast<T>(s1);
    }
  }
}

// [N, C, S] -> [N, C, S]
template <class T>
__global__ void bn_apply_kernel(int64_t n, const T* x, BnAffinePtrs<T> a, T* y, BnDims d) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride) {
    const int64_t c = (k / d.s) % d.c;
    const T v = bn_normalize(x[k], a.mean[c], bn_scale(a.invstd, a.weight, c), a.bias ? a.bias[c] : T(0));
    y[k] = a.relu ? bn_relu(v) : v;
  }
}

// gy, x [N, C, S] -> gx [N, C, S]
template <class T>
__global__ void bn_backward_input_kernel(int64_t n, const T* gy, const T* x, BnAffinePtrs<T> a, const T* sum_g,
                                         const T* sum_gxmu, T* gx, BnDims d, double inv_n, bool batch_stats) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < n; k += stride) {
    const int64_t c = (k / d.s) % d.c;
    const BnGradCoeffs<T> co = bn_grad_coeffs<T>(batch_stats ? static_cast<double>(sum_g[c]) : 0.0,
                                                 batch_stats ? static_cast<double>(sum_gxmu[c]) : 0.0, a.invstd[c],
                                                 a.weight ? a.weight[c] : T(1), inv_n, batch_stats);
    gx[k] = bn_input_grad(a.grad(gy[k], x[k], c), x[k], a.mean[c], co);
  }
}

template <class T>
const T* cptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}
template <class T>
T* mptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

template <class T>
BnAffinePtrs<T> affine_ptrs(const BnAffine& a) {
  return {cptr<T>(a.mean), cptr<T>(a.invstd), cptr<T>(a.weight), cptr<T>(a.bias), a.relu};
}

unsigned channel_blocks(int64_t c) { return cap_grid_x(c); }

}  // namespace

void batch_norm_stats_cuda(const Tensor& x, const Tensor& mean, const Tensor& var, BnDims d) {
  if (d.c == 0 || d.n * d.s == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "batch_norm", [&] {
    launch<bn_stats_kernel<scalar_t>>(channel_blocks(d.c), kThreads, 0, current_stream(),
        cptr<scalar_t>(x), mptr<scalar_t>(mean), mptr<scalar_t>(var), d);
    CUDA_CHECK_LAUNCH();
  });
}

void batch_norm_apply_cuda(const Tensor& x, const BnAffine& a, const Tensor& y, BnDims d) {
  const int64_t n = y.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "batch_norm", [&] {
    launch<bn_apply_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, cptr<scalar_t>(x), affine_ptrs<scalar_t>(a), mptr<scalar_t>(y), d);
    CUDA_CHECK_LAUNCH();
  });
}

void batch_norm_backward_reduce_cuda(const Tensor& gy, const Tensor& x, const BnAffine& a, const Tensor& sum_g,
                                     const Tensor& sum_gxmu, BnDims d) {
  if (d.c == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "batch_norm_backward", [&] {
    launch<bn_backward_reduce_kernel<scalar_t>>(channel_blocks(d.c), kThreads, 0, current_stream(),
        cptr<scalar_t>(gy), cptr<scalar_t>(x), affine_ptrs<scalar_t>(a), mptr<scalar_t>(sum_g),
        mptr<scalar_t>(sum_gxmu), d);
    CUDA_CHECK_LAUNCH();
  });
}

void batch_norm_backward_input_cuda(const Tensor& gy, const Tensor& x, const BnAffine& a, const Tensor& sum_g,
                                    const Tensor& sum_gxmu, const Tensor& gx, BnDims d, bool batch_stats) {
  const int64_t n = gx.numel();
  if (n == 0) return;
  const double inv_n = 1.0 / static_cast<double>(d.n * d.s);
  OC_DISPATCH_FLOATING(x.dtype(), "batch_norm_backward", [&] {
    launch<bn_backward_input_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, cptr<scalar_t>(gy), cptr<scalar_t>(x), affine_ptrs<scalar_t>(a), cptr<scalar_t>(sum_g),
        cptr<scalar_t>(sum_gxmu), mptr<scalar_t>(gx), d, inv_n, batch_stats);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
