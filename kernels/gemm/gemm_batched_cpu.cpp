// Batched GEMM on the CPU: one call of the blocked, threaded gemm_cpu per batch entry.
#include "kernels/gemm/gemm_cpu.h"
#include "kernels/gemm/gemm_kernels.h"

namespace oc {
namespace {

// Whether a [.., R, C] operand is stored transposed, and its leading dimension (the front end
// made the layout legal, see matmul.cpp). A single row may carry any stride: use the row length.
void matrix_layout(const Tensor& t, bool& trans, int64_t& ld) {
  const int64_t rows = t.size(1), cols = t.size(2);
  trans = t.stride(2) != 1 && cols > 1;
  ld = trans ? t.stride(2) : (rows > 1 ? t.stride(1) : cols);
}

}  // namespace

void gemm_batched_cpu(const Tensor& a, const Tensor& b, const Tensor& c) {
  const int64_t B = c.size(0), M = c.size(1), N = c.size(2), K = a.size(2);
  bool ta, tb;
  int64_t lda, ldb;
  matrix_layout(a, ta, lda);
  matrix_layout(b, tb, ldb);
  OC_DISPATCH_FLOATING(c.dtype(), "matmul", [&] {
    const scalar_t* pa = static_cast<const scalar_t*>(a.raw_data());
    const scalar_t* pb = static_cast<const scalar_t*>(b.raw_data());
    scalar_t* pc = static_cast<scalar_t*>(c.raw_data());
    for (int64_t i = 0; i < B; ++i)
      gemm_cpu(ta, tb, M, N, K, scalar_t(1), pa + i * a.stride(0), lda, pb + i * b.stride(0), ldb, scalar_t(0),
               pc + i * M * N, N);
  });
}

}  // namespace oc
