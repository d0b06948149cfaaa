// CPU reference of the anchor generator: one output row per anchor_row call.
#include "core/thread_pool.h"
#include "kernels/anchors/anchors_kernels.h"

namespace oc {

// levels [L, 6], bases [sum A, 4] -> out [R, 4]
void anchors_cpu(const Tensor& levels, const Tensor& bases, const Tensor& out) {
  const auto* lv = reinterpret_cast<const AnchorLevelGeom*>(levels.data<int64_t>());
  const int64_t num_levels = levels.size(0);
  const float* b = bases.data<float>();
  OC_DISPATCH_FLOATING(out.dtype(), "anchors", [&] {
    scalar_t* o = static_cast<scalar_t*>(out.raw_data());
    parallel_for(0, out.size(0), 4096, [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) anchor_row(lv, num_levels, b, r, o + r * 4);
    });
  });
}

}  // namespace oc
