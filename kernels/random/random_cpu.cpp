// CPU reference of the Philox draws.
#include <cmath>

#include "core/thread_pool.h"
#include "kernels/random/random_kernels.h"

namespace oc {

void random_fill_cpu(const Tensor& out, RandomKind kind, double a, double b, uint64_t seed, uint64_t offset) {
  OC_DISPATCH_FLOATING(out.dtype(), "random", [&] {
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    parallel_for(0, out.numel(), 16384, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = static_cast<scalar_t>(philox_sample(kind, seed, offset, i, a, b));
    });
  });
}

}  // namespace oc
