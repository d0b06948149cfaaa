// CUDA Philox draws: element i is philox_sample(kind, seed, offset, i, ...) as on the CPU, so both
// devices give the same stream (to the last ulp or so of the device's log/cos/sqrt).
#include "core/cuda_context.h"
#include "kernels/random/random_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// out [n] (contiguous) <- draw of n elements starting at Philox block `offset`.
template <class T>
__global__ void random_fill_kernel(int64_t n, T* out, RandomKind kind, double a, double b, uint64_t seed,
                                   uint64_t offset) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = static_cast<T>(philox_sample(kind, seed, offset, i, a, b));
}

}  // namespace

void random_fill_cuda(const Tensor& out, RandomKind kind, double a, double b, uint64_t seed, uint64_t offset) {
  const int64_t n = out.numel();
  if (n == 0) return;
  OC_DISPATCH_FLOATING(out.dtype(), "random", [&] {
    launch<random_fill_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<scalar_t*>(out.raw_data()), kind, a, b, seed, offset);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
