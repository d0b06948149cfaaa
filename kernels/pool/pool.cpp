// Front end of the 2-D pooling ops: shape checks (PyTorch's rules, with messages naming the op and
// the shapes), dispatch, and the gradient rules. The gradients are kernels of their own:
//   max:      dx[argmax of window o] += dy[o]        (the argmax indices are saved by the forward pass)
//   avg:      dx[i] = sum over windows o containing i of dy[o] / divisor(o)
//   adaptive: the same with the bins' sizes as divisors
#include "kernels/pool/pool.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/pool/pool_kernels.h"

namespace oc {
namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void check_pool_input(const char* op, const Tensor& x) {
  check_floating(op, x);
  OC_CHECK(x.dim() == 4, op, ": expected a 4-D input [N, C, H, W], got ", shape_str(x.shape()));
  OC_CHECK(x.size(2) > 0 && x.size(3) > 0, op, ": input ", shape_str(x.shape()), " has an empty spatial size");
}

Pool2dGeom check_pool2d(const char* op, const Tensor& x, const Pool2dParams& p) {
  check_pool_input(op, x);
  OC_CHECK(p.kernel_h > 0 && p.kernel_w > 0, op, ": kernel ", p.kernel_h, "x", p.kernel_w, " must be positive");
  OC_CHECK(p.stride_h > 0 && p.stride_w > 0, op, ": stride ", p.stride_h, "x", p.stride_w, " must be positive");
  OC_CHECK(p.pad_h >= 0 && p.pad_w >= 0, op, ": padding ", p.pad_h, "x", p.pad_w, " must be non-negative");
  // PyTorch refuses this too: a window made mostly of padding has no meaning (nothing, for max).
  OC_CHECK(p.pad_h <= p.kernel_h / 2 && p.pad_w <= p.kernel_w / 2, op, ": padding ", p.pad_h, "x", p.pad_w,
           " must be at most half the kernel ", p.kernel_h, "x", p.kernel_w);
  Pool2dGeom g;
  g.in_h = x.size(2);
  g.in_w = x.size(3);
  g.kernel_h = p.kernel_h;
  g.kernel_w = p.kernel_w;
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.pad_h = p.pad_h;
  g.pad_w = p.pad_w;
  g.out_h = pool2d_out_size(g.in_h, p.kernel_h, p.stride_h, p.pad_h, p.ceil_mode);
  g.out_w = pool2d_out_size(g.in_w, p.kernel_w, p.stride_w, p.pad_w, p.ceil_mode);
  OC_CHECK(g.out_h >= 1 && g.out_w >= 1, op, ": kernel ", p.kernel_h, "x", p.kernel_w,
           " is larger than the padded input ", g.in_h + 2 * p.pad_h, "x", g.in_w + 2 * p.pad_w, " (input ",
           shape_str(x.shape()), ", padding ", p.pad_h, "x", p.pad_w, "): the output would be ", g.out_h, "x",
           g.out_w);
  return g;
}

// [N, C, Ho, Wo]
Shape out_shape(const Tensor& x, const Pool2dGeom& g) { return {x.size(0), x.size(1), g.out_h, g.out_w}; }

}  // namespace

int64_t pool2d_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode) {
  OC_CHECK(kernel > 0 && stride > 0 && pad >= 0, "pool2d_out_size: kernel ", kernel, " and stride ", stride,
           " must be positive and padding ", pad, " non-negative");
  int64_t out = floor_div(in + 2 * pad - kernel + (ceil_mode ? stride - 1 : 0), stride) + 1;
  // Ceil mode: the last window must start inside the input or the left padding, not in the right padding.
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

Tensor max_pool2d(const Tensor& x, const Pool2dParams& p) {
  const Pool2dGeom g = check_pool2d("max_pool2d", x, p);
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty(out_shape(x, g), x.dtype(), x.device());
  Tensor indices = Tensor::empty(y.shape(), DType::i64, x.device());
  if (y.numel() > 0) OC_ON_DEVICE(x.device(), max_pool2d, xc, y, indices, g);
  record_op(y, "max_pool2d", {x}, [indices, g, shape = x.shape()](const Tensor& gy) {
    Tensor gyc = contiguous(gy);
    Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device());
    if (gx.numel() > 0) OC_ON_DEVICE(gy.device(), max_pool2d_backward, gyc, indices, gx, g);
    return std::vector<Tensor>{gx};
  });
  return y;
}

Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p, bool count_include_pad) {
  const Pool2dGeom g = check_pool2d("avg_pool2d", x, p);
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty(out_shape(x, g), x.dtype(), x.device());
  if (y.numel() > 0) OC_ON_DEVICE(x.device(), avg_pool2d, xc, y, g, count_include_pad);
  record_op(y, "avg_pool2d", {x}, [g, count_include_pad, shape = x.shape()](const Tensor& gy) {
    Tensor gyc = contiguous(gy);
    Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device());
    if (gx.numel() > 0) OC_ON_DEVICE(gy.device(), avg_pool2d_backward, gyc, gx, g, count_include_pad);
    return std::vector<Tensor>{gx};
  });
  return y;
}

Tensor adaptive_avg_pool2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  check_pool_input("adaptive_avg_pool2d", x);
  OC_CHECK(out_h > 0 && out_w > 0, "adaptive_avg_pool2d: output size ", out_h, "x", out_w,
           " must be positive (input ", shape_str(x.shape()), ")");
  Pool2dGeom g;
  g.in_h = x.size(2);
  g.in_w = x.size(3);
  g.out_h = out_h;
  g.out_w = out_w;
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty(out_shape(x, g), x.dtype(), x.device());
  if (y.numel() > 0) OC_ON_DEVICE(x.device(), adaptive_avg_pool2d, xc, y, g);
  record_op(y, "adaptive_avg_pool2d", {x}, [g, shape = x.shape()](const Tensor& gy) {
    Tensor gyc = contiguous(gy);
    Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device());
    if (gx.numel() > 0) OC_ON_DEVICE(gy.device(), adaptive_avg_pool2d_backward, gyc, gx, g);
    return std::vector<Tensor>{gx};
  });
  return y;
}

}  // namespace oc
