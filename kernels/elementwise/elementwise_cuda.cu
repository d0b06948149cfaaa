// CUDA elementwise ops: one grid-stride kernel per (op, dtype), applying the functors of
// elementwise_math.h (the same ones the CPU reference uses), with a flat path for contiguous operands.
#include "core/cuda_context.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/elementwise/elementwise_entry_points.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// The input pointers of one launch, passed by value.
template <class Tin, int NIN>
struct InPtrs {
  const Tin* p[NIN];
};

template <class Tin, int NIN, class F>
__device__ __forceinline__ auto apply(const F& fn, const InPtrs<Tin, NIN>& in, const int64_t* off) {
  if constexpr (NIN == 1) return fn(in.p[0][off[0]]);
  else if constexpr (NIN == 2) return fn(in.p[0][off[0]], in.p[1][off[1]]);
  else return fn(in.p[0][off[0]], in.p[1][off[1]], in.p[2][off[2]]);
}

// Every operand contiguous with n elements: [n] (x NIN) -> [n].
template <class Tout, class Tin, int NIN, class F>
__global__ void elementwise_flat_kernel(int64_t n, Tout* out, InPtrs<Tin, NIN> in, F fn) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[NIN];
    for (int a = 0; a < NIN; ++a) off[a] = i;
    out[i] = apply(fn, in, off);
  }
}

// Any strides: out [shape] (contiguous), inputs broadcast views of [shape]; ix operand 0 is out.
template <class Tout, class Tin, int NIN, class F>
__global__ void elementwise_strided_kernel(int64_t n, StridedIndexer<NIN + 1> ix, Tout* out, InPtrs<Tin, NIN> in,
                                          F fn) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t off[NIN + 1];
    ix.offsets(i, off);
    out[off[0]] = apply(fn, in, off + 1);
  }
}

// out = fn(ins...) elementwise over out's shape, on the current stream.
template <class Tout, class Tin, int NIN, class F>
void run_elementwise(const Tensor& out, const Tensor* const (&ins)[NIN], F fn) {
  const int64_t n = out.numel();
  if (n == 0) return;
  std::vector<Shape> strides{out.strides()};
  for (int i = 0; i < NIN; ++i) strides.push_back(ins[i]->strides());
  auto ix = make_strided_indexer<NIN + 1>(out.shape(), strides);
  Tout* o = static_cast<Tout*>(out.raw_data());
  InPtrs<Tin, NIN> in;
  for (int i = 0; i < NIN; ++i) in.p[i] = static_cast<const Tin*>(ins[i]->raw_data());
  const unsigned blocks = blocks_for(n, kThreads);
  if (indexer_is_flat_contiguous(ix)) {
    launch<elementwise_flat_kernel<Tout, Tin, NIN, F>>(blocks, kThreads, 0, current_stream(), n, o, in, fn);
  } else {
    launch<elementwise_strided_kernel<Tout, Tin, NIN, F>>(blocks, kThreads, 0, current_stream(), n, ix, o, in, fn);
  }
  CUDA_CHECK_LAUNCH();
}

}  // namespace

OC_DEFINE_ELEMENTWISE_ENTRY_POINTS(cuda)

}  // namespace oc
