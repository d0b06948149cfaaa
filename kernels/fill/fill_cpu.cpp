// CPU reference for fill, arange and linspace.
#include "core/thread_pool.h"
#include "kernels/common/cast.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/fill/fill_kernels.h"
#include "kernels/fill/fill_math.h"

namespace oc {

void fill_cpu(const Tensor& out, double value) {
  OC_DISPATCH_ALL(out.dtype(), "fill", [&] {
    scalar_t v = cast_value<scalar_t>(value);
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    auto ix = make_strided_indexer<1>(out.shape(), {out.strides()});
    parallel_for(0, out.numel(), 65536, [&](int64_t b, int64_t e) {
      for_each_offset(ix, b, e, [&](const int64_t* off) { o[off[0]] = v; });
    });
  });
}

void arange_cpu(const Tensor& out, double start, double step) {
  OC_DISPATCH_ALL(out.dtype(), "arange", [&] {
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    for (int64_t i = 0; i < out.numel(); ++i) o[i] = cast_value<scalar_t>(start + step * static_cast<double>(i));
  });
}

void linspace_cpu(const Tensor& out, double start, double end) {
  OC_DISPATCH_ALL(out.dtype(), "linspace", [&] {
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) o[i] = cast_value<scalar_t>(linspace_value(i, n, start, end));
  });
}

}  // namespace oc
