// Front-end checks and the broadcast view used by every broadcasting op.
#include "kernels/common/checks.h"

namespace oc {

void check_defined(const char* op, std::initializer_list<const Tensor*> ts) {
  int i = 0;
  for (const Tensor* t : ts) {
    OC_CHECK(t->defined(), op, ": argument ", i, " is an undefined tensor");
    ++i;
  }
}

void check_same_device(const char* op, std::initializer_list<const Tensor*> ts) {
  check_defined(op, ts);
  const Tensor* first = *ts.begin();
  for (const Tensor* t : ts)
    OC_CHECK(t->device() == first->device(), op, ": tensors on different devices: ", first->str(), " and ",
             t->str());
}

void check_same_dtype(const char* op, std::initializer_list<const Tensor*> ts) {
  check_defined(op, ts);
  const Tensor* first = *ts.begin();
  for (const Tensor* t : ts)
    OC_CHECK(t->dtype() == first->dtype(), op, ": dtype mismatch: ", first->str(), " and ", t->str());
}

void check_floating(const char* op, const Tensor& t) {
  OC_CHECK(t.defined(), op, ": undefined tensor");
  OC_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, op, ": expected a float32 or float64 tensor, got ",
           t.str());
}

void check_dtype(const char* op, const Tensor& t, DType expected, const char* what) {
  OC_CHECK(t.defined(), op, ": ", what, " is undefined");
  OC_CHECK(t.dtype() == expected, op, ": ", what, " must be ", dtype_name(expected), ", got ", t.str());
}

Tensor broadcast_view(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t.detach();
  const int64_t nd = static_cast<int64_t>(shape.size()), td = t.dim();
  OC_CHECK(td <= nd, "broadcast: cannot broadcast ", shape_str(t.shape()), " to ", shape_str(shape));
  Shape strides(nd, 0);
  for (int64_t i = 0; i < td; ++i) {
    int64_t d = nd - td + i;
    int64_t s = t.shape()[i];
    OC_CHECK(s == shape[d] || s == 1, "broadcast: cannot broadcast ", shape_str(t.shape()), " to ",
             shape_str(shape));
    strides[d] = s == 1 ? 0 : t.strides()[i];
  }
  return t.as_strided(shape, strides, t.offset());
}

}  // namespace oc
