// CPU reference for the elementwise ops: one strided loop, split over the thread pool, with a
// pointer loop (which the compiler vectorizes) when every operand is contiguous.
#include "core/thread_pool.h"
#include "kernels/common/strided_indexer.h"
#include "kernels/elementwise/elementwise_kernels.h"

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

#define OC_UNARY_CASE(name, expr) \
  case UnaryOp::name: return run_elementwise<scalar_t, scalar_t>(out, ins, UnaryFn<UnaryOp::name>{p});
#define OC_BINARY_CASE(name, expr) \
  case BinaryOp::name: return run_elementwise<scalar_t, scalar_t>(out, ins, BinaryFn<BinaryOp::name>{p});
#define OC_TERNARY_CASE(name, expr) \
  case TernaryOp::name: return run_elementwise<scalar_t, scalar_t>(out, ins, TernaryFn<TernaryOp::name>{p});
#define OC_COMPARE_CASE(name, expr) \
  case CompareOp::name: return run_elementwise<bool, scalar_t>(out, ins, CompareFn<CompareOp::name>{});

}  // namespace

void unary_cpu(UnaryOp op, const Tensor& out, const Tensor& a, EwParams p) {
  const Tensor* ins[1] = {&a};
  OC_DISPATCH_FLOATING(out.dtype(), "unary", [&] {
    switch (op) { OC_UNARY_OPS(OC_UNARY_CASE) }
  });
}

void binary_cpu(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, EwParams p) {
  const Tensor* ins[2] = {&a, &b};
  OC_DISPATCH_FLOATING(out.dtype(), "binary", [&] {
    switch (op) { OC_BINARY_OPS(OC_BINARY_CASE) }
  });
}

void ternary_cpu(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, EwParams p) {
  const Tensor* ins[3] = {&a, &b, &c};
  OC_DISPATCH_FLOATING(out.dtype(), "ternary", [&] {
    switch (op) { OC_TERNARY_OPS(OC_TERNARY_CASE) }
  });
}

void compare_cpu(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const Tensor* ins[2] = {&a, &b};
  OC_DISPATCH_FLOATING(a.dtype(), "compare", [&] {
    switch (op) { OC_COMPARE_OPS(OC_COMPARE_CASE) }
  });
}

}  // namespace oc
