// CUDA gather and scatter_add (atomicAdd, so colliding indices are safe), with the CPU's bounds check:
// a bad index sets a device-side flag, and the host turns it into the same oc::Error after the kernel.
#include "core/cuda_allocator.h"
#include "core/cuda_context.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/index/index_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// Device memory for {flag, bad index}. The first thread to meet a bad index claims the flag and
// records its index; the others only skip their element.
__device__ __forceinline__ void report_bad_index(unsigned long long* err, int64_t k) {
  if (atomicCAS(err, 0ull, 1ull) == 0ull) err[1] = static_cast<unsigned long long>(k);
}

// Zeroed before the kernel, read back after it. Reading it back costs one stream synchronization
// per gather / scatter_add (the price of reporting a bad index as an exception, as the CPU does).
class IndexErrorFlag {
 public:
  IndexErrorFlag() : device_(current_device()) {
    p_ = static_cast<unsigned long long*>(cuda_caching_alloc(2 * sizeof(unsigned long long), device_));
    CUDA_CHECK(cudaMemsetAsync(p_, 0, 2 * sizeof(unsigned long long), current_stream()));
  }
  ~IndexErrorFlag() { cuda_caching_free(p_, device_); }
  IndexErrorFlag(const IndexErrorFlag&) = delete;
  IndexErrorFlag& operator=(const IndexErrorFlag&) = delete;

  unsigned long long* get() const { return p_; }

  // Waits for the kernel; throws the CPU's message when it met an index outside [0, dim_size).
  void throw_if_set(const char* op, int64_t dim_size) const {
    unsigned long long host[2] = {0, 0};
    CUDA_CHECK(cudaMemcpyAsync(host, p_, sizeof(host), cudaMemcpyDeviceToHost, current_stream()));
    CUDA_CHECK(cudaStreamSynchronize(current_stream()));
    OC_CHECK(host[0] == 0, op, ": index ", static_cast<int64_t>(host[1]), " is out of bounds for dimension size ",
             dim_size);
  }

 private:
  int device_;
  unsigned long long* p_;
};

// out [S] <- t_view [S] with dim replaced by index [S] (ix operands: out, t_view, index).
template <class T>
__global__ void gather_kernel(int64_t n, StridedIndexer<3> ix, T* out, const T* x, const int64_t* idx,
                              int64_t dim_stride, int64_t dim_size, unsigned long long* err) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[3];
    ix.offsets(i, off);
    const int64_t k = idx[off[2]];
    if (k < 0 || k >= dim_size) {
      report_bad_index(err, k);
      continue;
    }
    out[off[0]] = x[off[1] + k * dim_stride];
  }
}

// acc [S] with dim replaced by index [S] += src [S] (ix operands: acc_view, index, src).
template <class T>
__global__ void scatter_add_kernel(int64_t n, StridedIndexer<3> ix, T* acc, const int64_t* idx, const T* src,
                                   int64_t dim_stride, int64_t dim_size, unsigned long long* err) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[3];
    ix.offsets(i, off);
    const int64_t k = idx[off[1]];
    if (k < 0 || k >= dim_size) {
      report_bad_index(err, k);
      continue;
    }
    atomicAdd(acc + off[0] + k * dim_stride, src[off[2]]);
  }
}

}  // namespace

void gather_cuda(const Tensor& out, const Tensor& t_view, const Tensor& index, int64_t dim_stride, int64_t dim_size) {
  const int64_t n = out.numel();
  if (n == 0) return;
  auto ix = make_strided_indexer<3>(out.shape(), {out.strides(), t_view.strides(), index.strides()});
  const int64_t* idx = static_cast<const int64_t*>(index.raw_data());
  IndexErrorFlag err;
  OC_DISPATCH_ALL(out.dtype(), "gather", [&] {
    launch<gather_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, ix, static_cast<scalar_t*>(out.raw_data()), static_cast<const scalar_t*>(t_view.raw_data()), idx,
        dim_stride, dim_size, err.get());
    CUDA_CHECK_LAUNCH();
  });
  err.throw_if_set("gather", dim_size);
}

void scatter_add_cuda(const Tensor& acc_view, const Tensor& index, const Tensor& src, int64_t dim_stride,
                      int64_t dim_size) {
  const int64_t n = src.numel();
  if (n == 0) return;
  auto ix = make_strided_indexer<3>(src.shape(), {acc_view.strides(), index.strides(), src.strides()});
  const int64_t* idx = static_cast<const int64_t*>(index.raw_data());
  IndexErrorFlag err;
  OC_DISPATCH_FLOATING(src.dtype(), "scatter_add", [&] {
    launch<scatter_add_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(),
        n, ix, static_cast<scalar_t*>(acc_view.raw_data()), idx, static_cast<const scalar_t*>(src.raw_data()),
        dim_stride, dim_size, err.get());
    CUDA_CHECK_LAUNCH();
  });
  err.throw_if_set("scatter_add", dim_size);
}

}  // namespace oc
