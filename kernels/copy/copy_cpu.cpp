// CPU reference of the strided copy-with-cast.
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/common/cast.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/copy/copy_kernels.h"

namespace oc {

void copy_cpu(const Tensor& dst, const Tensor& src) {
  auto ix = make_strided_indexer<2>(dst.shape(), {dst.strides(), src.strides()});
  if (dst.dtype() == src.dtype() && indexer_is_flat_contiguous(ix)) {
    std::memcpy(dst.raw_data(), src.raw_data(), dst.numel() * dtype_size(dst.dtype()));
    return;
  }
  OC_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using To = scalar_t;
    To* d = static_cast<To*>(dst.raw_data());
    OC_DISPATCH_ALL(src.dtype(), "copy", [&] {
      const scalar_t* s = static_cast<const scalar_t*>(src.raw_data());
      parallel_for(0, dst.numel(), 32768, [&](int64_t b, int64_t e) {
        for_each_offset(ix, b, e, [&](const int64_t* off) { d[off[0]] = cast_value<To>(s[off[1]]); });
      });
    });
  });
}

#if !OCELLUS_HAS_CUDA
void memcpy_across_devices(void* dst, Device, const void* src, Device, size_t nbytes) {
  std::memcpy(dst, src, nbytes);
}
#endif

}  // namespace oc
