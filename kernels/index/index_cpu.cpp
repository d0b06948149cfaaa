// CPU reference for gather and scatter_add (scatter_add runs serially: indices may collide).
#include "core/thread_pool.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/index/index_kernels.h"

namespace oc {

void gather_cpu(const Tensor& out, const Tensor& t_view, const Tensor& index, int64_t dim_stride, int64_t dim_size) {
  auto ix = make_strided_indexer<3>(out.shape(), {out.strides(), t_view.strides(), index.strides()});
  const int64_t* idx = static_cast<const int64_t*>(index.raw_data());
  OC_DISPATCH_ALL(out.dtype(), "gather", [&] {
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    const scalar_t* x = static_cast<const scalar_t*>(t_view.raw_data());
    parallel_for(0, out.numel(), 16384, [&](int64_t b, int64_t e) {
      for_each_offset(ix, b, e, [&](const int64_t* off) {
        int64_t k = idx[off[2]];
        OC_CHECK(k >= 0 && k < dim_size, "gather: index ", k, " is out of bounds for dimension size ", dim_size);
        o[off[0]] = x[off[1] + k * dim_stride];
      });
    });
  });
}

void scatter_add_cpu(const Tensor& acc_view, const Tensor& index, const Tensor& src, int64_t dim_stride,
                     int64_t dim_size) {
  auto ix = make_strided_indexer<3>(src.shape(), {acc_view.strides(), index.strides(), src.strides()});
  const int64_t* idx = static_cast<const int64_t*>(index.raw_data());
  OC_DISPATCH_FLOATING(src.dtype(), "scatter_add", [&] {
    scalar_t* acc = static_cast<scalar_t*>(acc_view.raw_data());
    const scalar_t* s = static_cast<const scalar_t*>(src.raw_data());
    for_each_offset(ix, 0, src.numel(), [&](const int64_t* off) {
      int64_t k = idx[off[1]];
      OC_CHECK(k >= 0 && k < dim_size, "scatter_add: index ", k, " is out of bounds for dimension size ", dim_size);
      acc[off[0] + k * dim_stride] += s[off[2]];
    });
  });
}

}  // namespace oc
