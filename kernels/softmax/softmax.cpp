// Front end of softmax / log_softmax. Gradients (s = softmax, with the same axis):
//   softmax:     dx = s * (g - sum(g * s))
//   log_softmax: dx = g - s * sum(g)
#include "kernels/softmax/softmax.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/reduce/reduce.h"
#include "kernels/softmax/softmax_kernels.h"
#include "kernels/views/views.h"

namespace oc {
namespace {

Tensor softmax_raw(const char* name, const Tensor& t, int64_t axis, bool log) {
  check_floating(name, t);
  if (t.dim() == 0) return softmax_raw(name, reshape(t.detach(), {1}), 0, log).as_strided({}, {}, 0);
  int64_t d = wrap_dim(axis, t.dim(), name);
  Tensor moved = contiguous(transpose(t.detach(), d, -1));
  Tensor out = Tensor::empty(moved.shape(), t.dtype(), t.device());
  int64_t cols = moved.shape().back();
  int64_t rows = cols ? moved.numel() / cols : 0;
  if (rows > 0) OC_ON_DEVICE(t.device(), softmax_rows, moved, out, rows, cols, log);
  return contiguous(transpose(out, d, -1));
}

}  // namespace

Tensor softmax(const Tensor& t, int64_t axis) {
  Tensor y;
  {
    NoGradGuard no_grad;
    y = softmax_raw("softmax", t, axis, false);
  }
  record_op(y, "softmax", {t}, [s = y.detach(), axis](const Tensor& g) {
    Axes a{axis};
    if (s.dim() == 0) a = {};
    return std::vector<Tensor>{mul(s, sub(g, sum(mul(g, s), a, true)))};
  });
  return y;
}

Tensor log_softmax(const Tensor& t, int64_t axis) {
  Tensor y;
  {
    NoGradGuard no_grad;
    y = softmax_raw("log_softmax", t, axis, true);
  }
  record_op(y, "log_softmax", {t}, [ly = y.detach(), axis](const Tensor& g) {
    Axes a{axis};
    if (ly.dim() == 0) a = {};
    return std::vector<Tensor>{sub(g, mul(exp(ly), sum(g, a, true)))};
  });
  return y;
}

}  // namespace oc
