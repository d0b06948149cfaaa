// Front end of the reductions: axis handling (reduced axes moved last), dispatch, gradient rules.
#include "kernels/reduce/reduce.h"

#include <algorithm>
#include <limits>

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/fill/fill.h"
#include "kernels/reduce/reduce_kernels.h"
#include "kernels/views/views.h"

namespace oc {
namespace {

struct AxisPlan {
  std::vector<bool> reduced;  // per input dim
  Shape out_shape;            // without keepdim
  Shape keep_shape;           // with keepdim
  int64_t rows = 1, cols = 1;
};

AxisPlan plan_axes(const char* op, const Tensor& t, const Axes& axes) {
  AxisPlan p;
  p.reduced.assign(t.dim(), axes.empty());
  for (int64_t a : axes) {
    int64_t d = wrap_dim(a, t.dim(), op);
    if (t.dim() == 0) continue;
    OC_CHECK(!p.reduced[d], op, ": axis ", a, " is repeated");
    p.reduced[d] = true;
  }
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (p.reduced[d]) {
      p.cols *= t.shape()[d];
      p.keep_shape.push_back(1);
    } else {
      p.rows *= t.shape()[d];
      p.out_shape.push_back(t.shape()[d]);
      p.keep_shape.push_back(t.shape()[d]);
    }
  }
  return p;
}

// Runs the row kernel over t's reduced axes; returns the result in keepdim shape.
Tensor reduce_raw(ReduceOp op, const char* name, const Tensor& t, const AxisPlan& p) {
  check_floating(name, t);
  std::vector<int64_t> order;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (!p.reduced[d]) order.push_back(d);
  for (int64_t d = 0; d < t.dim(); ++d)
    if (p.reduced[d]) order.push_back(d);
  Tensor rows_view;
  {
    NoGradGuard no_grad;
    rows_view = contiguous(permute(t.detach(), order));
  }
  bool arg = op == ReduceOp::argmax || op == ReduceOp::argmin;
  Tensor out = Tensor::empty(p.keep_shape, arg ? DType::i64 : t.dtype(), t.device());
  if (p.rows > 0) OC_ON_DEVICE(t.device(), reduce_rows, op, rows_view, out, p.rows, p.cols);
  return out;
}

Tensor finish(const Tensor& keep, const AxisPlan& p, bool keepdim) {
  return keepdim ? keep : keep.as_strided(p.out_shape, contiguous_strides(p.out_shape), keep.offset());
}

Tensor extreme(ReduceOp op, const char* name, const Tensor& t, const Axes& axes, bool keepdim) {
  AxisPlan p = plan_axes(name, t, axes);
  OC_CHECK(p.cols > 0 || p.rows == 0, name, ": cannot reduce over an empty dimension of ", t.str());
  Tensor y = reduce_raw(op, name, t, p);
  Tensor out = finish(y, p, keepdim);
  Axes reduced_axes;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (p.reduced[d]) reduced_axes.push_back(d);
  record_op(out, name, {t}, [x = t.detach(), y, keep = p.keep_shape, reduced_axes](const Tensor& g) {
    Tensor mask = to(eq(x, y), x.dtype());  // 1 at every tied extreme
    Tensor count = reduced_axes.empty() ? mask : sum(mask, reduced_axes, true);
    return std::vector<Tensor>{mul(div(reshape(g, keep), count), mask)};
  });
  return out;
}

Tensor arg_extreme(ReduceOp op, const char* name, const Tensor& t, int64_t axis, bool keepdim) {
  AxisPlan p = plan_axes(name, t, {axis});
  OC_CHECK(p.cols > 0 || p.rows == 0, name, ": cannot reduce over an empty dimension of ", t.str());
  return finish(reduce_raw(op, name, t, p), p, keepdim);
}

}  // namespace

Tensor sum(const Tensor& t, const Axes& axes, bool keepdim) {
  AxisPlan p = plan_axes("sum", t, axes);
  Tensor y = reduce_raw(ReduceOp::sum, "sum", t, p);
  if (p.rows > 0 && p.cols == 0) fill_(y, 0);
  Tensor out = finish(y, p, keepdim);
  record_op(out, "sum", {t}, [keep = p.keep_shape, in_shape = t.shape()](const Tensor& g) {
    return std::vector<Tensor>{contiguous(expand(reshape(g, keep), in_shape))};
  });
  return out;
}

Tensor mean(const Tensor& t, const Axes& axes, bool keepdim) {
  AxisPlan p = plan_axes("mean", t, axes);
  return div(sum(t, axes, keepdim), static_cast<double>(p.cols));
}

Tensor max(const Tensor& t, const Axes& axes, bool keepdim) { return extreme(ReduceOp::max, "max", t, axes, keepdim); }
Tensor min(const Tensor& t, const Axes& axes, bool keepdim) { return extreme(ReduceOp::min, "min", t, axes, keepdim); }
Tensor argmax(const Tensor& t, int64_t axis, bool keepdim) {
  return arg_extreme(ReduceOp::argmax, "argmax", t, axis, keepdim);
}
Tensor argmin(const Tensor& t, int64_t axis, bool keepdim) {
  return arg_extreme(ReduceOp::argmin, "argmin", t, axis, keepdim);
}

Tensor var(const Tensor& t, const Axes& axes, int64_t correction, bool keepdim) {
  AxisPlan p = plan_axes("var", t, axes);
  Tensor d = sub(t, mean(t, axes, true));
  return div(sum(mul(d, d), axes, keepdim), static_cast<double>(p.cols - correction));
}

Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  OC_CHECK(lead >= 0, "sum_to_shape: cannot reduce ", shape_str(g.shape()), " to ", shape_str(shape));
  Axes axes;
  for (int64_t d = 0; d < g.dim(); ++d) {
    if (d < lead) {
      axes.push_back(d);
    } else if (shape[d - lead] == 1 && g.shape()[d] != 1) {
      axes.push_back(d);
    } else {
      OC_CHECK(shape[d - lead] == g.shape()[d], "sum_to_shape: cannot reduce ", shape_str(g.shape()), " to ",
               shape_str(shape));
    }
  }
  if (axes.empty()) return reshape(g, shape);
  return reshape(sum(g, axes, true), shape);
}

}  // namespace oc
