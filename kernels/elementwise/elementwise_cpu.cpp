// CPU reference for the elementwise ops: one strided loop, split over the thread pool, with a
// pointer loop (which the compiler vectorizes) when every operand is contiguous.
#include "core/thread_pool.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/elementwise/elementwise_entry_points.h"

namespace oc {
namespace {

constexpr int64_t kGrain = 32768;

// out[i] = fn(in0[i], in1[i], ...) over the broadcast operands.
template <class Tout, class Tin, int NIN, class F>
void run_elementwise(const Tensor& out, const Tensor* const (&ins)[NIN], F fn) {
  constexpr int N = NIN + 1;
  std::vector<Shape> strides{out.strides()};
  for (int i = 0; i < NIN; ++i) strides.push_back(ins[i]->strides());
  auto ix = make_strided_indexer<N>(out.shape(), strides);
  Tout* o = static_cast<Tout*>(out.raw_data());
  const Tin* in[NIN];
  for (int i = 0; i < NIN; ++i) in[i] = static_cast<const Tin*>(ins[i]->raw_data());
  const bool flat = indexer_is_flat_contiguous(ix);
  parallel_for(0, out.numel(), kGrain, [&](int64_t b, int64_t e) {
    if (flat) {
      for (int64_t k = b; k < e; ++k) {
        if constexpr (NIN == 1) o[k] = fn(in[0][k]);
        else if constexpr (NIN == 2) o[k] = fn(in[0][k], in[1][k]);
        else o[k] = fn(in[0][k], in[1][k], in[2][k]);
      }
      return;
    }
    for_each_offset(ix, b, e, [&](const int64_t* off) {
      if constexpr (NIN == 1) o[off[0]] = fn(in[0][off[1]]);
      else if constexpr (NIN == 2) o[off[0]] = fn(in[0][off[1]], in[1][off[2]]);
      else o[off[0]] = fn(in[0][off[1]], in[1][off[2]], in[2][off[3]]);
    });
  });
}

}  // namespace

OC_DEFINE_ELEMENTWISE_ENTRY_POINTS(cpu)

}  // namespace oc
