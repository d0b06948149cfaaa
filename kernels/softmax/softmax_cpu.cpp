// CPU reference of the row softmax: max, then sum of exp(x - max), then normalize.
#include <cmath>

#include "core/thread_pool.h"
#include "kernels/softmax/softmax_kernels.h"

namespace oc {

void softmax_rows_cpu(const Tensor& in, const Tensor& out, int64_t rows, int64_t cols, bool log) {
  OC_DISPATCH_FLOATING(in.dtype(), "softmax", [&] {
    const scalar_t* x = static_cast<const scalar_t*>(in.raw_data());
    scalar_t* y = static_cast<scalar_t*>(out.raw_data());
    parallel_for(0, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const scalar_t* xr = x + r * cols;
        scalar_t* yr = y + r * cols;
        scalar_t m = xr[0];
        for (int64_t c = 1; c < cols; ++c) m = xr[c] > m ? xr[c] : m;
        double s = 0;
        for (int64_t c = 0; c < cols; ++c) s += std::exp(static_cast<double>(xr[c] - m));
        if (log) {
          scalar_t ls = static_cast<scalar_t>(std::log(s));
          for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] - m - ls;
        } else {
          for (int64_t c = 0; c < cols; ++c) yr[c] = static_cast<scalar_t>(std::exp(static_cast<double>(xr[c] - m)) / s);
        }
      }
    });
  });
}

}  // namespace oc
