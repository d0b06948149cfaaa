// CUDA strided copy with dtype cast (cast_value from cast.h, as the CPU), and the byte copies between
// host and device behind to(t, device).
#include <cstring>

#include "core/cuda_context.h"
#include "kernels/common/cast.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/copy/copy_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// dst [n] <- cast(src [n]), both contiguous.
template <class To, class From>
__global__ void copy_flat_kernel(int64_t n, To* dst, const From* src) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = cast_value<To>(src[i]);
}

// dst [shape] <- cast(src [shape]), any strides (ix operand 0: dst, 1: src).
template <class To, class From>
__global__ void copy_strided_kernel(int64_t n, StridedIndexer<2> ix, To* dst, const From* src) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[2];
    ix.offsets(i, off);
    dst[off[0]] = cast_value<To>(src[off[1]]);
  }
}

}  // namespace

void copy_cuda(const Tensor& dst, const Tensor& src) {
  const int64_t n = dst.numel();
  if (n == 0) return;
  auto ix = make_strided_indexer<2>(dst.shape(), {dst.strides(), src.strides()});
  const bool flat = indexer_is_flat_contiguous(ix);
  if (dst.dtype() == src.dtype() && flat) {
    CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), static_cast<size_t>(n) * dtype_size(dst.dtype()),
                               cudaMemcpyDeviceToDevice, current_stream()));
    return;
  }
  const unsigned blocks = blocks_for(n, kThreads);
  OC_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using To = scalar_t;
    To* d = static_cast<To*>(dst.raw_data());
    OC_DISPATCH_ALL(src.dtype(), "copy", [&] {
      const scalar_t* s = static_cast<const scalar_t*>(src.raw_data());
      if (flat) launch<copy_flat_kernel<To, scalar_t>>(blocks, kThreads, 0, current_stream(), n, d, s);
      else launch<copy_strided_kernel<To, scalar_t>>(blocks, kThreads, 0, current_stream(), n, ix, d, s);
      CUDA_CHECK_LAUNCH();
    });
  });
}

// Copies on the current stream and waits for it: the host side may read or free its buffer on return.
void memcpy_across_devices(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, nbytes);
    return;
  }
  cudaStream_t stream = current_stream();
  if (dst_device.is_cuda() && src_device.is_cuda() && dst_device.index != src_device.index) {
    CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_device.index, src, src_device.index, nbytes, stream));
  } else {
    cudaMemcpyKind kind = dst_device.is_cpu()   ? cudaMemcpyDeviceToHost
                          : src_device.is_cpu() ? cudaMemcpyHostToDevice
                                                : cudaMemcpyDeviceToDevice;
    CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, kind, stream));
  }
  CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace oc
