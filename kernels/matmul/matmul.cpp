// Front end of matmul: promotion of 1-D operands, batch broadcasting, layout, gradient rule
//   dA = dC x B^T,  dB = A^T x dC   (summed over broadcast batch dims).
#include "kernels/matmul/matmul.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/gemm/gemm_kernels.h"
#include "kernels/reduce/reduce.h"
#include "kernels/views/views.h"

namespace oc {
namespace {

// A [B, R, C] view of t (batch-expanded to `batch`) laid out as a BLAS-style matrix: unit stride
// in one matrix dim and a leading dimension at least as long as that dim.
Tensor as_batched_matrix(const Tensor& t, const Shape& batch) {
  Shape full = batch;
  full.push_back(t.size(-2));
  full.push_back(t.size(-1));
  Tensor e = expand(t, full);
  Tensor m = reshape(e, {shape_numel(batch), t.size(-2), t.size(-1)});
  const int64_t rows = m.size(1), cols = m.size(2);
  bool row_major = (m.stride(2) == 1 || cols == 1) && (rows == 1 || m.stride(1) >= cols);
  bool col_major = m.stride(1) == 1 && cols > 1 && (rows == 1 || m.stride(2) >= rows);
  if (!row_major && !col_major) m = contiguous(m);  // e.g. both strides > 1, or broadcast rows
  return m;
}

// matmul for operands with at least 2 dims.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  OC_CHECK(a.size(-1) == b.size(-2), "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
           " cannot be multiplied (", a.size(-1), " != ", b.size(-2), ")");
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(ba, bb, "matmul");
  const int64_t M = a.size(-2), N = b.size(-1);
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out;
  {
    NoGradGuard no_grad;
    Tensor a3 = as_batched_matrix(a.detach(), batch), b3 = as_batched_matrix(b.detach(), batch);
    Tensor c3 = Tensor::empty({shape_numel(batch), M, N}, a.dtype(), a.device());
    if (c3.numel() > 0) OC_ON_DEVICE(a.device(), gemm_batched, a3, b3, c3);
    out = c3.as_strided(out_shape, contiguous_strides(out_shape), 0);
  }
  record_op(out, "matmul", {a, b},
            [a = a.detach(), b = b.detach(), na = a.requires_grad(), nb = b.requires_grad()](const Tensor& g) {
              return std::vector<Tensor>{
                  na ? sum_to_shape(matmul(g, transpose(b, -1, -2)), a.shape()) : Tensor(),
                  nb ? sum_to_shape(matmul(transpose(a, -1, -2), g), b.shape()) : Tensor()};
            });
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_same_device("matmul", {&a, &b});
  check_floating("matmul", a);
  check_same_dtype("matmul", {&a, &b});
  OC_CHECK(a.dim() >= 1 && b.dim() >= 1, "matmul: both operands need at least 1 dim, got ",
           shape_str(a.shape()), " and ", shape_str(b.shape()));
  if (a.dim() == 1 && b.dim() == 1) {
    OC_CHECK(a.size(0) == b.size(0), "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
             " cannot be multiplied");
    return reshape(matmul_nd(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  }
  if (a.dim() == 1) return squeeze(matmul_nd(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul_nd(a, unsqueeze(b, 1)), -1);
  return matmul_nd(a, b);
}

}  // namespace oc
