// Front end of gather / scatter_add / index_select: shape checks and gradient rules
//   gather:      dt = scatter_add(zeros, dim, index, g)
//   scatter_add: dt = g,  dsrc = gather(g, dim, index)
// index_select is gather with the 1-D index broadcast across the other dims.
#include "kernels/index/index.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/index/index_kernels.h"

namespace oc {
namespace {

// t restrided to index's shape with stride 0 along dim (the kernel adds index * t.stride(dim)).
Tensor indexed_view(const Tensor& t, const Tensor& index, int64_t d) {
  Shape st = t.strides();
  st[d] = 0;
  return t.as_strided(index.shape(), st, t.offset());
}

void check_index(const char* op, const Tensor& t, int64_t d, const Tensor& index) {
  check_dtype(op, index, DType::i64, "index");
  check_same_device(op, {&t, &index});
  OC_CHECK(index.dim() == t.dim(), op, ": index ", shape_str(index.shape()), " must have as many dims as ",
           shape_str(t.shape()));
  for (int64_t k = 0; k < t.dim(); ++k)
    OC_CHECK(k == d || index.size(k) <= t.size(k), op, ": index ", shape_str(index.shape()),
             " is larger than input ", shape_str(t.shape()), " in dimension ", k);
}

}  // namespace

Tensor gather(const Tensor& t, int64_t dim, const Tensor& index) {
  OC_CHECK(t.defined() && index.defined(), "gather: undefined tensor");
  OC_CHECK(t.dim() > 0, "gather: input must have at least 1 dim");
  int64_t d = wrap_dim(dim, t.dim(), "gather");
  check_index("gather", t, d, index);
  Tensor out = Tensor::empty(index.shape(), t.dtype(), t.device());
  if (out.numel() > 0)
    OC_ON_DEVICE(t.device(), gather, out, indexed_view(t, index, d), index, t.stride(d), t.size(d));
  record_op(out, "gather", {t}, [shape = t.shape(), d, index](const Tensor& g) {
    return std::vector<Tensor>{scatter_add(zeros(shape, g.dtype(), g.device()), d, index, g)};
  });
  return out;
}

Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src) {
  OC_CHECK(t.defined() && index.defined() && src.defined(), "scatter_add: undefined tensor");
  OC_CHECK(t.dim() > 0, "scatter_add: input must have at least 1 dim");
  int64_t d = wrap_dim(dim, t.dim(), "scatter_add");
  check_index("scatter_add", t, d, index);
  check_same_device("scatter_add", {&t, &src});
  check_same_dtype("scatter_add", {&t, &src});
  check_floating("scatter_add", t);
  OC_CHECK(src.shape() == index.shape(), "scatter_add: src ", shape_str(src.shape()), " and index ",
           shape_str(index.shape()), " must have the same shape");
  Tensor out;
  {
    NoGradGuard no_grad;
    out = clone(t);
  }
  if (src.numel() > 0)
    OC_ON_DEVICE(t.device(), scatter_add, indexed_view(out, index, d), index, src, out.stride(d), out.size(d));
  record_op(out, "scatter_add", {t, src}, [d, index](const Tensor& g) {
    return std::vector<Tensor>{g, gather(g, d, index)};
  });
  return out;
}

Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) {
  OC_CHECK(t.defined() && index.defined(), "index_select: undefined tensor");
  OC_CHECK(index.dim() == 1, "index_select: index must be 1-D, got ", shape_str(index.shape()));
  check_dtype("index_select", index, DType::i64, "index");
  int64_t d = wrap_dim(dim, t.dim(), "index_select");
  Shape shape = t.shape(), st(t.dim(), 0);
  shape[d] = index.size(0);
  st[d] = index.stride(0);
  return gather(t, d, index.as_strided(shape, st, index.offset()));
}

}  // namespace oc
