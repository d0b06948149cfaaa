// CPU reference of the row reductions; sums accumulate in double for float32 input.
#include "core/thread_pool.h"
#include "kernels/common/lane_sum.h"
#include "kernels/reduce/reduce_kernels.h"
#include "kernels/reduce/reduce_math.h"

namespace oc {

void reduce_rows_cpu(ReduceOp op, const Tensor& in, const Tensor& out, int64_t rows, int64_t cols) {
  OC_DISPATCH_FLOATING(in.dtype(), "reduce", [&] {
    const scalar_t* x = static_cast<const scalar_t*>(in.raw_data());
    parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const scalar_t* row = x + r * cols;
        if (op == ReduceOp::sum) {
          const double total = lane_sum(cols, [row](int64_t c) { return static_cast<double>(row[c]); });
          static_cast<scalar_t*>(out.raw_data())[r] = static_cast<scalar_t>(total);
          continue;
        }
        ReduceAcc<scalar_t> acc{row[0], 0};
        for (int64_t c = 1; c < cols; ++c) acc = reduce_combine(op, acc, ReduceAcc<scalar_t>{row[c], c});
        if (op == ReduceOp::argmax || op == ReduceOp::argmin)
          static_cast<int64_t*>(out.raw_data())[r] = acc.index;
        else
          static_cast<scalar_t*>(out.raw_data())[r] = acc.value;
      }
    });
  });
}

}  // namespace oc
