// CUDA fill (any strided view, any dtype), arange and linspace (contiguous), computing each element
// as the CPU reference does (cast_value, linspace_value).
#include <cstring>

#include "core/cuda_context.h"
#include "kernels/common/cast.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/fill/fill_kernels.h"
#include "kernels/fill/fill_math.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// out [shape] (any strides) <- v.
template <class T>
__global__ void fill_strided_kernel(int64_t n, StridedIndexer<1> ix, T* out, T v) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[1];
    ix.offsets(i, off);
    out[off[0]] = v;
  }
}

// out [n] (contiguous) <- v.
template <class T>
__global__ void fill_flat_kernel(int64_t n, T* out, T v) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = v;
}

// out [n] <- start + step * i, rounded op by op as the CPU (core/hd_rounding.h).
template <class T>
__global__ void arange_kernel(int64_t n, T* out, double start, double step) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = cast_value<T>(add_rn(start, mul_rn(step, static_cast<double>(i))));
}

// out [n] <- linspace_value(i, n, start, end).
template <class T>
__global__ void linspace_kernel(int64_t n, T* out, double start, double end) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = cast_value<T>(linspace_value(i, n, start, end));
}

}  // namespace

void fill_cuda(const Tensor& out, double value) {
  const int64_t n = out.numel();
  if (n == 0) return;
  auto ix = make_strided_indexer<1>(out.shape(), {out.strides()});
  OC_DISPATCH_ALL(out.dtype(), "fill", [&] {
    const scalar_t v = cast_value<scalar_t>(value);
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    if (indexer_is_flat_contiguous(ix)) {
      // All-zero bytes (0, +0.0, false) is a memset.
      unsigned char bytes[sizeof(scalar_t)];
      std::memcpy(bytes, &v, sizeof(scalar_t));
      bool zero = true;
      for (unsigned char c : bytes) zero = zero && c == 0;
      if (zero) {
        CUDA_CHECK(cudaMemsetAsync(o, 0, static_cast<size_t>(n) * sizeof(scalar_t), current_stream()));
        return;
      }
      launch<fill_flat_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n, o, v);
    } else {
      launch<fill_strided_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n, ix, o, v);
    }
    CUDA_CHECK_LAUNCH();
  });
}

void arange_cuda(const Tensor& out, double start, double step) {
  const int64_t n = out.numel();
  if (n == 0) return;
  OC_DISPATCH_ALL(out.dtype(), "arange", [&] {
    launch<arange_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<scalar_t*>(out.raw_data()), start, step);
    CUDA_CHECK_LAUNCH();
  });
}

void linspace_cuda(const Tensor& out, double start, double end) {
  const int64_t n = out.numel();
  if (n == 0) return;
  OC_DISPATCH_ALL(out.dtype(), "linspace", [&] {
    launch<linspace_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, static_cast<scalar_t*>(out.raw_data()), start, end);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
