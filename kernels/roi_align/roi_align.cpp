// Front end of roi_align and roi_pool: every shape, dtype, device and box check (messages name the
// op and the shapes), dispatch, and the gradient rules (features only; boxes get none, as in
// torchvision):
//   roi_align: dx[taps of each sample] += dy[bin] * bilinear weight / samples per bin
//   roi_pool:  dx[argmax of each bin] += dy[bin]            (the argmax is saved by the forward pass)
#include "kernels/roi_align/roi_align.h"

#include <cmath>
#include <vector>

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/roi_align/roi_align_kernels.h"

namespace oc {
namespace {

// Box coordinates times the scale stay below this many feature pixels: far beyond any map, and
// small enough that pixel indices and sample counts cannot overflow.
constexpr double kMaxFeatureCoordinate = 1 << 24;

// The values of the boxes: integer batch indices in [0, N), finite coordinates. Reads them on the
// host (for CUDA boxes one small copy and a sync): a bad index would read outside the features.
void check_box_values(const char* op, const Tensor& features, const Tensor& boxes, double scale) {
  const std::vector<double> v = to_vector<double>(boxes);
  const int64_t n = features.size(0);
  for (int64_t k = 0; k < boxes.size(0); ++k) {
    const double* b = v.data() + 5 * k;
    OC_CHECK(b[0] == std::floor(b[0]) && b[0] >= 0 && b[0] < static_cast<double>(n), op, ": box ", k,
             " has batch index ", b[0], ", not an integer in [0, ", n, ") (features ", shape_str(features.shape()),
             ", boxes ", shape_str(boxes.shape()), ")");
    for (int i = 1; i < 5; ++i)
      OC_CHECK(std::isfinite(b[i]) && std::fabs(b[i] * scale) <= kMaxFeatureCoordinate, op, ": box ", k,
               " has coordinate ", i, " = ", b[i], ": coordinates must be finite and within ", kMaxFeatureCoordinate,
               " feature pixels (spatial_scale ", scale, ")");
  }
}

RoiGeom check_roi_op(const char* op, const Tensor& features, const Tensor& boxes, int64_t pooled_h, int64_t pooled_w,
                     double scale) {
  check_defined(op, {&features, &boxes});
  check_floating(op, features);
  check_same_dtype(op, {&features, &boxes});
  check_same_device(op, {&features, &boxes});
  OC_CHECK(features.dim() == 4, op, ": expected features [N, C, H, W], got ", shape_str(features.shape()));
  OC_CHECK(features.size(2) > 0 && features.size(3) > 0, op, ": features ", shape_str(features.shape()),
           " have an empty spatial size");
  OC_CHECK(boxes.dim() == 2 && boxes.size(1) == 5, op,
           ": expected boxes [K, 5] (batch index, x1, y1, x2, y2), got ", shape_str(boxes.shape()));
  OC_CHECK(pooled_h > 0 && pooled_w > 0, op, ": output size ", pooled_h, "x", pooled_w, " must be positive");
  OC_CHECK(std::isfinite(scale) && scale > 0, op, ": spatial_scale ", scale, " must be positive and finite");
  check_box_values(op, features, boxes, scale);
  RoiGeom g;
  g.n = features.size(0), g.c = features.size(1), g.h = features.size(2), g.w = features.size(3);
  g.k = boxes.size(0), g.pooled_h = pooled_h, g.pooled_w = pooled_w;
  g.spatial_scale = scale;
  return g;
}

Shape out_shape(const RoiGeom& g) { return {g.k, g.c, g.pooled_h, g.pooled_w}; }

}  // namespace

Tensor roi_align(const Tensor& features, const Tensor& boxes, const RoiAlignParams& p) {
  RoiGeom g = check_roi_op("roi_align", features, boxes, p.pooled_h, p.pooled_w, p.spatial_scale);
  g.sampling_ratio = p.sampling_ratio;
  g.aligned = p.aligned;
  Tensor xc = contiguous(features.detach()), bc = contiguous(boxes.detach());
  Tensor y = Tensor::empty(out_shape(g), features.dtype(), features.device());
  if (y.numel() > 0) OC_ON_DEVICE(features.device(), roi_align, xc, bc, y, g);
  record_op(y, "roi_align", {features, boxes}, [bc, g, shape = features.shape()](const Tensor& gy) {
    Tensor gyc = contiguous(gy);
    Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device());
    if (gx.numel() > 0) OC_ON_DEVICE(gy.device(), roi_align_backward, bc, gyc, gx, g);
    return std::vector<Tensor>{gx, Tensor()};
  });
  return y;
}

Tensor roi_pool(const Tensor& features, const Tensor& boxes, const RoiPoolParams& p) {
  const RoiGeom g = check_roi_op("roi_pool", features, boxes, p.pooled_h, p.pooled_w, p.spatial_scale);
  Tensor xc = contiguous(features.detach()), bc = contiguous(boxes.detach());
  Tensor y = Tensor::empty(out_shape(g), features.dtype(), features.device());
  Tensor argmax = Tensor::empty(y.shape(), DType::i64, features.device());
  if (y.numel() > 0) OC_ON_DEVICE(features.device(), roi_pool, xc, bc, y, argmax, g);
  record_op(y, "roi_pool", {features, boxes}, [bc, argmax, g, shape = features.shape()](const Tensor& gy) {
    Tensor gyc = contiguous(gy);
    Tensor gx = Tensor::empty(shape, gy.dtype(), gy.device());
    if (gx.numel() > 0) OC_ON_DEVICE(gy.device(), roi_pool_backward, bc, gyc, argmax, gx, g);
    return std::vector<Tensor>{gx, Tensor()};
  });
  return y;
}

}  // namespace oc
