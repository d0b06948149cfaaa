// The combine step of each row reduction, shared by CPU and CUDA: an accumulator holds the running
// value and (for the arg ops) its index; ties keep the lower index, NaN wins as in PyTorch.
#pragma once
#include <cstdint>

#include "core/hd.h"
#include "kernels/reduce/reduce_kernels.h"

namespace oc {

template <class T>
struct ReduceAcc {
  T value;
  int64_t index;
};

template <class T>
OC_HD bool reduce_prefers(ReduceOp op, T candidate, int64_t ci, T current, int64_t cur_i) {
  // NaN already held: only an earlier NaN replaces it. (A left-to-right scan never sees one; a tree
  // reduction combines in any order, and this keeps its answer the scan's: the first NaN.)
  if (current != current) return candidate != candidate && ci < cur_i;
  if (candidate != candidate) return true;  // NaN wins
  bool is_max = op == ReduceOp::max || op == ReduceOp::argmax;
  if (candidate == current) return ci < cur_i;
  return is_max ? candidate > current : candidate < current;
}

template <class T>
OC_HD ReduceAcc<T> reduce_combine(ReduceOp op, ReduceAcc<T> a, ReduceAcc<T> b) {
  if (op == ReduceOp::sum) return {a.value + b.value, 0};
  return reduce_prefers(op, b.value, b.index, a.value, a.index) ? b : a;
}

}  // namespace oc
