// CUDA anchor generator: one thread per output row (grid-stride), the row computed by anchor_row as
// on the CPU, so both devices give the same numbers.
#include "core/cuda_context.h"
#include "kernels/anchors/anchors_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// levels [L, 6], bases [sum A, 4] -> out [rows, 4]
template <class T>
__global__ void anchors_kernel(const AnchorLevelGeom* levels, int64_t num_levels, const float* bases, int64_t rows,
                               T* out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += stride)
    anchor_row(levels, num_levels, bases, r, out + r * 4);
}

}  // namespace

void anchors_cuda(const Tensor& levels, const Tensor& bases, const Tensor& out) {
  const int64_t rows = out.size(0);
  const auto* lv = reinterpret_cast<const AnchorLevelGeom*>(levels.data<int64_t>());
  OC_DISPATCH_FLOATING(out.dtype(), "anchors", [&] {
    launch<anchors_kernel<scalar_t>>(blocks_for(rows, kThreads), kThreads, 0, current_stream(), lv, levels.size(0),
        bases.data<float>(), rows, static_cast<scalar_t*>(out.raw_data()));
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
