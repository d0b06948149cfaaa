// Front end of upsample_nearest2d / upsample_bilinear2d: checks, dispatch, and the gradient rules
// (each output's gradient goes back to the input pixels it was read from, with the same weights).
#include "kernels/upsample/upsample.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/upsample/upsample_kernels.h"

namespace oc {
namespace {

Upsample2dGeom check_upsample(const char* op, const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners) {
  check_floating(op, x);
  OC_CHECK(x.dim() == 4, op, ": expected a 4-D input [N, C, H, W], got ", shape_str(x.shape()));
  OC_CHECK(x.size(2) > 0 && x.size(3) > 0, op, ": input ", shape_str(x.shape()), " has an empty spatial size");
  OC_CHECK(out_h > 0 && out_w > 0, op, ": output size ", out_h, "x", out_w, " must be positive (input ",
           shape_str(x.shape()), ")");
  return Upsample2dGeom{x.size(2), x.size(3), out_h, out_w, align_corners};
}

}  // namespace

Tensor upsample_nearest2d(const Tensor& x, int64_t out_h, int64_t out_w) {
  const Upsample2dGeom g = check_upsample("upsample_nearest2d", x, out_h, out_w, false);
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  if (y.numel() > 0) OC_ON_DEVICE(x.device(), upsample_nearest2d, xc, y, g);
  record_op(y, "upsample_nearest2d", {x}, [g, shape = x.shape()](const Tensor& gy) {
    Tensor gyc = contiguous(gy);
    Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device());
    if (gx.numel() > 0) OC_ON_DEVICE(gy.device(), upsample_nearest2d_backward, gyc, gx, g);
    return std::vector<Tensor>{gx};
  });
  return y;
}

Tensor upsample_bilinear2d(const Tensor& x, int64_t out_h, int64_t out_w, bool align_corners) {
  const Upsample2dGeom g = check_upsample("upsample_bilinear2d", x, out_h, out_w, align_corners);
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty({x.size(0), x.size(1), out_h, out_w}, x.dtype(), x.device());
  if (y.numel() > 0) OC_ON_DEVICE(x.device(), upsample_bilinear2d, xc, y, g);
  record_op(y, "upsample_bilinear2d", {x}, [g, shape = x.shape()](const Tensor& gy) {
    Tensor gyc = contiguous(gy);
    Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device());
    if (gx.numel() > 0) OC_ON_DEVICE(gy.device(), upsample_bilinear2d_backward, gyc, gx, g);
    return std::vector<Tensor>{gx};
  });
  return y;
}

}  // namespace oc
