// Front end of soft_argmax: every shape, dtype and option check, dispatch, and the gradient rule
// (one fused pass for coordinates and value, from the saved per-map (max, sum of exp)).
#include "kernels/soft_argmax/soft_argmax.h"

#include <cmath>

#include "core/autograd.h"
#include "core/enum_names.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/soft_argmax/soft_argmax_kernels.h"
#include "kernels/views/views.h"

namespace oc {

constexpr EnumName<SoftArgmaxCoords> kCoordsNames[] = {{SoftArgmaxCoords::pixel, "pixel"},
                                                       {SoftArgmaxCoords::normalized, "normalized"}};

SoftArgmaxCoords soft_argmax_coords_from_string(const std::string& name) {
  return enum_from_name(kCoordsNames, name, "soft_argmax: unknown coordinates");
}

const char* to_string(SoftArgmaxCoords coords) { return enum_to_name(kCoordsNames, coords); }

namespace {

SoftArgmaxGeom check_soft_argmax(const Tensor& heatmaps, const SoftArgmaxOptions& o, bool with_value) {
  const char* op = "soft_argmax";
  check_defined(op, {&heatmaps});
  check_floating(op, heatmaps);
  const int64_t dim = heatmaps.dim();
  OC_CHECK(dim == 4 || dim == 5, op, ": expected heatmaps [N,K,H,W] or [N,K,D,H,W], got ",
           shape_str(heatmaps.shape()));
  for (int64_t i = 2; i < dim; ++i)
    OC_CHECK(heatmaps.size(i) > 0, op, ": heatmaps ", shape_str(heatmaps.shape()), " have an empty spatial size");
  OC_CHECK(std::isfinite(o.beta) && o.beta > 0, op, ": beta must be positive and finite, got ", o.beta,
           " (heatmaps ", shape_str(heatmaps.shape()), ")");
  SoftArgmaxGeom g;
  g.dims = static_cast<int>(dim) - 2;
  g.maps = heatmaps.size(0) * heatmaps.size(1);
  g.d = g.dims == 3 ? heatmaps.size(2) : 1;
  g.h = heatmaps.size(dim - 2);
  g.w = heatmaps.size(dim - 1);
  g.beta = o.beta;
  g.normalized = o.coordinates == SoftArgmaxCoords::normalized;
  g.with_value = with_value;
  return g;
}

// [N,K,...] -> [N,K,cols]: (x, y[, z][, value]) per map, with one gradient rule for all columns.
Tensor soft_argmax_rows(const Tensor& heatmaps, const SoftArgmaxOptions& o, bool with_value) {
  const SoftArgmaxGeom g = check_soft_argmax(heatmaps, o, with_value);
  Tensor xc = contiguous(heatmaps.detach());
  Tensor out = Tensor::empty({heatmaps.size(0), heatmaps.size(1), g.cols()}, heatmaps.dtype(), heatmaps.device());
  Tensor stats = Tensor::empty({g.maps, 2}, heatmaps.dtype(), heatmaps.device());
  if (g.maps > 0) OC_ON_DEVICE(heatmaps.device(), soft_argmax_forward, xc, out, stats, g);
  record_op(out, "soft_argmax", {heatmaps}, [xc, stats, y = out.detach(), g](const Tensor& gy) {
    Tensor gyc = contiguous(gy);
    Tensor gx = Tensor::empty(xc.shape(), xc.dtype(), xc.device());
    if (g.maps > 0) OC_ON_DEVICE(gy.device(), soft_argmax_backward, xc, stats, y, gyc, gx, g);
    return std::vector<Tensor>{gx};
  });
  return out;
}

}  // namespace

Tensor soft_argmax(const Tensor& heatmaps, const SoftArgmaxOptions& options) {
  return soft_argmax_rows(heatmaps, options, false);
}

SoftArgmaxResult soft_argmax_with_value(const Tensor& heatmaps, const SoftArgmaxOptions& options) {
  Tensor rows = soft_argmax_rows(heatmaps, options, true);
  const int64_t dims = rows.size(2) - 1;
  // Contiguous copies of the two column groups (tiny), so neither result is a strided view.
  return {contiguous(slice(rows, 2, 0, dims)), contiguous(select(rows, 2, dims))};
}

}  // namespace oc
